//! Reading a configuration object, a part at a time, over the options reader: every value's
//! type and range checked, every problem named in the order found. A configuration's
//! problems are sentences that name their key (they are joined into one `config` error).

use crate::config::urls::parse_base_url;
use crate::config::{
    AppCredentials, AppSource, Offline, RequestBudget, TokenCachePath, DEFAULT_MASTER_DATA_TTL_S,
    DEFAULT_OUTBOX_KEEP_DAYS,
};
use crate::input;
use crate::kingdee::api;
use crate::kingdee::labels::{self, Labels};
use crate::log::LogLevel;
use crate::options::{self, Reader};
use serde_json::{Map, Value};
use std::ops::RangeInclusive;
use std::path::PathBuf;
use std::time::Duration;

/// Collects every problem of a configuration object.
pub(crate) struct ConfigReader<'a> {
    reader: Reader<'a>,
}

impl<'a> ConfigReader<'a> {
    pub fn new(map: &'a Map<String, Value>) -> ConfigReader<'a> {
        ConfigReader {
            reader: Reader::new(map),
        }
    }

    /// Names every key that is not a configuration key, with the closest one.
    pub fn unknown_keys(&mut self, known: &[&str]) {
        self.reader.unknown_keys(known);
    }

    /// Notes a problem (a sentence that names its key).
    pub fn problem(&mut self, message: impl Into<String>) {
        self.reader.problem("configuration", message);
    }

    /// The value of `key` as given, null included.
    pub fn raw(&self, key: &str) -> Option<&'a Value> {
        self.reader.raw(key)
    }

    /// The problems found, in order.
    pub fn into_problems(self) -> Vec<String> {
        self.reader
            .into_problems()
            .into_iter()
            .map(|p| p.message)
            .collect()
    }

    /// A trimmed non-empty string, or None when absent or null.
    pub fn string(&mut self, key: &str, required: bool) -> Option<String> {
        match self.reader.given(key) {
            None => {
                if required {
                    self.problem(format!("`{key}` is required"));
                }
                None
            }
            Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_string()),
            Some(Value::String(_)) => {
                self.problem(format!("`{key}` must not be empty"));
                None
            }
            Some(other) => {
                self.problem(format!(
                    "`{key}` must be a string, not {}",
                    input::json_type_name(other)
                ));
                None
            }
        }
    }

    /// A value that travels in an HTTP header or a query: printable ASCII only, so that no
    /// CR/LF can split a header and no request is built that the gateway cannot read.
    pub fn header_text(&mut self, key: &str, required: bool) -> Option<String> {
        let value = self.string(key, required)?;
        if value.len() > 1024 || !value.bytes().all(|b| b.is_ascii_graphic()) {
            self.problem(format!(
                "`{key}` must be printable ASCII without spaces or line breaks (at most 1024 characters); copy it again from the Kingdee developer console"
            ));
            return None;
        }
        Some(value)
    }

    /// A whole number in `range`, `expected` ("a whole number of days from 1 to 3650")
    /// saying what it must be otherwise.
    pub fn whole(&mut self, key: &str, range: RangeInclusive<u64>, expected: &str) -> Option<u64> {
        self.reader
            .whole(key, range, format!("`{key}` must be {expected}"))
    }

    /// Milliseconds from 1 to an hour, `default` when absent or wrong.
    pub fn millis(&mut self, key: &str, default: u64) -> u64 {
        self.whole(
            key,
            1..=3_600_000,
            "a whole number of milliseconds from 1 to 3600000",
        )
        .unwrap_or(default)
    }

    /// Seconds in `range`, `default` when absent or wrong.
    pub fn seconds(&mut self, key: &str, range: RangeInclusive<u64>, default: u64) -> Duration {
        let expected = format!(
            "a whole number of seconds from {} to {}",
            range.start(),
            range.end()
        );
        Duration::from_secs(self.whole(key, range, &expected).unwrap_or(default))
    }

    pub fn path(&mut self, key: &str) -> Option<PathBuf> {
        let text = self.string(key, false)?;
        if text.contains('\0') {
            self.problem(format!("`{key}` must not contain a NUL character"));
            return None;
        }
        Some(PathBuf::from(text))
    }
}

/// `request_budget`: the default when absent, off when null.
pub(crate) fn request_budget(r: &mut ConfigReader<'_>) -> Option<RequestBudget> {
    match r.raw("request_budget") {
        None => Some(RequestBudget::default()),
        Some(Value::Null) => None,
        Some(Value::Object(budget)) => match parse_budget(budget) {
            Ok(budget) => Some(budget),
            Err(problem) => {
                r.problem(problem);
                None
            }
        },
        Some(other) => {
            r.problem(format!(
                "`request_budget` must be an object like {{\"requests\": 500, \"window_s\": 60}} or null, not {}",
                input::json_type_name(other)
            ));
            None
        }
    }
}

fn parse_budget(budget: &Map<String, Value>) -> std::result::Result<RequestBudget, String> {
    const SHAPE: &str =
        "`request_budget` must be {\"requests\": 1 to 100000, \"window_s\": 1 to 3600}";
    if let Some(unknown) = options::unknown_keys(budget, &["requests", "window_s"]).next() {
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

/// `token_cache_path`: per user when absent, off when null.
pub(crate) fn token_cache(r: &mut ConfigReader<'_>) -> TokenCachePath {
    match r.raw("token_cache_path") {
        None => TokenCachePath::PerUser,
        Some(Value::Null) => TokenCachePath::Off,
        Some(_) => r
            .path("token_cache_path")
            .map_or(TokenCachePath::Off, TokenCachePath::File),
    }
}

/// The outbox's settings beside `outbox_path`.
pub(crate) struct OutboxSettings {
    pub offline: Offline,
    pub flush_interval: Option<Duration>,
    pub keep: Duration,
}

/// `offline`, `outbox_flush_interval_s` and `outbox_keep_days`; then `master_data_ttl_s`
/// and `labels` (read here, in the order their problems are named).
pub(crate) fn outbox_and_master_data(
    r: &mut ConfigReader<'_>,
    outbox_path: bool,
) -> (OutboxSettings, Duration, Labels) {
    let offline = match r.string("offline", false).as_deref() {
        None | Some("fail") => Offline::Fail,
        Some("queue") => Offline::Queue,
        Some(_) => {
            r.problem("`offline` must be \"fail\" (the default) or \"queue\"");
            Offline::Fail
        }
    };
    if offline == Offline::Queue && !outbox_path {
        r.problem(
            "`offline: \"queue\"` needs `outbox_path`, the file where queued members are kept",
        );
    }
    let flush_interval = r
        .whole(
            "outbox_flush_interval_s",
            1..=86_400,
            "a whole number of seconds from 1 to 86400",
        )
        .map(Duration::from_secs);
    let keep_days = r.whole(
        "outbox_keep_days",
        1..=3650,
        "a whole number of days from 1 to 3650",
    );
    let keep = Duration::from_secs(86_400 * keep_days.unwrap_or(DEFAULT_OUTBOX_KEEP_DAYS));
    let master_data_ttl = r.seconds("master_data_ttl_s", 1..=86_400, DEFAULT_MASTER_DATA_TTL_S);
    let labels = match r.string("labels", false) {
        None => Labels::default(),
        Some(text) => Labels::parse(&text).unwrap_or_else(|| {
            r.problem(labels::EXPECTED);
            Labels::default()
        }),
    };
    if !outbox_path && (flush_interval.is_some() || r.raw("outbox_keep_days").is_some()) {
        r.problem("`outbox_flush_interval_s` and `outbox_keep_days` need `outbox_path`");
    }
    let outbox = OutboxSettings {
        offline,
        flush_interval,
        keep,
    };
    (outbox, master_data_ttl, labels)
}

/// The request log: `log_path`, and `log_level` (info unless given).
pub(crate) fn log(
    r: &mut ConfigReader<'_>,
    path: Option<PathBuf>,
    level: Option<String>,
) -> Option<(PathBuf, LogLevel)> {
    match (path, level) {
        (Some(path), level) => match level.as_deref().map(LogLevel::parse) {
            None => Some((path, LogLevel::Info)),
            Some(Some(level)) => Some((path, level)),
            Some(None) => {
                r.problem("`log_level` must be error, warn, info or debug");
                None
            }
        },
        (None, Some(_)) => {
            r.problem("`log_level` needs `log_path`, the file to write to");
            None
        }
        (None, None) => None,
    }
}

/// The keys that say where the app credentials come from, as read.
pub(crate) struct AppKeys {
    app_key: Option<String>,
    app_secret: Option<String>,
    domain: Option<String>,
    outer_instance_id: Option<String>,
    account_id: Option<String>,
}

impl AppKeys {
    pub fn read(r: &mut ConfigReader<'_>) -> AppKeys {
        AppKeys {
            app_key: r.header_text("app_key", false),
            app_secret: r.header_text("app_secret", false),
            domain: r.header_text("domain", false),
            outer_instance_id: r.header_text("outer_instance_id", false),
            account_id: r.header_text("account_id", false),
        }
    }

    /// Direct credentials, or authorization by outer instance id: exactly one of them.
    pub fn source(self, r: &mut ConfigReader<'_>) -> Option<AppSource> {
        let direct_given =
            self.app_key.is_some() || self.app_secret.is_some() || self.domain.is_some();
        match (self.outer_instance_id, direct_given) {
            (Some(_), true) => {
                r.problem("give either `outer_instance_id` or `app_key` + `app_secret` + `domain`, not both");
                None
            }
            (Some(outer_instance_id), false) => Some(AppSource::Authorize {
                outer_instance_id,
                account_id: self.account_id,
            }),
            (None, true) => match (self.app_key, self.app_secret, self.domain) {
                (Some(app_key), Some(app_secret), Some(domain)) => {
                    if self.account_id.is_some() {
                        r.problem("`account_id` chooses among authorized accounts: it goes with `outer_instance_id`");
                    }
                    Some(AppSource::Direct(AppCredentials {
                        app_key,
                        app_secret,
                        domain,
                    }))
                }
                _ => {
                    r.problem("`app_key`, `app_secret` and `domain` must be given together");
                    None
                }
            },
            (None, false) => {
                r.problem("give `outer_instance_id`, or `app_key` + `app_secret` + `domain` (from Kingdee's authorization)");
                None
            }
        }
    }
}

/// `base_url` (Kingdee's gateway unless given), parsed strictly.
pub(crate) fn base_url(r: &mut ConfigReader<'_>, given: Option<&str>) -> Option<String> {
    match parse_base_url(given.unwrap_or(api::DEFAULT_BASE_URL)) {
        Ok(url) => Some(url),
        Err(problem) => {
            r.problem(problem);
            None
        }
    }
}
