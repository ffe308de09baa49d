//! The configuration's keys, and how each is written as text: the command line reads every
//! key from `JDY_<KEY>` too, and a text becomes the key's value the way the key's kind says
//! (a new key says its kind here, so a number is never passed on as a string).

use serde_json::Value;

/// How a configuration value is written as text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    /// A string, as given.
    Text,
    /// A whole number.
    Whole,
    /// A JSON object, or `off` (`none`, `null`) for null.
    JsonOrOff,
    /// A path, or `off` (`none`, `null`, nothing) for null.
    PathOrOff,
}

/// Every configuration key, with its kind.
pub const KEYS: [(&str, KeyKind); 25] = [
    ("client_id", KeyKind::Text),
    ("client_secret", KeyKind::Text),
    ("app_key", KeyKind::Text),
    ("app_secret", KeyKind::Text),
    ("domain", KeyKind::Text),
    ("outer_instance_id", KeyKind::Text),
    ("account_id", KeyKind::Text),
    ("base_url", KeyKind::Text),
    ("timeout_ms", KeyKind::Whole),
    ("connect_timeout_ms", KeyKind::Whole),
    ("proxy", KeyKind::Text),
    ("ca_file", KeyKind::Text),
    ("max_retries", KeyKind::Whole),
    ("deadline_ms", KeyKind::Whole),
    ("retry_backoff_ms", KeyKind::Whole),
    ("request_budget", KeyKind::JsonOrOff),
    ("token_cache_path", KeyKind::PathOrOff),
    ("log_path", KeyKind::Text),
    ("log_level", KeyKind::Text),
    ("outbox_path", KeyKind::Text),
    ("offline", KeyKind::Text),
    ("outbox_flush_interval_s", KeyKind::Whole),
    ("outbox_keep_days", KeyKind::Whole),
    ("master_data_ttl_s", KeyKind::Whole),
    ("labels", KeyKind::Text),
];

const fn names() -> [&'static str; KEYS.len()] {
    let mut names = [""; KEYS.len()];
    let mut i = 0;
    while i < KEYS.len() {
        names[i] = KEYS[i].0;
        i += 1;
    }
    names
}

/// Every configuration key (the command line reads each from `JDY_<KEY>` too).
pub const CONFIG_KEYS: [&str; KEYS.len()] = names();

/// The kind of a configuration key; None for a key that is not one.
pub fn key_kind(key: &str) -> Option<KeyKind> {
    KEYS.iter().find(|(k, _)| *k == key).map(|(_, kind)| *kind)
}

/// The value `text` stands for as configuration `key` (an unknown key is taken as text,
/// for the configuration to name); the problem in words when it stands for none, e.g.
/// "must be a whole number".
pub fn value_from_text(key: &str, text: &str) -> Result<Value, String> {
    let off = matches!(
        text.trim().to_ascii_lowercase().as_str(),
        "off" | "none" | "null"
    );
    match key_kind(key).unwrap_or(KeyKind::Text) {
        KeyKind::Whole => text
            .trim()
            .parse::<u64>()
            .map(Value::from)
            .map_err(|_| "must be a whole number".to_string()),
        KeyKind::JsonOrOff if off => Ok(Value::Null),
        KeyKind::JsonOrOff => serde_json::from_str(text).map_err(|_| {
            r#"must be JSON like {"requests": 500, "window_s": 60}, or off"#.to_string()
        }),
        KeyKind::PathOrOff if off || text.trim().is_empty() => Ok(Value::Null),
        KeyKind::PathOrOff | KeyKind::Text => Ok(Value::from(text)),
    }
}
