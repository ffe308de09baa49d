//! Client configuration: a JSON object, checked completely before any request is made, so
//! that a value that could never work is refused at `jdy_client_new` with every problem named,
//! not discovered later as a stream of retried network errors.

mod keys;
mod read;
mod urls;

use crate::error::{Error, Result};
use crate::input;
use crate::kingdee::api;
use crate::kingdee::labels::Labels;
use read::{AppKeys, ConfigReader};
use serde_json::{Map, Value};
use std::path::PathBuf;
use std::time::Duration;

pub use crate::log::LogLevel;
pub use keys::{key_kind, value_from_text, KeyKind, CONFIG_KEYS};
pub use urls::parse_base_url;

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

/// Stores, levels, customers and labels are fetched again after this long.
pub const DEFAULT_MASTER_DATA_TTL_S: u64 = 600;

/// Saved outbox items are kept this long for auditing, then pruned.
pub const DEFAULT_OUTBOX_KEEP_DAYS: u64 = 30;

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

impl Config {
    /// Parses configuration JSON text.
    pub fn from_json(json: &str) -> Result<Config> {
        let map = input::parse_object(json, "configuration")?;
        Config::from_map(&map)
    }

    /// Checks a configuration object; every problem is reported at once.
    pub fn from_map(map: &Map<String, Value>) -> Result<Config> {
        let mut r = ConfigReader::new(map);
        r.unknown_keys(&CONFIG_KEYS);
        let client_id = r.header_text("client_id", true);
        let client_secret = r.header_text("client_secret", true);
        let app_keys = AppKeys::read(&mut r);
        let base_url = r.string("base_url", false);
        let proxy = r.string("proxy", false);
        let ca_file = r.path("ca_file");
        let log_path = r.path("log_path");
        let outbox_path = r.path("outbox_path");
        let log_level = r.string("log_level", false);
        let timeout_ms = r.millis("timeout_ms", DEFAULT_TIMEOUT_MS);
        let connect_timeout_ms = r.millis("connect_timeout_ms", DEFAULT_CONNECT_TIMEOUT_MS);
        let deadline_ms = r.millis("deadline_ms", DEFAULT_DEADLINE_MS);
        let retry_backoff_ms = r.millis("retry_backoff_ms", DEFAULT_RETRY_BACKOFF_MS);
        let max_retries = r
            .whole("max_retries", 0..=10, "a whole number from 0 to 10")
            .unwrap_or(DEFAULT_MAX_RETRIES);
        let request_budget = read::request_budget(&mut r);
        let token_cache = read::token_cache(&mut r);
        let (outbox, master_data_ttl, labels) =
            read::outbox_and_master_data(&mut r, outbox_path.is_some());
        let log = read::log(&mut r, log_path, log_level);
        let app_source = app_keys.source(&mut r);
        let base_url = read::base_url(&mut r, base_url.as_deref());
        if let Some(problem) = proxy.as_deref().and_then(|p| urls::check_proxy(p).err()) {
            r.problem(problem);
        }
        let problems = r.into_problems();
        let (Some(client_id), Some(client_secret), Some(app_source), Some(base_url), true) = (
            client_id,
            client_secret,
            app_source,
            base_url,
            problems.is_empty(),
        ) else {
            return Err(Error::config(format!(
                "the client configuration is not usable: {}",
                problems.join("; ")
            )));
        };
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
            offline: outbox.offline,
            outbox_flush_interval: outbox.flush_interval,
            outbox_keep: outbox.keep,
            master_data_ttl,
            labels,
        })
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

#[cfg(test)]
mod tests;
