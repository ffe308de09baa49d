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

/// The stdcall functions' envelope of a call writing into a buffer (fetched whole, whatever
/// its size, as the buffer rule allows).
fn stdcall_envelope(call: impl FnOnce(*mut u16, i32) -> i32) -> Value {
    let n = call(std::ptr::null_mut(), 0);
    assert!(n < 0, "NULL and 0 answer minus the size needed");
    let mut buffer = vec![0u16; -n as usize];
    let written = unsafe { jdy_last_result_w(buffer.as_mut_ptr(), -n) };
    assert_eq!(written, -n - 1);
    let text = String::from_utf16(&buffer[..written as usize]).expect("UTF-16 out");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

#[test]
fn hostile_members_through_the_stdcall_functions_get_an_error_and_nothing_is_sent() {
    let sandbox = sandbox();
    let config: Vec<u16> = config(&sandbox)
        .to_string()
        .encode_utf16()
        .chain([0])
        .collect();
    let client = unsafe { jdy_client_new_w(config.as_ptr(), std::ptr::null_mut(), 0) };
    assert!(client > 0);
    for (name, bytes) in corpus() {
        // _a: the bytes as they are (UTF-8 stands in for the code page off Windows).
        let ansi = c_bytes(&bytes);
        // _w: the text as UTF-16 when it is text (a lossy copy of bytes that are not would
        // be a valid member), and always once more behind an unpaired surrogate.
        let lossy = String::from_utf8_lossy(&bytes);
        let text: Vec<u16> = lossy.encode_utf16().chain([0]).collect();
        let lone: Vec<u16> = [0xdc00].into_iter().chain(text.iter().copied()).collect();
        let mut envelopes = vec![
            (
                "save_a",
                stdcall_envelope(|_, _| unsafe {
                    jdy_member_save_a(client, ansi.as_ptr().cast(), std::ptr::null_mut(), 0)
                }),
            ),
            (
                "validate_a",
                stdcall_envelope(|_, _| unsafe {
                    jdy_member_validate_a(ansi.as_ptr().cast(), std::ptr::null_mut(), 0)
                }),
            ),
            (
                "save_w lone",
                stdcall_envelope(|out, size| unsafe {
                    jdy_member_save_w(client, lone.as_ptr(), out, size)
                }),
            ),
        ];
        if std::str::from_utf8(&bytes).is_ok() {
            envelopes.extend([
                (
                    "save_w",
                    stdcall_envelope(|out, size| unsafe {
                        jdy_member_save_w(client, text.as_ptr(), out, size)
                    }),
                ),
                (
                    "validate_w",
                    stdcall_envelope(|out, size| unsafe {
                        jdy_member_validate_w(text.as_ptr(), out, size)
                    }),
                ),
                (
                    "batch_w",
                    stdcall_envelope(|out, size| unsafe {
                        jdy_member_save_batch_w(client, text.as_ptr(), text.as_ptr(), out, size)
                    }),
                ),
            ]);
        }
        for (function, envelope) in envelopes {
            if function != "batch_w" {
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
    assert_eq!(jdy_client_free_w(client), 1);
    assert_eq!(
        sandbox.stats().save_calls,
        0,
        "no hostile member reached the gateway"
    );
}

#[test]
fn every_stdcall_function_takes_null_everywhere() {
    let null_a = std::ptr::null::<std::os::raw::c_char>();
    let null_w = std::ptr::null::<u16>();
    let envelopes = unsafe {
        [
            stdcall_envelope(|out, size| jdy_member_save_w(0, null_w, out, size)),
            stdcall_envelope(|out, size| jdy_member_get_w(0, null_w, out, size)),
            stdcall_envelope(|out, size| jdy_member_list_w(0, null_w, out, size)),
            stdcall_envelope(|out, size| jdy_member_save_batch_w(0, null_w, null_w, out, size)),
            stdcall_envelope(|out, size| jdy_member_validate_w(null_w, out, size)),
            stdcall_envelope(|out, size| jdy_outbox_add_w(0, null_w, out, size)),
            stdcall_envelope(|out, size| jdy_outbox_flush_w(0, null_w, out, size)),
            stdcall_envelope(|out, size| jdy_outbox_status_w(0, out, size)),
            stdcall_envelope(|out, size| jdy_outbox_list_w(0, null_w, out, size)),
            stdcall_envelope(|out, size| jdy_outbox_retry_w(0, null_w, out, size)),
            stdcall_envelope(|out, size| jdy_outbox_discard_w(0, null_w, out, size)),
            stdcall_envelope(|out, size| jdy_call_w(0, null_w, out, size)),
            stdcall_envelope(|out, size| jdy_doctor_w(0, out, size)),
            stdcall_envelope(|_, _| jdy_member_save_a(0, null_a, std::ptr::null_mut(), 0)),
            stdcall_envelope(|_, _| jdy_member_validate_a(null_a, std::ptr::null_mut(), 0)),
            stdcall_envelope(|_, _| jdy_call_a(0, null_a, std::ptr::null_mut(), 0)),
            stdcall_envelope(|_, _| jdy_doctor_a(0, std::ptr::null_mut(), 0)),
        ]
    };
    for envelope in envelopes {
        expect_error(&envelope, "invalid_argument");
    }
    unsafe {
        assert_eq!(jdy_client_new_a(null_a, std::ptr::null_mut(), 0), 0);
        assert_eq!(jdy_client_new_w(null_w, std::ptr::null_mut(), 0), 0);
        assert_eq!(jdy_client_free_a(0), 0);
        assert_eq!(jdy_client_free_w(0), 0);
        assert!(jdy_version_w(std::ptr::null_mut(), 0) < 0);
        assert!(jdy_last_result_a(std::ptr::null_mut(), 0) < 0);
    }
}
