//! The C ABI driven end to end against the sandbox gateway over real HTTP on loopback.

mod common;

use common::*;
use jdy_member::ffi::*;
use jdy_member_sandbox::*;
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::{Duration, Instant};

/// Every secret the sandbox hands out; none may ever appear in an envelope.
fn secrets() -> [&'static str; 2] {
    [SANDBOX_CLIENT_SECRET, SANDBOX_APP_SECRET]
}

fn assert_no_secret(envelope: &Value) {
    let text = envelope.to_string();
    for secret in secrets() {
        assert!(!text.contains(secret), "a secret leaked into {text}");
    }
}

#[test]
fn seed_member_is_saved_with_its_chinese_name_and_one_token() {
    let sandbox = sandbox();
    let client = CClient::new(&config(&sandbox));
    let saved = expect_ok(&client.save(&seed_member()));
    assert_eq!(saved["name"], "会员A");
    assert_eq!(saved["mobile"], "13333333333");
    assert!(saved["id"].as_str().is_some_and(|id| !id.is_empty()));

    let stored = sandbox.member_by_mobile("13333333333").expect("stored");
    for (key, value) in seed_member().as_object().unwrap() {
        assert_eq!(&stored[key], value, "field {key} stored as sent");
    }
    for i in 0..20 {
        expect_ok(&client.save(&member(13_900_000_000 + i, "张三")));
    }
    let stats = sandbox.stats();
    assert_eq!(
        stats.token_calls, 1,
        "the token is fetched once for 21 saves"
    );
    assert_eq!(stats.authorize_calls, 0, "direct mode never authorizes");
    assert_eq!(stats.save_calls, 21);
    assert_eq!(sandbox.members().len(), 21);
}

#[test]
fn authorization_mode_fetches_app_credentials_once() {
    let sandbox = sandbox();
    let client = CClient::new(&config_outer(&sandbox));
    for i in 0..5 {
        expect_ok(&client.save(&member(13_800_000_000 + i, "李四")));
    }
    let stats = sandbox.stats();
    assert_eq!((stats.authorize_calls, stats.token_calls), (1, 1));
    assert_eq!(sandbox.members().len(), 5);
}

#[test]
fn saved_member_reads_back_by_mobile_by_id_and_in_the_list() {
    let sandbox = sandbox();
    let client = CClient::new(&config(&sandbox));
    let saved = expect_ok(&client.save(&seed_member()));
    let id = saved["id"].as_str().unwrap().to_string();

    let by_mobile = expect_ok(&client.get(&json!({"mobile": "+86 133-3333-3333"})));
    assert_eq!(by_mobile["name"], "会员A");
    assert_eq!(by_mobile["id"], id.as_str());
    let by_id = expect_ok(&client.get(&json!({"id": id})));
    assert_eq!(by_id["mobile"], "13333333333");

    expect_ok(&client.save(&member(13_700_000_001, "王五")));
    let page = expect_ok(&client.list(&json!({"page": 1, "page_size": 100})));
    assert_eq!(page["count"], 2);
    assert_eq!(page["rows"].as_array().unwrap().len(), 2);
    let filtered = expect_ok(&client.list(&json!({"name": "会员"})));
    assert_eq!(filtered["count"], 1);
    assert_eq!(filtered["rows"][0]["name"], "会员A");
}

#[test]
fn an_invalid_member_is_refused_before_any_request_with_every_field_named() {
    let sandbox = sandbox();
    let client = CClient::new(&config(&sandbox));
    let bad = json!({"mobile": "1234", "name": "  ", "sex_group": 3, "birthday": "2022-02-30",
        "referrer_mp": "1"});
    let error = expect_error(&client.save(&bad), "validation");
    let fields: Vec<&str> = error["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    for name in ["mobile", "name", "sex_group", "birthday", "referrer_mp"] {
        assert!(fields.contains(&name), "{name} missing from {fields:?}");
    }
    let hint = error["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["field"] == "referrer_mp")
        .unwrap();
    assert!(hint["message"].as_str().unwrap().contains("referrere_mp"));
    assert_eq!(sandbox.stats().requests, 0, "nothing was sent");

    let bad_query = client.list(&json!({"page_size": 101}));
    expect_error(&bad_query, "validation");
    assert_eq!(sandbox.stats().requests, 0);
}

#[test]
fn wrong_client_secret_is_auth_4008_without_leaking_it() {
    let sandbox = sandbox();
    let mut config = config(&sandbox);
    config["client_secret"] = "wrong-fake-secret-123".into();
    let client = CClient::new(&config);
    let envelope = client.save(&seed_member());
    let error = expect_error(&envelope, "auth");
    assert_eq!(error["errcode"], 4008);
    assert_eq!(error["http_status"], 519);
    assert_eq!(error["retryable"], false);
    assert!(
        error["description"].is_string(),
        "Kingdee's text passes through"
    );
    assert!(!envelope.to_string().contains("wrong-fake-secret-123"));
    assert_no_secret(&envelope);
}

#[test]
fn an_expired_token_is_replaced_and_the_call_retried_once() {
    let sandbox = sandbox();
    let client = CClient::new(&config(&sandbox));
    expect_ok(&client.save(&member(13_600_000_001, "赵六")));
    sandbox.expire_tokens();
    expect_ok(&client.save(&member(13_600_000_002, "赵六")));
    let stats = sandbox.stats();
    assert_eq!(stats.token_calls, 2);
    assert_eq!(stats.rejections.get("4011"), Some(&1));
    assert_eq!(sandbox.members().len(), 2, "nothing saved twice");
}

#[test]
fn a_token_near_its_expiry_is_refreshed_before_use() {
    let options = SandboxOptions {
        token_ttl_ms: 1_500,
        ..SandboxOptions::default()
    };
    let sandbox = Sandbox::start(options).unwrap();
    let client = CClient::new(&config(&sandbox));
    expect_ok(&client.save(&member(13_600_000_011, "孙七")));
    std::thread::sleep(Duration::from_millis(1_600));
    expect_ok(&client.save(&member(13_600_000_012, "孙七")));
    let stats = sandbox.stats();
    assert_eq!(stats.token_calls, 2);
    assert!(
        stats.rejections.is_empty(),
        "refreshed before the gateway refused it: {:?}",
        stats.rejections
    );
}

#[test]
fn a_rotated_app_secret_is_re_authorized_in_authorization_mode() {
    let sandbox = sandbox();
    let client = CClient::new(&config_outer(&sandbox));
    expect_ok(&client.save(&member(13_500_000_001, "周八")));
    sandbox.rotate_app_secret("rotated-fake-app-secret");
    expect_ok(&client.save(&member(13_500_000_002, "周八")));
    let stats = sandbox.stats();
    assert_eq!(stats.authorize_calls, 2);
    assert_eq!(stats.token_calls, 2);
    assert_eq!(sandbox.members().len(), 2);
}

#[test]
fn a_rotated_app_secret_in_direct_mode_is_an_auth_error_saying_what_to_do() {
    let sandbox = sandbox();
    let client = CClient::new(&config(&sandbox));
    expect_ok(&client.save(&member(13_500_000_011, "吴九")));
    sandbox.rotate_app_secret("rotated-fake-app-secret");
    let envelope = client.save(&member(13_500_000_012, "吴九"));
    let error = expect_error(&envelope, "auth");
    assert_eq!(error["errcode"], 1_030_002_006i64);
    assert!(error["message"].as_str().unwrap().contains("app_secret"));
    assert!(!envelope.to_string().contains("rotated-fake-app-secret"));
    assert_eq!(sandbox.members().len(), 1);
}

#[test]
fn eight_threads_share_one_client_and_one_token() {
    let sandbox = sandbox();
    let client = std::sync::Arc::new(CClient::new(&config(&sandbox)));
    let threads: Vec<_> = (0..8u64)
        .map(|t| {
            let client = client.clone();
            std::thread::spawn(move || {
                for i in 0..25u64 {
                    let envelope = client.save(&member(13_100_000_000 + t * 1000 + i, "并发会员"));
                    expect_ok(&envelope);
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().expect("no thread panicked");
    }
    let stats = sandbox.stats();
    assert_eq!(
        stats.token_calls, 1,
        "one refresh in flight, shared by all threads"
    );
    assert_eq!(sandbox.members().len(), 200);
    assert!(stats.saves_by_mobile.values().all(|n| *n == 1));
}

#[test]
fn bad_arguments_are_invalid_argument_envelopes() {
    let sandbox = sandbox();
    let client = CClient::new(&config(&sandbox));
    let null = std::ptr::null();
    unsafe {
        expect_error(
            &take(jdy_member_save(std::ptr::null_mut(), c("{}").as_ptr())),
            "invalid_argument",
        );
        expect_error(&take(jdy_member_save(client.0, null)), "invalid_argument");
        expect_error(&take(jdy_member_get(client.0, null)), "invalid_argument");
        expect_error(
            &take(jdy_member_list(std::ptr::null_mut(), null)),
            "invalid_argument",
        );
        expect_error(&take(jdy_member_validate(null)), "invalid_argument");
        let gbk_name = b"{\"mobile\":\"13333333333\",\"name\":\"\xbb\xe1\xd4\xb1\"}\0";
        let e = expect_error(
            &take(jdy_member_save(client.0, gbk_name.as_ptr().cast())),
            "invalid_argument",
        );
        assert!(e["message"].as_str().unwrap().contains("UTF-8"));
    }
    for text in [
        "",
        "not json",
        "[1,2]",
        "\"a string\"",
        "42",
        "null",
        "{\"mobile\":",
        "{} {}",
    ] {
        let envelope = take(unsafe { jdy_member_save(client.0, c(text).as_ptr()) });
        expect_error(&envelope, "invalid_argument");
        let envelope = take(unsafe { jdy_member_validate(c(text).as_ptr()) });
        expect_error(&envelope, "invalid_argument");
    }
    let huge = format!("{{\"name\":\"{}\"}}", "x".repeat(2 << 20));
    expect_error(
        &take(unsafe { jdy_member_validate(c(&huge).as_ptr()) }),
        "invalid_argument",
    );
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    expect_error(
        &take(unsafe { jdy_member_validate(c(&deep).as_ptr()) }),
        "invalid_argument",
    );
    assert_eq!(sandbox.stats().requests, 0);
}

#[test]
fn client_creation_failures_fill_error_json() {
    let mut error = std::ptr::null_mut();
    let client = unsafe { jdy_client_new(std::ptr::null(), &mut error) };
    assert!(client.is_null());
    expect_error(&take(error), "invalid_argument");

    // error_json may be NULL.
    assert!(unsafe { jdy_client_new(std::ptr::null(), std::ptr::null_mut()) }.is_null());

    let config = json!({"client_id": "fake", "client_secret": "fake-secret-xyz", "cleint_id": 1});
    let error = CClient::try_new(&config).err().expect("refused");
    let error = expect_error(&error, "config");
    assert!(error["message"]
        .as_str()
        .unwrap()
        .contains("did you mean `client_id`"));
    assert!(!error.to_string().contains("fake-secret-xyz"));

    unsafe {
        jdy_client_free(std::ptr::null_mut());
        jdy_string_free(std::ptr::null_mut());
    }
}

#[test]
fn version_is_the_crate_version() {
    let version = unsafe { std::ffi::CStr::from_ptr(jdy_version()) };
    assert_eq!(version.to_str().unwrap(), env!("CARGO_PKG_VERSION"));
}

#[test]
fn validate_returns_the_normalised_member() {
    let data = expect_ok(&validate(
        &json!({"mobile": "0086 133 3333 3333", "name": " 会员A ", "sex_group": 1}),
    ));
    assert_eq!(
        data,
        json!({"mobile": "13333333333", "name": "会员A", "sex_group": "1"})
    );
}

#[test]
fn an_unreachable_gateway_is_a_retryable_network_error() {
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let config = json!({"client_id": "fake", "client_secret": "fake", "app_key": "k",
        "app_secret": "s", "domain": "https://tf.jdy.com", "base_url": format!("http://127.0.0.1:{port}")});
    let client = CClient::new(&config);
    let error = expect_error(&client.save(&seed_member()), "network");
    assert_eq!(error["retryable"], true);
}

/// A server that accepts and answers with `answer` (or never, when None) — a broken gateway.
fn broken_server(answer: Option<&'static str>) -> (u16, std::thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = std::thread::spawn(move || {
        let Ok((mut stream, _)) = listener.accept() else {
            return;
        };
        let mut buf = [0u8; 65536];
        let _ = stream.read(&mut buf);
        match answer {
            Some(text) => {
                let _ = stream.write_all(text.as_bytes());
            }
            None => std::thread::sleep(Duration::from_millis(1500)),
        }
    });
    (port, handle)
}

fn direct_config(port: u16, timeout_ms: u64) -> Value {
    json!({"client_id": "fake", "client_secret": "fake", "app_key": "k", "app_secret": "s",
        "domain": "https://tf.jdy.com", "base_url": format!("http://127.0.0.1:{port}"),
        "timeout_ms": timeout_ms, "max_retries": 0})
}

#[test]
fn a_silent_gateway_is_a_timeout_within_the_limit() {
    let (port, server) = broken_server(None);
    let client = CClient::new(&direct_config(port, 300));
    let started = Instant::now();
    let error = expect_error(&client.save(&seed_member()), "timeout");
    assert!(
        started.elapsed() < Duration::from_millis(1200),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(error["retryable"], true);
    server.join().unwrap();
}

#[test]
fn a_non_json_answer_is_a_server_error() {
    let (port, server) = broken_server(Some(
        "HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/html\r\nContent-Length: 11\r\nConnection: close\r\n\r\n<html>x</b>",
    ));
    let client = CClient::new(&direct_config(port, 2000));
    let error = expect_error(&client.save(&seed_member()), "server");
    assert_eq!(error["http_status"], 502);
    server.join().unwrap();
}

fn save_batch(client: &CClient, members: &Value, options: Option<&Value>) -> Value {
    let members = c(&members.to_string());
    let options = options.map(|o| c(&o.to_string()));
    let options_ptr = options.as_ref().map_or(std::ptr::null(), |o| o.as_ptr());
    take(unsafe { jdy_member_save_batch(client.0, members.as_ptr(), options_ptr) })
}

#[test]
fn a_batch_saves_valid_members_refuses_invalid_ones_and_keeps_input_order() {
    let sandbox = sandbox();
    let client = CClient::new(&config(&sandbox));
    let mut members: Vec<Value> = (0..50u64)
        .map(|i| member(13_200_000_000 + i, &format!("批量{i}")))
        .collect();
    members[3] = json!({"mobile": "123", "name": "坏号码"});
    members[17] = json!("not an object");
    members[40] = json!({"mobile": "13200000040", "name": "", "sex_group": 9});
    let data = expect_ok(&save_batch(
        &client,
        &Value::Array(members),
        Some(&json!({"concurrency": 8})),
    ));
    assert_eq!(
        (
            data["saved"].as_u64(),
            data["refused"].as_u64(),
            data["failed"].as_u64()
        ),
        (Some(47), Some(3), Some(0))
    );
    let results = data["results"].as_array().unwrap();
    assert_eq!(results.len(), 50);
    for (i, result) in results.iter().enumerate() {
        match i {
            3 | 40 => assert_eq!(result["error"]["kind"], "validation"),
            17 => assert_eq!(result["error"]["kind"], "invalid_argument"),
            _ => assert_eq!(
                result["data"]["name"],
                format!("批量{i}"),
                "result {i} in input order"
            ),
        }
    }
    let stats = sandbox.stats();
    assert_eq!(stats.save_calls, 47, "invalid members were never sent");
    assert_eq!(stats.token_calls, 1);
}

#[test]
fn batch_arguments_are_checked() {
    let sandbox = sandbox();
    let client = CClient::new(&config(&sandbox));
    expect_error(
        &save_batch(&client, &json!({"mobile": "1"}), None),
        "invalid_argument",
    );
    let error = expect_error(
        &save_batch(
            &client,
            &json!([]),
            Some(&json!({"concurrency": 0, "rat": 1})),
        ),
        "validation",
    );
    assert_eq!(error["fields"].as_array().unwrap().len(), 2);
    let data = expect_ok(&save_batch(&client, &json!([]), None));
    assert_eq!(data["results"], json!([]));
    let null = std::ptr::null();
    expect_error(
        &take(unsafe { jdy_member_save_batch(client.0, null, null) }),
        "invalid_argument",
    );
    assert_eq!(sandbox.stats().requests, 0);
}

#[test]
fn a_batch_never_exceeds_its_rate() {
    let sandbox = sandbox();
    let client = CClient::new(&config(&sandbox));
    let members: Vec<Value> = (0..10u64)
        .map(|i| member(13_210_000_000 + i, "限速"))
        .collect();
    let started = Instant::now();
    let data = expect_ok(&save_batch(
        &client,
        &Value::Array(members),
        Some(&json!({"concurrency": 10, "rate": 20})),
    ));
    assert_eq!(data["saved"], 10);
    assert!(
        started.elapsed() >= Duration::from_millis(440),
        "10 at 20/s take at least 0.45 s"
    );
}
