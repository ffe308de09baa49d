use super::*;
use crate::error::ErrorKind;

fn direct() -> Value {
    serde_json::json!({
        "client_id": "fake-id", "client_secret": "fake-client-secret",
        "app_key": "fake-key", "app_secret": "fake-app-secret", "domain": "https://tf.jdy.com"
    })
}

fn parse(v: &Value) -> Result<Config> {
    Config::from_json(&v.to_string())
}

fn with(key: &str, value: Value) -> Result<Config> {
    let mut v = direct();
    v[key] = value;
    parse(&v)
}

#[test]
fn direct_mode_with_defaults() {
    let c = parse(&direct()).unwrap();
    assert_eq!(c.base_url, api::DEFAULT_BASE_URL);
    assert_eq!(c.timeout, Duration::from_millis(DEFAULT_TIMEOUT_MS));
    assert!(matches!(c.app_source, AppSource::Direct(_)));
    assert_eq!(c.request_budget, Some(RequestBudget::default()));
    assert_eq!(c.token_cache, TokenCachePath::PerUser);
}

#[test]
fn authorization_mode() {
    let v = serde_json::json!({"client_id": "a", "client_secret": "b", "outer_instance_id": "c",
        "base_url": "http://127.0.0.1:9/", "timeout_ms": 500, "account_id": "42",
        "token_cache_path": null, "request_budget": {"requests": 50, "window_s": 6}});
    let c = parse(&v).unwrap();
    assert_eq!(c.base_url, "http://127.0.0.1:9");
    assert_eq!(c.timeout, Duration::from_millis(500));
    assert!(matches!(&c.app_source, AppSource::Authorize { account_id: Some(a), .. } if a == "42"));
    assert_eq!(c.token_cache, TokenCachePath::Off);
    assert_eq!(
        c.request_budget,
        Some(RequestBudget {
            requests: 50,
            window: Duration::from_secs(6)
        })
    );
}

#[test]
fn every_problem_is_reported_and_no_secret_is_echoed() {
    let v = serde_json::json!({"client_secret": "top-secret-value", "app_key": "k",
        "timeout_ms": -1, "cleint_id": "x", "base_url": "ftp://x"});
    let e = parse(&v).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Config);
    for needle in [
        "`client_id` is required",
        "did you mean `client_id`",
        "timeout_ms",
        "must be given together",
        "base_url",
    ] {
        assert!(
            e.message.contains(needle),
            "missing {needle:?} in {}",
            e.message
        );
    }
    assert!(!e.message.contains("top-secret-value"));
    assert!(!format!("{:?}", parse(&direct()).unwrap()).contains("fake-client-secret"));
}

#[test]
fn base_urls_are_parsed_strictly() {
    for (url, expected) in [
        ("https://api.kingdee.com", "https://api.kingdee.com"),
        (
            "https://api.kingdee.com:8443/",
            "https://api.kingdee.com:8443",
        ),
        ("http://127.0.0.1:8790", "http://127.0.0.1:8790"),
        ("http://localhost:1", "http://localhost:1"),
        ("http://[::1]:80", "http://[::1]"),
    ] {
        assert_eq!(parse_base_url(url).as_deref(), Ok(expected), "{url}");
    }
    for (url, needle) in [
        ("http://[::1", "not a URL"),
        ("http://api.kingdee.com", "not this machine"),
        ("http://10.0.0.5:8080", "unencrypted"),
        (
            "https://user:hunter2@api.kingdee.com",
            "user name or password",
        ),
        ("https://api.kingdee.com/jdy", "must not have a path"),
        ("https://api.kingdee.com/?x=1", "query"),
        ("ftp://api.kingdee.com", "https://"),
        ("not a url", "not a URL"),
    ] {
        let problem = parse_base_url(url).unwrap_err();
        assert!(problem.contains(needle), "{url}: {problem}");
        assert!(!problem.contains("hunter2"), "{problem}");
    }
}

#[test]
fn header_values_with_control_characters_are_refused() {
    for (key, value) in [
        ("client_id", "fake\r\nX-Evil: 1"),
        ("domain", "https://tf.jdy.com\nX-Evil: 1"),
        ("app_key", "a b"),
    ] {
        let e = with(key, value.into()).unwrap_err();
        assert!(
            e.message
                .contains(&format!("`{key}` must be printable ASCII")),
            "{}",
            e.message
        );
    }
}

#[test]
fn proxies_budgets_and_modes() {
    assert!(with("proxy", "socks5://127.0.0.1:1080".into()).is_ok());
    assert!(with("proxy", "http://user:pw@10.0.0.1:3128".into()).is_ok());
    let e = with("proxy", "ftp://10.0.0.1:21".into()).unwrap_err();
    assert!(
        e.message.contains("`proxy` must start with"),
        "{}",
        e.message
    );
    assert_eq!(
        with("request_budget", Value::Null).unwrap().request_budget,
        None
    );
    for bad in [
        serde_json::json!({"requests": 0}),
        serde_json::json!({"window_s": 1e9}),
        serde_json::json!(5),
        serde_json::json!({"rate": 1}),
    ] {
        assert!(with("request_budget", bad.clone()).is_err(), "{bad}");
    }
    assert!(with("account_id", "1".into())
        .unwrap_err()
        .message
        .contains("goes with `outer_instance_id`"));
}

#[test]
fn labels_go_as_given_unless_resolving_is_chosen() {
    assert_eq!(parse(&direct()).unwrap().labels, Labels::AsGiven);
    assert_eq!(
        with("labels", "resolve_to_ids".into()).unwrap().labels,
        Labels::ResolveToIds
    );
    assert_eq!(with("labels", Value::Null).unwrap().labels, Labels::AsGiven);
    for bad in [serde_json::json!("ids"), serde_json::json!(true)] {
        let e = with("labels", bad.clone()).unwrap_err();
        assert!(e.message.contains("`labels`"), "{bad}: {}", e.message);
    }
}

#[test]
fn both_modes_at_once_is_refused() {
    let mut v = direct();
    v["outer_instance_id"] = "x".into();
    assert!(parse(&v).unwrap_err().message.contains("not both"));
}

#[test]
fn non_object_is_invalid_argument() {
    assert_eq!(
        Config::from_json("[]").unwrap_err().kind,
        ErrorKind::InvalidArgument
    );
}

#[test]
fn every_key_is_read_as_its_kind_says() {
    for (key, kind) in keys::KEYS {
        let (wrong, expected) = match kind {
            KeyKind::Whole => (Value::from("5"), format!("`{key}` must be a whole number")),
            KeyKind::JsonOrOff => (Value::from("5"), format!("`{key}` must be an object")),
            KeyKind::Text | KeyKind::PathOrOff => {
                (Value::from(5), format!("`{key}` must be a string"))
            }
        };
        let e = with(key, wrong).unwrap_err();
        assert!(e.message.contains(&expected), "{key}: {}", e.message);
    }
    assert_eq!(CONFIG_KEYS.len(), keys::KEYS.len());
    assert_eq!(key_kind("deadline_ms"), Some(KeyKind::Whole));
    assert_eq!(key_kind("nope"), None);
}

#[test]
fn a_text_becomes_the_value_its_key_takes() {
    assert_eq!(
        value_from_text("deadline_ms", " 500 "),
        Ok(Value::from(500))
    );
    assert_eq!(
        value_from_text("max_retries", "off").unwrap_err(),
        "must be a whole number"
    );
    assert_eq!(value_from_text("request_budget", "OFF"), Ok(Value::Null));
    assert_eq!(
        value_from_text("request_budget", r#"{"requests": 5}"#),
        Ok(serde_json::json!({"requests": 5}))
    );
    assert!(value_from_text("request_budget", "{")
        .unwrap_err()
        .starts_with("must be JSON like"));
    for off in ["none", " ", ""] {
        assert_eq!(value_from_text("token_cache_path", off), Ok(Value::Null));
    }
    assert_eq!(
        value_from_text("domain", " https://tf.jdy.com "),
        Ok(Value::from(" https://tf.jdy.com "))
    );
}
