//! Client configuration: a JSON object, checked completely before any request is made.

use crate::error::{Error, Result};
use crate::input;
use serde_json::{Map, Value};
use std::time::Duration;

pub const DEFAULT_BASE_URL: &str = "https://api.kingdee.com";
pub const DEFAULT_TIMEOUT_MS: u64 = 30_000;
pub const DEFAULT_CONNECT_TIMEOUT_MS: u64 = 10_000;
pub const DEFAULT_MAX_RETRIES: u64 = 3;
pub const DEFAULT_DEADLINE_MS: u64 = 60_000;
pub const DEFAULT_RETRY_BACKOFF_MS: u64 = 200;

/// Every configuration key (the command line reads each from `JDY_<KEY>` too).
pub const CONFIG_KEYS: [&str; 16] = [
    "client_id",
    "client_secret",
    "app_key",
    "app_secret",
    "domain",
    "outer_instance_id",
    "base_url",
    "timeout_ms",
    "connect_timeout_ms",
    "proxy",
    "max_retries",
    "deadline_ms",
    "retry_backoff_ms",
    "token_cache_path",
    "log_path",
    "log_level",
];

/// How much the log says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    Error,
    Warn,
    Info,
    Debug,
}

impl LogLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            LogLevel::Error => "error",
            LogLevel::Warn => "warn",
            LogLevel::Info => "info",
            LogLevel::Debug => "debug",
        }
    }

    fn parse(text: &str) -> Option<LogLevel> {
        match text.to_ascii_lowercase().as_str() {
            "error" => Some(LogLevel::Error),
            "warn" | "warning" => Some(LogLevel::Warn),
            "info" => Some(LogLevel::Info),
            "debug" => Some(LogLevel::Debug),
            _ => None,
        }
    }
}

/// Where the app key, app secret and routing domain come from.
#[derive(Clone, PartialEq, Eq)]
pub enum AppSource {
    /// Given directly in the configuration.
    Direct(AppCredentials),
    /// Fetched from the authorization endpoint with this outer instance id (and fetched
    /// again when Kingdee rotates the app secret).
    Authorize { outer_instance_id: String },
}

/// The app-level credentials a token is requested with, and the routing domain.
#[derive(Clone, PartialEq, Eq)]
pub struct AppCredentials {
    pub app_key: String,
    pub app_secret: String,
    pub domain: String,
}

// Hand-written so that no `{:?}` anywhere can print a secret.
impl std::fmt::Debug for AppCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppCredentials")
            .field("app_key", &self.app_key)
            .field("app_secret", &"<redacted>")
            .field("domain", &self.domain)
            .finish()
    }
}

/// A checked configuration.
#[derive(Clone)]
pub struct Config {
    pub client_id: String,
    pub client_secret: String,
    pub app_source: AppSource,
    /// Without a trailing slash.
    pub base_url: String,
    pub timeout: Duration,
    pub connect_timeout: Duration,
    pub proxy: Option<String>,
    /// Retries after the first attempt, for failures that are safe to retry.
    pub max_retries: u32,
    /// The whole call, retries and waits included, ends by then.
    pub deadline: Duration,
    /// The first wait before a retry; it doubles each time (with jitter), at most 5 s.
    pub retry_backoff: Duration,
    /// A file shared by processes so they fetch one app-token between them.
    pub token_cache_path: Option<std::path::PathBuf>,
    /// Where one line per request is appended, and how much is written.
    pub log: Option<(std::path::PathBuf, LogLevel)>,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .field("base_url", &self.base_url)
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .finish_non_exhaustive()
    }
}

impl Config {
    /// Parses configuration JSON text.
    pub fn from_json(json: &str) -> Result<Config> {
        let map = input::parse_object(json, "configuration")?;
        Config::from_map(&map)
    }

    /// Checks a configuration object; every problem is reported at once.
    pub fn from_map(map: &Map<String, Value>) -> Result<Config> {
        let mut problems = Vec::new();
        for key in map.keys() {
            if !CONFIG_KEYS.contains(&key.as_str()) {
                problems.push(input::unknown_key_message(key, &CONFIG_KEYS));
            }
        }
        let mut text = |key: &str, required: bool| -> Option<String> {
            match map.get(key) {
                None | Some(Value::Null) => {
                    if required {
                        problems.push(format!("`{key}` is required"));
                    }
                    None
                }
                Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_string()),
                Some(Value::String(_)) => {
                    problems.push(format!("`{key}` must not be empty"));
                    None
                }
                Some(other) => {
                    problems.push(format!(
                        "`{key}` must be a string, not {}",
                        input::json_type_name(other)
                    ));
                    None
                }
            }
        };
        let client_id = text("client_id", true);
        let client_secret = text("client_secret", true);
        let app_key = text("app_key", false);
        let app_secret = text("app_secret", false);
        let domain = text("domain", false);
        let outer_instance_id = text("outer_instance_id", false);
        let base_url = text("base_url", false);
        let proxy = text("proxy", false);
        let token_cache_path = text("token_cache_path", false);
        let log_path = text("log_path", false);
        let log_level = text("log_level", false);

        let mut millis = |key: &str, default: u64| -> u64 {
            match map.get(key) {
                None | Some(Value::Null) => default,
                Some(v) => match v.as_u64() {
                    Some(ms) if (1..=3_600_000).contains(&ms) => ms,
                    _ => {
                        problems.push(format!(
                            "`{key}` must be a whole number of milliseconds from 1 to 3600000"
                        ));
                        default
                    }
                },
            }
        };
        let timeout_ms = millis("timeout_ms", DEFAULT_TIMEOUT_MS);
        let connect_timeout_ms = millis("connect_timeout_ms", DEFAULT_CONNECT_TIMEOUT_MS);
        let deadline_ms = millis("deadline_ms", DEFAULT_DEADLINE_MS);
        let retry_backoff_ms = millis("retry_backoff_ms", DEFAULT_RETRY_BACKOFF_MS);
        let max_retries = match map.get("max_retries") {
            None | Some(Value::Null) => DEFAULT_MAX_RETRIES,
            Some(v) => match v.as_u64() {
                Some(n) if n <= 10 => n,
                _ => {
                    problems.push("`max_retries` must be a whole number from 0 to 10".into());
                    DEFAULT_MAX_RETRIES
                }
            },
        };
        let log = match (log_path, log_level) {
            (Some(path), level) => match level.as_deref().map(LogLevel::parse) {
                None => Some((path.into(), LogLevel::Info)),
                Some(Some(level)) => Some((path.into(), level)),
                Some(None) => {
                    problems.push("`log_level` must be error, warn, info or debug".into());
                    None
                }
            },
            (None, Some(_)) => {
                problems.push("`log_level` needs `log_path`, the file to write to".into());
                None
            }
            (None, None) => None,
        };

        let direct_given = app_key.is_some() || app_secret.is_some() || domain.is_some();
        let app_source = match (outer_instance_id, direct_given) {
            (Some(_), true) => {
                problems.push(
                    "give either `outer_instance_id` or `app_key` + `app_secret` + `domain`, not both"
                        .into(),
                );
                None
            }
            (Some(outer_instance_id), false) => Some(AppSource::Authorize { outer_instance_id }),
            (None, true) => match (app_key, app_secret, domain) {
                (Some(app_key), Some(app_secret), Some(domain)) => {
                    Some(AppSource::Direct(AppCredentials {
                        app_key,
                        app_secret,
                        domain,
                    }))
                }
                _ => {
                    problems
                        .push("`app_key`, `app_secret` and `domain` must be given together".into());
                    None
                }
            },
            (None, false) => {
                problems.push(
                    "give `outer_instance_id`, or `app_key` + `app_secret` + `domain` (from Kingdee's authorization)"
                        .into(),
                );
                None
            }
        };

        let base_url = base_url
            .unwrap_or_else(|| DEFAULT_BASE_URL.to_string())
            .trim_end_matches('/')
            .to_string();
        if !(base_url.starts_with("https://") || base_url.starts_with("http://")) {
            problems.push(
                "`base_url` must start with https:// (or http:// for a local sandbox)".into(),
            );
        }
        if let Some(proxy) = &proxy {
            if let Err(e) = ureq::Proxy::new(proxy) {
                problems.push(format!("`proxy` is not a usable proxy URL ({e})"));
            }
        }

        match (client_id, client_secret, app_source) {
            (Some(client_id), Some(client_secret), Some(app_source)) if problems.is_empty() => {
                Ok(Config {
                    client_id,
                    client_secret,
                    app_source,
                    base_url,
                    timeout: Duration::from_millis(timeout_ms),
                    connect_timeout: Duration::from_millis(connect_timeout_ms),
                    proxy,
                    max_retries: max_retries as u32,
                    deadline: Duration::from_millis(deadline_ms),
                    retry_backoff: Duration::from_millis(retry_backoff_ms),
                    token_cache_path: token_cache_path.map(Into::into),
                    log,
                })
            }
            _ => Err(Error::config(format!(
                "the client configuration is not usable: {}",
                problems.join("; ")
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
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

    #[test]
    fn direct_mode_with_defaults() {
        let c = parse(&direct()).unwrap();
        assert_eq!(c.base_url, DEFAULT_BASE_URL);
        assert_eq!(c.timeout, Duration::from_millis(DEFAULT_TIMEOUT_MS));
        assert!(matches!(c.app_source, AppSource::Direct(_)));
    }

    #[test]
    fn authorization_mode() {
        let v = serde_json::json!({"client_id": "a", "client_secret": "b", "outer_instance_id": "c",
            "base_url": "http://127.0.0.1:9/", "timeout_ms": 500});
        let c = parse(&v).unwrap();
        assert_eq!(c.base_url, "http://127.0.0.1:9");
        assert_eq!(c.timeout, Duration::from_millis(500));
        assert!(matches!(c.app_source, AppSource::Authorize { .. }));
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
}
