//! A corpus of hostile inputs through the C ABI: always an envelope, never a crash, never
//! a request for input that is not a valid member.

mod common;

use common::*;
use jdy_member::ffi::*;
use jdy_member::fields::MEMBER_FIELDS;
use serde_json::{json, Value};
use std::ffi::CString;

/// Raw byte strings (NUL added here) that are not valid members, each with the kinds an
/// envelope may carry for it.
fn corpus() -> Vec<(String, Vec<u8>)> {
    let mut cases: Vec<(String, Vec<u8>)> = Vec::new();
    let mut add = |name: &str, bytes: Vec<u8>| cases.push((name.to_string(), bytes));

    // Not UTF-8 at all.
    add(
        "GBK name",
        b"{\"mobile\":\"13333333333\",\"name\":\"\xbb\xe1\xd4\xb1A\"}".to_vec(),
    );
    add("lone continuation byte", b"{\"name\":\"\x80\"}".to_vec());
    add("overlong slash", b"{\"name\":\"\xc0\xaf\"}".to_vec());
    add(
        "UTF-16 surrogate in UTF-8",
        b"{\"name\":\"\xed\xa0\x80\"}".to_vec(),
    );
    add("truncated sequence", b"{\"name\":\"\xe4\xbc\"}".to_vec());
    add("0xFF bytes", vec![0xff; 64]);
    // Not JSON, or not an object.
    for (name, text) in [
        ("empty", ""),
        ("whitespace", " \t\r\n "),
        ("garbage", "drop table members;"),
        ("array", "[{\"mobile\":\"13333333333\",\"name\":\"a\"}]"),
        ("number", "13333333333"),
        ("string", "\"13333333333\""),
        ("true", "true"),
        ("null", "null"),
        ("unterminated object", "{\"mobile\":\"13333333333\""),
        ("trailing data", "{} {}"),
        ("trailing comma", "{\"name\":\"a\",}"),
        ("single quotes", "{'name':'a'}"),
        ("comment", "{/* */\"name\":\"a\"}"),
        ("NaN", "{\"mobile\":NaN}"),
        ("Infinity", "{\"mobile\":Infinity}"),
        ("huge exponent", "{\"mobile\":1e400}"),
        ("lone surrogate escape", "{\"name\":\"\\ud800\"}"),
        ("bad escape", "{\"name\":\"\\x41\"}"),
        ("raw control character", "{\"name\":\"a\u{1}b\"}"),
        ("BOM first", "\u{feff}{\"name\":\"a\"}"),
    ] {
        add(name, text.as_bytes().to_vec());
    }
    add(
        "deep arrays",
        format!("{}{}", "[".repeat(200_000), "]".repeat(200_000)).into_bytes(),
    );
    add(
        "deep objects",
        format!("{}1{}", "{\"a\":".repeat(50_000), "}".repeat(50_000)).into_bytes(),
    );
    add(
        "2 MiB string",
        format!("{{\"name\":\"{}\"}}", "x".repeat(2 << 20)).into_bytes(),
    );
    add("5 MiB of spaces", vec![b' '; 5 << 20]);
    // Valid JSON objects that are not valid members.
    let objects = [
        ("empty object", json!({})),
        ("nulls", json!({"mobile": null, "name": null})),
        (
            "control characters in name",
            json!({"mobile": "13333333333", "name": "a\u{0007}\u{001b}[31m"}),
        ),
        (
            "NUL escape in name",
            json!({"mobile": "13333333333", "name": "a\u{0000}b"}),
        ),
        (
            "100 KB name",
            json!({"mobile": "13333333333", "name": "名".repeat(35_000), "sex_group": 9}),
        ),
        (
            "mobile with letters",
            json!({"mobile": "1333333333a", "name": "a"}),
        ),
        (
            "mobile full-width digits",
            json!({"mobile": "１３３３３３３３３３３", "name": "a"}),
        ),
        (
            "mobile negative",
            json!({"mobile": -13333333333i64, "name": "a"}),
        ),
        (
            "mobile float",
            json!({"mobile": 13333333333.5, "name": "a"}),
        ),
        ("mobile u64 max", json!({"mobile": u64::MAX, "name": "a"})),
        (
            "unknown fields",
            json!({"mobile": "13333333333", "name": "a", "referrer_mp": "1", "__proto__": {}}),
        ),
        (
            "duplicate-looking keys",
            json!({"mobile": "13333333333", "name": "a", "Mobile": "1"}),
        ),
        (
            "date 0000-00-00",
            json!({"mobile": "13333333333", "name": "a", "birthday": "0000-00-00"}),
        ),
        (
            "date with time",
            json!({"mobile": "13333333333", "name": "a", "birthday": "2022-08-01T00:00:00"}),
        ),
        (
            "end before start",
            json!({"mobile": "13333333333", "name": "a", "start_date": "2022-02-02", "end_date": "2022-02-01"}),
        ),
        (
            "label of objects",
            json!({"mobile": "13333333333", "name": "a", "label": [{}]}),
        ),
        (
            "label string",
            json!({"mobile": "13333333333", "name": "a", "label": "VIP"}),
        ),
    ];
    for (name, value) in objects {
        add(name, value.to_string().into_bytes());
    }
    // Every field with every wrong type.
    for field in MEMBER_FIELDS.map(|f| f.name) {
        for (type_name, wrong) in [
            ("bool", json!(true)),
            ("object", json!({"x": 1})),
            ("nested array", json!([[1]])),
            ("float", json!(1.25)),
        ] {
            let mut member = json!({"mobile": "13333333333", "name": "a"});
            member[field] = wrong;
            add(
                &format!("{field} as {type_name}"),
                member.to_string().into_bytes(),
            );
        }
    }
    cases
}

fn c_bytes(bytes: &[u8]) -> Vec<u8> {
    let mut owned: Vec<u8> = bytes.iter().copied().filter(|b| *b != 0).collect();
    owned.push(0);
    owned
}

#[test]
fn hostile_members_always_get_an_error_envelope_and_nothing_is_sent() {
    let sandbox = sandbox();
    let client = CClient::new(&config(&sandbox));
    for (name, bytes) in corpus() {
        let input = c_bytes(&bytes);
        for (function, envelope) in [
            (
                "validate",
                take(unsafe { jdy_member_validate(input.as_ptr().cast()) }),
            ),
            (
                "save",
                take(unsafe { jdy_member_save(client.0, input.as_ptr().cast()) }),
            ),
            (
                "get",
                take(unsafe { jdy_member_get(client.0, input.as_ptr().cast()) }),
            ),
            (
                "list",
                take(unsafe { jdy_member_list(client.0, input.as_ptr().cast()) }),
            ),
            (
                "batch",
                take(unsafe {
                    jdy_member_save_batch(client.0, input.as_ptr().cast(), input.as_ptr().cast())
                }),
            ),
        ] {
            if function == "validate" || function == "save" {
                assert_eq!(
                    envelope["ok"], false,
                    "{function} accepted {name}: {envelope}"
                );
            }
            if envelope["ok"] == false {
                let kind = envelope["error"]["kind"].as_str().unwrap_or_default();
                assert!(
                    ["invalid_argument", "validation"].contains(&kind),
                    "{function} on {name}: {envelope}"
                );
            }
        }
    }
    let stats = sandbox.stats();
    assert_eq!(stats.save_calls, 0, "no hostile member reached the gateway");
}

#[test]
fn every_function_takes_null_everywhere() {
    let null = std::ptr::null();
    let null_client = std::ptr::null_mut();
    let ok_json = CString::new("{}").unwrap();
    unsafe {
        for envelope in [
            take(jdy_member_save(null_client, null)),
            take(jdy_member_save(null_client, ok_json.as_ptr())),
            take(jdy_member_get(null_client, null)),
            take(jdy_member_get(null_client, ok_json.as_ptr())),
            take(jdy_member_list(null_client, null)),
            take(jdy_member_list(null_client, ok_json.as_ptr())),
            take(jdy_member_save_batch(null_client, null, null)),
            take(jdy_member_validate(null)),
        ] {
            expect_error(&envelope, "invalid_argument");
        }
        assert!(jdy_client_new(null, std::ptr::null_mut()).is_null());
        jdy_client_free(null_client);
        jdy_string_free(std::ptr::null_mut());
    }
}

#[test]
fn hostile_configurations_are_refused_with_an_envelope() {
    let configs: Vec<Vec<u8>> = vec![
        b"".to_vec(),
        b"[]".to_vec(),
        b"\xff\xfe".to_vec(),
        b"{\"client_id\":1,\"client_secret\":[]}".to_vec(),
        json!({"client_id": "a", "client_secret": "b", "app_key": "k"}).to_string().into_bytes(),
        json!({"client_id": "a", "client_secret": "b", "outer_instance_id": "o", "timeout_ms": 0}).to_string().into_bytes(),
        json!({"client_id": "a", "client_secret": "b", "outer_instance_id": "o", "proxy": "::::"}).to_string().into_bytes(),
        json!({"client_id": "a", "client_secret": "b", "outer_instance_id": "o", "base_url": "file:///etc/passwd"}).to_string().into_bytes(),
        json!({"client_id": "a", "client_secret": "b", "outer_instance_id": "o", "log_path": "/nonexistent-dir/x.log"}).to_string().into_bytes(),
        json!({"client_id": "a", "client_secret": "b", "outer_instance_id": "o", "log_level": "loud"}).to_string().into_bytes(),
        json!({"client_id": "a", "client_secret": "b", "outer_instance_id": "o", "max_retries": 1000}).to_string().into_bytes(),
        format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)).into_bytes(),
    ];
    for config in configs {
        let input = c_bytes(&config);
        let mut error = std::ptr::null_mut();
        let client = unsafe { jdy_client_new(input.as_ptr().cast(), &mut error) };
        assert!(client.is_null());
        let envelope: Value = take(error);
        let kind = envelope["error"]["kind"].as_str().unwrap();
        assert!(["invalid_argument", "config"].contains(&kind), "{envelope}");
    }
}
