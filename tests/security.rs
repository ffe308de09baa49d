//! Security and hostile networks: the token cache cannot be hijacked, the log is private,
//! plain http goes nowhere but loopback, an unreachable gateway fails a batch fast, and
//! every value that could never work is refused at the door, without echoing a secret.

mod common;

use common::*;
use serde_json::{json, Value};
use std::path::Path;
use std::time::{Duration, Instant};

/// Runs `f` on a thread and fails the test if it has not finished within `limit` (a hang).
fn within<T: Send + 'static>(limit: Duration, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (done, result) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = done.send(f());
    });
    result
        .recv_timeout(limit)
        .unwrap_or_else(|_| panic!("did not finish within {limit:?}: a hang"))
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::symlink_metadata(path)
        .unwrap()
        .permissions()
        .mode()
        & 0o777
}

#[cfg(unix)]
fn chmod(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

#[test]
#[cfg(unix)]
fn a_token_cache_in_a_folder_others_can_write_is_not_used_and_the_log_says_why() {
    let sandbox = sandbox();
    let shared = private_dir("world-writable");
    chmod(&shared, 0o777);
    let logs = private_dir("world-writable-log");
    let mut config = config(&sandbox);
    config["token_cache_path"] = shared.join("token.json").display().to_string().into();
    config["log_path"] = logs.join("client.log").display().to_string().into();
    let client = CClient::new(&config);
    expect_ok(&client.save(&seed_member()));
    assert!(
        !shared.join("token.json").exists(),
        "nothing written where others can write"
    );
    let log = std::fs::read_to_string(logs.join("client.log")).unwrap();
    assert!(
        log.contains("is not used") && log.contains("other users"),
        "{log}"
    );
    assert_eq!(
        mode(&logs.join("client.log")),
        0o600,
        "the log is owner-only"
    );
}

#[test]
#[cfg(unix)]
fn a_symlink_planted_at_the_cache_is_replaced_not_followed() {
    let sandbox = sandbox();
    let dir = private_dir("planted");
    let victim = dir.join("victim.txt");
    std::fs::write(&victim, "the till's own file").unwrap();
    let cache = dir.join("token.json");
    std::os::unix::fs::symlink(&victim, &cache).unwrap();
    let mut config = config(&sandbox);
    config["token_cache_path"] = cache.display().to_string().into();
    expect_ok(&CClient::new(&config).save(&seed_member()));
    assert_eq!(
        std::fs::read_to_string(&victim).unwrap(),
        "the till's own file"
    );
    assert!(!std::fs::symlink_metadata(&cache)
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(mode(&cache), 0o600);
    let token = &sandbox.issued_tokens()[0];
    assert!(std::fs::read_to_string(&cache)
        .unwrap()
        .contains(token.as_str()));

    // A symlink at the lock: the cache is not used, the save still works.
    let other = private_dir("planted-lock");
    let lock_victim = other.join("victim.txt");
    std::fs::write(&lock_victim, "untouched").unwrap();
    std::os::unix::fs::symlink(&lock_victim, other.join("token.json.lock")).unwrap();
    let mut config = config.clone();
    config["token_cache_path"] = other.join("token.json").display().to_string().into();
    expect_ok(&CClient::new(&config).save(&member(13_900_000_001, "锁")));
    assert_eq!(std::fs::read_to_string(&lock_victim).unwrap(), "untouched");
}

#[test]
#[cfg(unix)]
fn a_symlink_at_the_log_path_is_refused_at_creation() {
    let sandbox = sandbox();
    let dir = private_dir("log-link");
    let victim = dir.join("victim.txt");
    std::fs::write(&victim, "keep").unwrap();
    std::os::unix::fs::symlink(&victim, dir.join("client.log")).unwrap();
    let mut config = config(&sandbox);
    config["log_path"] = dir.join("client.log").display().to_string().into();
    let envelope = CClient::try_new(&config).err().expect("refused");
    let error = expect_error(&envelope, "config");
    assert!(
        error["message"].as_str().unwrap().contains("log_path"),
        "{error}"
    );
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep");
}

/// A client configuration whose gateway is a port nobody listens on: every connection is
/// refused.
fn unreachable_gateway_config() -> Value {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    json!({
        "client_id": "fake-id", "client_secret": "fake-secret-of-32-characters-00",
        "app_key": "fake-key", "app_secret": "fake-app-secret", "domain": "https://tf.jdy.com",
        "base_url": format!("http://127.0.0.1:{port}"), "token_cache_path": null,
        "request_budget": null, "retry_backoff_ms": 200,
    })
}

#[test]
fn a_batch_against_an_unreachable_gateway_fails_fast_and_says_nothing_was_sent() {
    let config = unreachable_gateway_config();
    let client = CClient::new(&config);
    let members = Value::Array(
        (0..1_000)
            .map(|i| member(13_000_000_000 + i, "断网"))
            .collect(),
    );
    let started = Instant::now();
    let summary = batch(&client, &members, r#"{"concurrency": 8}"#);
    let elapsed = started.elapsed();
    assert!(elapsed < Duration::from_millis(1_500), "{elapsed:?}");
    assert_eq!(summary["failed"], 1_000);
    for result in summary["results"].as_array().unwrap() {
        let error = &result["error"];
        assert_eq!(error["kind"], "network", "{error}");
        assert_eq!(error["retryable"], true, "{error}");
        assert!(
            error.get("outcome_unknown").is_none(),
            "certainly not saved: {error}"
        );
    }
}

#[test]
fn a_batch_run_in_parts_stops_sending_for_good_once_the_gateway_is_unreachable() {
    // An import sends a large file a part at a time through one run: once the first part
    // has found the gateway unreachable, the later parts are reported not sent at once.
    let config = unreachable_gateway_config();
    let client =
        jdy_member::Client::new(jdy_member::Config::from_json(&config.to_string()).unwrap())
            .unwrap();
    let options = jdy_member::batch::BatchOptions {
        concurrency: 4,
        rate: None,
    };
    let run = jdy_member::batch::BatchRun::new(&client, &options);
    let part = |from: u64| -> Vec<Value> {
        (from..from + 50)
            .map(|i| member(13_000_000_000 + i, "断网"))
            .collect()
    };
    let first = run.save_all(&part(0), &jdy_member::batch::Silent);
    assert!(first.iter().all(Result::is_err));
    let started = Instant::now();
    let second = run.save_all(&part(50), &jdy_member::batch::Silent);
    assert!(
        started.elapsed() < Duration::from_millis(100),
        "{:?}",
        started.elapsed()
    );
    for result in &second {
        let error = result.as_ref().unwrap_err();
        assert!(
            error
                .message
                .starts_with("not sent: the gateway could not be reached"),
            "{}",
            error.message
        );
        assert!(error.retryable && !error.outcome_unknown, "{error:?}");
    }
}

#[test]
fn values_that_could_never_work_are_refused_at_creation_without_echoing_secrets() {
    let base = json!({
        "client_id": "fake-id", "client_secret": "fake-client-secret",
        "app_key": "fake-key", "app_secret": "fake-app-secret", "domain": "https://tf.jdy.com",
    });
    let cases: Vec<(&str, Value, &str)> = vec![
        ("broken IPv6 host", json!("http://[::1"), "base_url"),
        (
            "plain http to the network",
            json!("http://api.kingdee.com"),
            "unencrypted",
        ),
        (
            "a password in the URL",
            json!("https://shop:hunter2-secret@api.kingdee.com"),
            "user name or password",
        ),
        (
            "a path after the host",
            json!("https://api.kingdee.com/jdy"),
            "path",
        ),
    ];
    for (name, base_url, needle) in cases {
        let mut config = base.clone();
        config["base_url"] = base_url;
        let envelope = within(Duration::from_secs(5), move || {
            CClient::try_new(&config).err()
        })
        .unwrap_or_else(|| panic!("{name} was accepted"));
        let error = expect_error(&envelope, "config");
        let message = error["message"].as_str().unwrap();
        assert!(message.contains(needle), "{name}: {message}");
        assert!(
            !envelope.to_string().contains("hunter2"),
            "{name}: {envelope}"
        );
    }
    for (key, value) in [
        ("client_id", "fake-id\r\nX-Injected: 1"),
        ("domain", "https://tf.jdy.com\r\nX-Injected: 1"),
        ("app_key", "key with spaces"),
        ("proxy", "ftp://10.0.0.1:21"),
        ("proxy", "socks6://10.0.0.1:1080"),
    ] {
        let mut config = base.clone();
        config[key] = value.into();
        let envelope = CClient::try_new(&config)
            .err()
            .unwrap_or_else(|| panic!("{key}={value:?}"));
        let error = expect_error(&envelope, "config");
        assert!(error["message"].as_str().unwrap().contains(key), "{error}");
        assert!(!envelope.to_string().contains("fake-client-secret"));
    }
}

#[test]
fn runaway_queries_and_options_are_validation_errors_not_network_errors() {
    let sandbox = sandbox();
    let client = CClient::new(&config(&sandbox));
    let long_id = "1".repeat(100_000);
    let error = expect_error(&client.get(&json!({"id": long_id})), "validation");
    assert!(
        error["fields"][0]["message"]
            .as_str()
            .unwrap()
            .contains("256"),
        "{error}"
    );
    let error = expect_error(
        &client.list(&json!({"name": "x".repeat(1000)})),
        "validation",
    );
    assert_eq!(error["fields"][0]["field"], "name");
    for rate in [1e-300, 1e-6, 0.0, -1.0, 1e9] {
        let members = c(r#"[{"mobile": "13333333333", "name": "a"}]"#);
        let options = c(&json!({"rate": rate}).to_string());
        let envelope = within(Duration::from_secs(5), {
            let client = client.0 as usize;
            move || {
                take(unsafe {
                    jdy_member::ffi::jdy_member_save_batch(
                        client as *mut jdy_member::ffi::JdyClient,
                        members.as_ptr(),
                        options.as_ptr(),
                    )
                })
            }
        });
        let error = expect_error(&envelope, "validation");
        assert_eq!(error["fields"][0]["field"], "rate", "{rate}");
    }
    assert_eq!(sandbox.stats().requests, 0, "nothing was sent");
}

#[test]
fn names_that_would_lie_on_screen_are_refused() {
    for (name, what) in [
        ("张\u{0}三", "control"),
        ("\u{202E}三张", "bidirectional"),
        ("会员\u{2066}A", "bidirectional"),
        ("\u{200B}\u{200B}", "invisible"),
        ("\u{FEFF}", "invisible"),
        ("a\tb", "control"),
    ] {
        let envelope = validate(&json!({"mobile": "13333333333", "name": name}));
        let error = expect_error(&envelope, "validation");
        let message = error["fields"][0]["message"].as_str().unwrap();
        assert!(message.contains(what), "{name:?}: {message}");
    }
    let remark =
        validate(&json!({"mobile": "13333333333", "name": "a", "remark": "第一行\n第二行"}));
    assert_eq!(
        expect_ok(&remark)["remark"],
        "第一行\n第二行",
        "a remark may have lines"
    );
    let bidi = validate(&json!({"mobile": "13333333333", "name": "a", "address": "\u{202E}x"}));
    assert_eq!(
        expect_error(&bidi, "validation")["fields"][0]["field"],
        "address"
    );
}

#[test]
fn a_batch_member_larger_than_one_save_allows_is_refused_alone() {
    let sandbox = sandbox();
    let client = CClient::new(&config(&sandbox));
    let huge = json!({"mobile": "13333333334", "name": "大", "remark": "x".repeat(2 << 20)});
    let members = json!([{"mobile": "13333333333", "name": "小"}, huge]);
    let summary = batch(&client, &members, "{}");
    assert_eq!(summary["saved"], 1);
    let error = &summary["results"][1]["error"];
    assert_eq!(error["kind"], "invalid_argument", "{error}");
    assert!(
        error["message"].as_str().unwrap().contains("limit"),
        "{error}"
    );
    assert_eq!(sandbox.stats().save_calls, 1);
}
