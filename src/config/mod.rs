//! Client configuration: a JSON object, checked completely before any request is made, so
//! that a value that could never work is refused at `jdy_client_new` with every problem named,
//! not discovered later as a stream of retried network errors.

use crate::error::{Error, Result};
use crate::input;
use crate::kingdee::api;
use crate::kingdee::labels::{self, Labels};
use serde_json::{Map, Value};
use std::path::PathBuf;
use std::time::Duration;

/// The whole exchange of one request, unless `timeout_ms` says otherwise.
pub const DEFAULT_TIMEOUT_MS: u64 = 30_000;
/// Making the connection, unless `connect_timeout_ms` says otherwise.
pub const DEFAULT_CONNECT_TIMEOUT_MS: u64 = 10_000;
/// Retries after the first attempt, for failures that are safe to retry.
pub const DEFAULT_MAX_RETRIES: u64 = 3;
/// A whole call, retries and waits included.
pub const DEFAULT_DEADLINE_MS: u64 = 60_000;
/// The first wait before a retry.
pub const DEFAULT_RETRY_BACKOFF_MS: u64 = 200;
/// The longest id or filter value a query may carry: Kingdee's ids are 19 digits.
pub const MAX_QUERY_VALUE_CHARS: usize = 256;

/// Every configuration key (the command line reads each from `JDY_<KEY>` too).
pub const CONFIG_KEYS: [&str; 25] = [
    "client_id",
    "client_secret",
    "app_key",
    "app_secret",
    "domain",
    "outer_instance_id",
    "account_id",
    "base_url",
    "timeout_ms",
    "connect_timeout_ms",
    "proxy",
    "ca_file",
    "max_retries",
    "deadline_ms",
    "retry_backoff_ms",
    "request_budget",
    "token_cache_path",
    "log_path",
    "log_level",
    "outbox_path",
    "offline",
    "outbox_flush_interval_s",
    "outbox_keep_days",
    "master_data_ttl_s",
    "labels",
];

/// Stores, levels, customers and labels are fetched again after this long.
pub const DEFAULT_MASTER_DATA_TTL_S: u64 = 600;

/// Saved outbox items are kept this long for auditing, then pruned.
pub const DEFAULT_OUTBOX_KEEP_DAYS: u64 = 30;

/// How much the log says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    /// Bugs and failures the caller sees.
    Error,
    /// Retries, refusals, recovered saves.
    Warn,
    /// One line per request.
    Info,
    /// Token and cache events too.
    Debug,
}

impl LogLevel {
    /// The level's name in the log and in the configuration.
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
    Authorize {
        /// The outer instance id of the authorization.
        outer_instance_id: String,
        /// Which authorized account to use when several are (`accountId`).
        account_id: Option<String>,
    },
}

/// The app-level credentials a token is requested with, and the routing domain.
#[derive(Clone, PartialEq, Eq)]
pub struct AppCredentials {
    /// The app key.
    pub app_key: String,
    /// The app secret (never logged or printed).
    pub app_secret: String,
    /// The tenant's domain, sent as `X-GW-Router-Addr`.
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

/// At most `requests` requests per `window` for one account, shared by every client of it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RequestBudget {
    /// Requests per window.
    pub requests: u32,
    /// The window.
    pub window: Duration,
}

impl Default for RequestBudget {
    fn default() -> Self {
        RequestBudget {
            requests: api::ACCOUNT_BUDGET_REQUESTS,
            window: Duration::from_secs(u64::from(api::ACCOUNT_BUDGET_WINDOW_S)),
        }
    }
}

/// Where the token cache lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenCachePath {
    /// A file per account in the user's cache folder (the default).
    PerUser,
    /// This file.
    File(PathBuf),
    /// No file: each process fetches its own token (`"token_cache_path": null`).
    Off,
}

/// What `jdy_member_save` does when the gateway cannot be reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Offline {
    /// Report the failure (the default).
    Fail,
    /// Keep the member in the outbox and report it queued.
    Queue,
}

/// A checked configuration.
#[derive(Clone)]
pub struct Config {
    /// The gateway client id.
    pub client_id: String,
    /// The gateway client secret (never logged or printed).
    pub client_secret: String,
    /// Where the app credentials come from.
    pub app_source: AppSource,
    /// `scheme://host[:port]`, without a path or a trailing slash.
    pub base_url: String,
    /// The whole exchange of one request.
    pub timeout: Duration,
    /// Making the connection.
    pub connect_timeout: Duration,
    /// An http, https or SOCKS proxy URL.
    pub proxy: Option<String>,
    /// A PEM file of extra trusted root certificates (a shop's TLS-inspecting firewall).
    pub ca_file: Option<PathBuf>,
    /// Retries after the first attempt, for failures that are safe to retry.
    pub max_retries: u32,
    /// The whole call, retries and waits included, ends by then.
    pub deadline: Duration,
    /// The first wait before a retry; it doubles each time (with jitter), at most 5 s.
    pub retry_backoff: Duration,
    /// The account's request budget; None when turned off (`"request_budget": null`).
    pub request_budget: Option<RequestBudget>,
    /// Where the token cache (and the shared budget beside it) lives.
    pub token_cache: TokenCachePath,
    /// Where one line per request is appended, and how much is written.
    pub log: Option<(PathBuf, LogLevel)>,
    /// The offline outbox's file.
    pub outbox_path: Option<PathBuf>,
    /// What a save does when the gateway cannot be reached.
    pub offline: Offline,
    /// How often a background thread flushes the outbox (None: only when asked).
    pub outbox_flush_interval: Option<Duration>,
    /// How long saved outbox items are kept.
    pub outbox_keep: Duration,
    /// How long the master data (stores, levels, customers, labels) is trusted.
    pub master_data_ttl: Duration,
    /// Labels sent as given (the default) or resolved to the label list's ids.
    pub labels: Labels,
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

/// Collects every problem of a configuration object.
struct Reader<'a> {
    map: &'a Map<String, Value>,
    problems: Vec<String>,
}

impl Reader<'_> {
    /// A trimmed non-empty string, or None when absent or null.
    fn text(&mut self, key: &str, required: bool) -> Option<String> {
        match self.map.get(key) {
            None | Some(Value::Null) => {
                if required {
                    self.problems.push(format!("`{key}` is required"));
                }
                None
            }
            Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_string()),
            Some(Value::String(_)) => {
                self.problems.push(format!("`{key}` must not be empty"));
                None
            }
            Some(other) => {
                self.problems.push(format!(
                    "`{key}` must be a string, not {}",
                    input::json_type_name(other)
                ));
                None
            }
        }
    }

    /// A value that travels in an HTTP header or a query: printable ASCII only, so that no
    /// CR/LF can split a header and no request is built that the gateway cannot read.
    fn header_text(&mut self, key: &str, required: bool) -> Option<String> {
        let value = self.text(key, required)?;
        if value.len() > 1024 || !value.bytes().all(|b| b.is_ascii_graphic()) {
            self.problems.push(format!(
                "`{key}` must be printable ASCII without spaces or line breaks (at most 1024 characters); copy it again from the Kingdee developer console"
            ));
            return None;
        }
        Some(value)
    }

    fn millis(&mut self, key: &str, default: u64) -> u64 {
        match self.map.get(key) {
            None | Some(Value::Null) => default,
            Some(v) => match v.as_u64() {
                Some(ms) if (1..=3_600_000).contains(&ms) => ms,
                _ => {
                    self.problems.push(format!(
                        "`{key}` must be a whole number of milliseconds from 1 to 3600000"
                    ));
                    default
                }
            },
        }
    }

    fn path(&mut self, key: &str) -> Option<PathBuf> {
        let text = self.text(key, false)?;
        if text.contains('\0') {
            self.problems
                .push(format!("`{key}` must not contain a NUL character"));
            return None;
        }
        Some(PathBuf::from(text))
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
        let mut r = Reader {
            map,
            problems: Vec::new(),
        };
        for key in map.keys() {
            if !CONFIG_KEYS.contains(&key.as_str()) {
                r.problems
                    .push(input::unknown_key_message(key, &CONFIG_KEYS));
            }
        }
        let client_id = r.header_text("client_id", true);
        let client_secret = r.header_text("client_secret", true);
        let app_key = r.header_text("app_key", false);
        let app_secret = r.header_text("app_secret", false);
        let domain = r.header_text("domain", false);
        let outer_instance_id = r.header_text("outer_instance_id", false);
        let account_id = r.header_text("account_id", false);
        let base_url = r.text("base_url", false);
        let proxy = r.text("proxy", false);
        let ca_file = r.path("ca_file");
        let log_path = r.path("log_path");
        let outbox_path = r.path("outbox_path");
        let log_level = r.text("log_level", false);

        let timeout_ms = r.millis("timeout_ms", DEFAULT_TIMEOUT_MS);
        let connect_timeout_ms = r.millis("connect_timeout_ms", DEFAULT_CONNECT_TIMEOUT_MS);
        let deadline_ms = r.millis("deadline_ms", DEFAULT_DEADLINE_MS);
        let retry_backoff_ms = r.millis("retry_backoff_ms", DEFAULT_RETRY_BACKOFF_MS);
        let max_retries = match map.get("max_retries") {
            None | Some(Value::Null) => DEFAULT_MAX_RETRIES,
            Some(v) => match v.as_u64() {
                Some(n) if n <= 10 => n,
                _ => {
                    r.problems
                        .push("`max_retries` must be a whole number from 0 to 10".into());
                    DEFAULT_MAX_RETRIES
                }
            },
        };
        let request_budget = match map.get("request_budget") {
            None => Some(RequestBudget::default()),
            Some(Value::Null) => None,
            Some(Value::Object(budget)) => match parse_budget(budget) {
                Ok(budget) => Some(budget),
                Err(problem) => {
                    r.problems.push(problem);
                    None
                }
            },
            Some(other) => {
                r.problems.push(format!(
                    "`request_budget` must be an object like {{\"requests\": 500, \"window_s\": 60}} or null, not {}",
                    input::json_type_name(other)
                ));
                None
            }
        };
        let token_cache = match map.get("token_cache_path") {
            None => TokenCachePath::PerUser,
            Some(Value::Null) => TokenCachePath::Off,
            Some(_) => r
                .path("token_cache_path")
                .map_or(TokenCachePath::Off, TokenCachePath::File),
        };
        let offline = match r.text("offline", false).as_deref() {
            None | Some("fail") => Offline::Fail,
            Some("queue") => Offline::Queue,
            Some(_) => {
                r.problems
                    .push("`offline` must be \"fail\" (the default) or \"queue\"".into());
                Offline::Fail
            }
        };
        if offline == Offline::Queue && outbox_path.is_none() {
            r.problems.push(
                "`offline: \"queue\"` needs `outbox_path`, the file where queued members are kept"
                    .into(),
            );
        }
        let mut whole =
            |key: &str, range: std::ops::RangeInclusive<u64>, expected: &str| -> Option<u64> {
                match map.get(key) {
                    None | Some(Value::Null) => None,
                    Some(v) => match v.as_u64().filter(|n| range.contains(n)) {
                        Some(n) => Some(n),
                        None => {
                            r.problems.push(format!("`{key}` must be {expected}"));
                            None
                        }
                    },
                }
            };
        let outbox_flush_interval = whole(
            "outbox_flush_interval_s",
            1..=86_400,
            "a whole number of seconds from 1 to 86400",
        )
        .map(Duration::from_secs);
        let outbox_keep = Duration::from_secs(
            86_400
                * whole(
                    "outbox_keep_days",
                    1..=3650,
                    "a whole number of days from 1 to 3650",
                )
                .unwrap_or(DEFAULT_OUTBOX_KEEP_DAYS),
        );
        let master_data_ttl = Duration::from_secs(
            whole(
                "master_data_ttl_s",
                1..=86_400,
                "a whole number of seconds from 1 to 86400",
            )
            .unwrap_or(DEFAULT_MASTER_DATA_TTL_S),
        );
        let labels = match r.text("labels", false) {
            None => Labels::default(),
            Some(text) => Labels::parse(&text).unwrap_or_else(|| {
                r.problems.push(labels::EXPECTED.into());
                Labels::default()
            }),
        };
        if outbox_path.is_none()
            && (outbox_flush_interval.is_some() || map.contains_key("outbox_keep_days"))
        {
            r.problems
                .push("`outbox_flush_interval_s` and `outbox_keep_days` need `outbox_path`".into());
        }
        let log = match (log_path, log_level) {
            (Some(path), level) => match level.as_deref().map(LogLevel::parse) {
                None => Some((path, LogLevel::Info)),
                Some(Some(level)) => Some((path, level)),
                Some(None) => {
                    r.problems
                        .push("`log_level` must be error, warn, info or debug".into());
                    None
                }
            },
            (None, Some(_)) => {
                r.problems
                    .push("`log_level` needs `log_path`, the file to write to".into());
                None
            }
            (None, None) => None,
        };

        let direct_given = app_key.is_some() || app_secret.is_some() || domain.is_some();
        let app_source = match (outer_instance_id, direct_given) {
            (Some(_), true) => {
                r.problems.push(
                    "give either `outer_instance_id` or `app_key` + `app_secret` + `domain`, not both"
                        .into(),
                );
                None
            }
            (Some(outer_instance_id), false) => Some(AppSource::Authorize {
                outer_instance_id,
                account_id,
            }),
            (None, true) => match (app_key, app_secret, domain) {
                (Some(app_key), Some(app_secret), Some(domain)) => {
                    if account_id.is_some() {
                        r.problems.push(
                            "`account_id` chooses among authorized accounts: it goes with `outer_instance_id`"
                                .into(),
                        );
                    }
                    Some(AppSource::Direct(AppCredentials {
                        app_key,
                        app_secret,
                        domain,
                    }))
                }
                _ => {
                    r.problems
                        .push("`app_key`, `app_secret` and `domain` must be given together".into());
                    None
                }
            },
            (None, false) => {
                r.problems.push(
                    "give `outer_instance_id`, or `app_key` + `app_secret` + `domain` (from Kingdee's authorization)"
                        .into(),
                );
                None
            }
        };

        let base_url = match parse_base_url(base_url.as_deref().unwrap_or(api::DEFAULT_BASE_URL)) {
            Ok(url) => Some(url),
            Err(problem) => {
                r.problems.push(problem);
                None
            }
        };
        if let Some(proxy) = &proxy {
            if let Err(problem) = check_proxy(proxy) {
                r.problems.push(problem);
            }
        }

        let problems = r.problems;
        match (client_id, client_secret, app_source, base_url) {
            (Some(client_id), Some(client_secret), Some(app_source), Some(base_url))
                if problems.is_empty() =>
            {
                Ok(Config {
                    client_id,
                    client_secret,
                    app_source,
                    base_url,
                    timeout: Duration::from_millis(timeout_ms),
                    connect_timeout: Duration::from_millis(connect_timeout_ms),
                    proxy,
                    ca_file,
                    max_retries: max_retries as u32,
                    deadline: Duration::from_millis(deadline_ms),
                    retry_backoff: Duration::from_millis(retry_backoff_ms),
                    request_budget,
                    token_cache,
                    log,
                    outbox_path,
                    offline,
                    outbox_flush_interval,
                    outbox_keep,
                    master_data_ttl,
                    labels,
                })
            }
            _ => Err(Error::config(format!(
                "the client configuration is not usable: {}",
                problems.join("; ")
            ))),
        }
    }

    /// What identifies the account this configuration talks to: clients with the same one
    /// share one app-token and one request budget.
    pub fn account_key(&self) -> String {
        let source = match &self.app_source {
            AppSource::Direct(app) => format!("direct\n{}\n{}", app.app_key, app.domain),
            AppSource::Authorize {
                outer_instance_id,
                account_id,
            } => format!(
                "authorize\n{outer_instance_id}\n{}",
                account_id.as_deref().unwrap_or("")
            ),
        };
        format!("{}\n{}\n{source}", self.base_url, self.client_id)
    }
}

fn parse_budget(budget: &Map<String, Value>) -> std::result::Result<RequestBudget, String> {
    const SHAPE: &str =
        "`request_budget` must be {\"requests\": 1 to 100000, \"window_s\": 1 to 3600}";
    if let Some(unknown) = budget.keys().find(|k| *k != "requests" && *k != "window_s") {
        return Err(format!("{SHAPE}; `{unknown}` is not one of its keys"));
    }
    let defaults = RequestBudget::default();
    let number = |key: &str, max: u64| {
        budget
            .get(key)
            .map(|v| v.as_u64().filter(|n| (1..=max).contains(n)))
    };
    let requests = match number("requests", 100_000) {
        None => defaults.requests,
        Some(Some(n)) => n as u32,
        Some(None) => return Err(SHAPE.into()),
    };
    let window = match number("window_s", 3600) {
        None => defaults.window,
        Some(Some(s)) => Duration::from_secs(s),
        Some(None) => return Err(SHAPE.into()),
    };
    Ok(RequestBudget { requests, window })
}

/// `scheme://host[:port]` of a gateway URL, or why it cannot be used. Plain http is allowed
/// only to this machine (a sandbox): anywhere else the app-token would cross the network in
/// clear text. The message never repeats a user name or password.
pub fn parse_base_url(text: &str) -> std::result::Result<String, String> {
    let url = url::Url::parse(text.trim()).map_err(|e| {
        format!("`base_url` is not a URL ({e}); give it like https://api.kingdee.com")
    })?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(
            "`base_url` must not carry a user name or password; the gateway authenticates by signature"
                .into(),
        );
    }
    let host = match url.host() {
        Some(host) => host,
        None => return Err("`base_url` has no host; give it like https://api.kingdee.com".into()),
    };
    if url.path() != "/" && !url.path().is_empty() {
        return Err(format!(
            "`base_url` must not have a path (it has {:?}): request paths are signed, so the gateway must be at the root of the URL",
            url.path()
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err("`base_url` must not have a query or a fragment".into());
    }
    let loopback = match &host {
        url::Host::Ipv4(ip) => ip.is_loopback(),
        url::Host::Ipv6(ip) => ip.is_loopback(),
        url::Host::Domain(name) => name.eq_ignore_ascii_case("localhost"),
    };
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        "http" => {
            return Err(format!(
                "`base_url` uses plain http to {host}, which is not this machine: the app-token would cross the network unencrypted; use https:// (plain http is only for a sandbox on 127.0.0.1 or localhost)"
            ))
        }
        other => {
            return Err(format!(
                "`base_url` must start with https:// (or http:// for a local sandbox), not {other}://"
            ))
        }
    }
    let mut base = format!("{}://{host}", url.scheme());
    if let Some(port) = url.port() {
        base.push_str(&format!(":{port}"));
    }
    Ok(base)
}

/// Why a proxy URL cannot be used, if it cannot. Supported: http and https proxies (CONNECT
/// for https targets) and SOCKS4/4a/5/5h.
fn check_proxy(text: &str) -> std::result::Result<(), String> {
    const KNOWN: &str = "http://, https://, socks4://, socks4a://, socks5:// or socks5h://";
    let url = url::Url::parse(text)
        .map_err(|e| format!("`proxy` is not a URL ({e}); give it like http://10.0.0.1:3128"))?;
    if !matches!(
        url.scheme(),
        "http" | "https" | "socks4" | "socks4a" | "socks5" | "socks5h"
    ) {
        return Err(format!(
            "`proxy` must start with {KNOWN}, not {}://",
            url.scheme()
        ));
    }
    if url.host().is_none() {
        return Err("`proxy` has no host; give it like http://10.0.0.1:3128".into());
    }
    ureq::Proxy::new(text).map(|_| ()).map_err(|_| {
        format!("`proxy` is not a proxy URL ureq can use; give it as {KNOWN}host:port")
    })
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
        assert!(
            matches!(&c.app_source, AppSource::Authorize { account_id: Some(a), .. } if a == "42")
        );
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
}
