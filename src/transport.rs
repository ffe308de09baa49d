//! Signed HTTP exchanges with the gateway, and what its answers mean.
//!
//! One `ureq` agent per client: a keep-alive connection pool shared by every thread, fixed
//! timeouts, TLS verification always on (rustls with the webpki roots; there is no switch to
//! turn it off). The body is read whatever the status, because the gateway reports its
//! rejections as JSON under HTTP 519 and rate limits under 429.

use crate::config::{Config, LogLevel};
use crate::error::{Delivery, Error, ErrorKind, Result};
use crate::log::{mask_mobile, Logger};
use crate::signing::{self, Query};
use serde_json::Value;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::{DefaultConnector, NextTimeout};

/// How long a host's resolved addresses are reused.
const RESOLVE_TTL: Duration = Duration::from_secs(60);

/// ureq resolves the host before it looks in its connection pool, on every request, and
/// with a timeout set it does so on a new thread each time (ureq 3.5 `resolve_async`). This
/// reuses the last answer for `RESOLVE_TTL`: no thread and no DNS query per request.
#[derive(Debug, Default)]
struct CachingResolver {
    inner: DefaultResolver,
    last: Mutex<Option<(String, Instant, ResolvedSocketAddrs)>>,
}

impl Resolver for CachingResolver {
    fn resolve(
        &self,
        uri: &ureq::http::Uri,
        config: &ureq::config::Config,
        timeout: NextTimeout,
    ) -> std::result::Result<ResolvedSocketAddrs, ureq::Error> {
        let key = format!(
            "{}://{}",
            uri.scheme_str().unwrap_or(""),
            uri.authority().map_or("", |a| a.as_str())
        );
        {
            let last = self.last.lock().unwrap_or_else(|p| p.into_inner());
            if let Some((host, at, addrs)) = &*last {
                if *host == key && at.elapsed() < RESOLVE_TTL {
                    return Ok(addrs.clone());
                }
            }
        }
        let addrs = self.inner.resolve(uri, config, timeout)?;
        *self.last.lock().unwrap_or_else(|p| p.into_inner()) =
            Some((key, Instant::now(), addrs.clone()));
        Ok(addrs)
    }
}

/// The largest answer read into memory: far above any real member answer (a list page of
/// 100 members is a few tens of KiB), low enough that a broken server cannot exhaust a till.
pub const MAX_RESPONSE_BYTES: u64 = 8 << 20;

pub const USER_AGENT: &str = concat!("jdy-member/", env!("CARGO_PKG_VERSION"));

/// A `Date` header has one-second resolution: smaller differences are noise.
const CLOCK_NOISE_MS: i64 = 1_500;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
        }
    }
}

/// The routing headers every business call carries.
pub struct AppRoute<'a> {
    pub token: &'a str,
    pub domain: &'a str,
}

/// One request to make.
pub struct Call<'a> {
    pub method: Method,
    pub path: &'a str,
    pub params: &'a [(String, String)],
    pub body: Option<&'a str>,
    pub route: Option<AppRoute<'a>>,
    /// Which try of the caller's call this is (for the log).
    pub attempt: u32,
    /// The exchange must be over by then (the caller's `deadline_ms`).
    pub deadline: Option<Instant>,
    /// The member's mobile, logged masked.
    pub mobile: Option<&'a str>,
}

impl<'a> Call<'a> {
    /// A first attempt without deadline, route or member.
    pub fn new(method: Method, path: &'a str, params: &'a [(String, String)]) -> Call<'a> {
        Call {
            method,
            path,
            params,
            body: None,
            route: None,
            attempt: 1,
            deadline: None,
            mobile: None,
        }
    }
}

/// The JSON answer of the server, whatever its HTTP status.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub body: Value,
}

pub struct Transport {
    agent: ureq::Agent,
    base_url: String,
    client_id: String,
    client_secret: String,
    timeout: Duration,
    /// Gateway clock minus this machine's clock, learned from `Date` headers, so a till
    /// whose clock drifted still signs timestamps the gateway accepts.
    clock_offset_ms: AtomicI64,
    logger: Option<Arc<Logger>>,
}

/// Epoch milliseconds of this machine's clock.
pub fn system_now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

impl Transport {
    pub fn new(config: &Config, logger: Option<Arc<Logger>>) -> Result<Transport> {
        let proxy =
            match &config.proxy {
                Some(url) => Some(ureq::Proxy::new(url).map_err(|e| {
                    Error::config(format!("`proxy` is not a usable proxy URL ({e})"))
                })?),
                // Environment proxies are ignored on purpose: what a till talks to is set in
                // one place, its configuration.
                None => None,
            };
        let agent_config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .https_only(false)
            .user_agent(USER_AGENT)
            .timeout_global(Some(config.timeout))
            .timeout_connect(Some(config.connect_timeout))
            .proxy(proxy)
            .max_redirects(0)
            .build();
        let agent = ureq::Agent::with_parts(
            agent_config,
            DefaultConnector::default(),
            CachingResolver::default(),
        );
        Ok(Transport {
            agent,
            base_url: config.base_url.clone(),
            client_id: config.client_id.clone(),
            client_secret: config.client_secret.clone(),
            timeout: config.timeout,
            clock_offset_ms: AtomicI64::new(0),
            logger,
        })
    }

    /// Epoch milliseconds by the gateway's clock, as far as it is known.
    pub fn now_ms(&self) -> u64 {
        (system_now_ms() + self.clock_offset_ms.load(Ordering::Relaxed)).max(0) as u64
    }

    pub fn log(&self, level: LogLevel, text: &str) {
        if let Some(logger) = &self.logger {
            logger.write(level, text);
        }
    }

    /// Signs and sends `call`; returns the server's JSON answer or a network, timeout or
    /// server error. Logs one line.
    pub fn send(&self, call: &Call<'_>) -> Result<Reply> {
        let started = Instant::now();
        let result = self.exchange(call);
        if let Some(logger) = &self.logger {
            let (level, outcome) = match &result {
                Ok(reply) => {
                    let errcode = errcode_of(&reply.body);
                    let level = if (200..300).contains(&reply.status) && errcode == Some(0) {
                        LogLevel::Info
                    } else {
                        LogLevel::Warn
                    };
                    let errcode = errcode.map_or("-".into(), |c| c.to_string());
                    (level, format!("status={} errcode={errcode}", reply.status))
                }
                Err(e) => (
                    LogLevel::Warn,
                    format!(
                        "status={} error={}",
                        e.http_status.map_or("-".into(), |s| s.to_string()),
                        e.kind.as_str()
                    ),
                ),
            };
            let member = call
                .mobile
                .map(|m| format!(" member={}", mask_mobile(m)))
                .unwrap_or_default();
            logger.write(
                level,
                &format!(
                    "{} {} {outcome} attempt={} ms={}{member}",
                    call.method.as_str(),
                    call.path,
                    call.attempt,
                    started.elapsed().as_millis()
                ),
            );
        }
        result
    }

    fn exchange(&self, call: &Call<'_>) -> Result<Reply> {
        let timeout = match call.deadline {
            Some(deadline) => {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    return Err(Error::new(
                        ErrorKind::Timeout,
                        format!(
                            "the call's deadline (`deadline_ms`) ran out before {} could be sent",
                            call.path
                        ),
                    ));
                }
                left.min(self.timeout)
            }
            None => self.timeout,
        };
        let query = Query::from_params(call.params);
        let url = if query.wire.is_empty() {
            format!("{}{}", self.base_url, call.path)
        } else {
            format!("{}{}?{}", self.base_url, call.path, query.wire)
        };
        let headers = signing::gateway_headers(
            &self.client_id,
            &self.client_secret,
            call.method.as_str(),
            call.path,
            &query,
            &signing::new_nonce(),
            self.now_ms(),
        );
        let route = call.route.as_ref();
        let result = match call.method {
            Method::Get => prepare(self.agent.get(&url), &headers, route, timeout).call(),
            Method::Post => prepare(
                self.agent
                    .post(&url)
                    .header("Content-Type", "application/json"),
                &headers,
                route,
                timeout,
            )
            .send(call.body.unwrap_or("{}")),
        };
        let mut response = result.map_err(|e| self.transport_error(e, call.path, timeout))?;
        if let Some(date) = response.headers().get("date").and_then(|d| d.to_str().ok()) {
            self.learn_clock(date);
        }
        let status = response.status().as_u16();
        let bytes = response
            .body_mut()
            .with_config()
            .limit(MAX_RESPONSE_BYTES)
            .read_to_vec()
            .map_err(|e| {
                let error = self
                    .transport_error(e, call.path, timeout)
                    .with_status(status);
                // An answer that is too large was answered; one cut off mid-body may
                // or may not have been acted on.
                match error.kind {
                    ErrorKind::Server => error.delivered(Delivery::Answered),
                    _ => error.delivered(Delivery::Unknown),
                }
            })?;
        match serde_json::from_slice::<Value>(&bytes) {
            Ok(body @ Value::Object(_)) => Ok(Reply { status, body }),
            _ => {
                let kind = if status == 429 {
                    ErrorKind::RateLimited
                } else {
                    ErrorKind::Server
                };
                Err(Error::new(
                    kind,
                    format!(
                        "{} {} answered HTTP {status} with a body that is not a JSON object ({} bytes); the gateway or a proxy in between is failing, try again later",
                        call.method.as_str(),
                        call.path,
                        bytes.len()
                    ),
                )
                .with_status(status)
                .delivered(Delivery::Answered))
            }
        }
    }

    /// Adopts the gateway's clock from a `Date` header when it differs from ours by more
    /// than the header's resolution.
    fn learn_clock(&self, date: &str) {
        let Ok(server) = httpdate::parse_http_date(date) else {
            return;
        };
        let Ok(server) = server.duration_since(UNIX_EPOCH) else {
            return;
        };
        // The header truncates to the second: the middle of that second is the best guess.
        let server_ms = server.as_millis() as i64 + 500;
        let offset = server_ms - system_now_ms();
        let known = self.clock_offset_ms.load(Ordering::Relaxed);
        if (offset - known).abs() > CLOCK_NOISE_MS {
            self.clock_offset_ms.store(offset, Ordering::Relaxed);
            self.log(
                LogLevel::Info,
                &format!("clock offset learned from the gateway: {offset:+} ms"),
            );
        }
    }

    /// Describes a failed exchange without the URL (its query may carry a signature).
    fn transport_error(&self, error: ureq::Error, path: &str, timeout: Duration) -> Error {
        let host = &self.base_url;
        let delivery = match &error {
            ureq::Error::Timeout(ureq::Timeout::Resolve | ureq::Timeout::Connect)
            | ureq::Error::HostNotFound
            | ureq::Error::ConnectionFailed
            | ureq::Error::ConnectProxyFailed(_)
            | ureq::Error::InvalidProxyUrl
            | ureq::Error::BadUri(_)
            | ureq::Error::Http(_)
            | ureq::Error::Tls(_)
            | ureq::Error::Rustls(_) => Delivery::NotSent,
            ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::ConnectionRefused => {
                Delivery::NotSent
            }
            ureq::Error::BodyExceedsLimit(_) => Delivery::Answered,
            _ => Delivery::Unknown,
        };
        let timeout_ms = timeout.as_millis();
        let error = match error {
            ureq::Error::Timeout(which) => Error::new(
                ErrorKind::Timeout,
                format!(
                    "the request to {host}{path} timed out ({which}, after {timeout_ms} ms); the network or the gateway is slow, try again"
                ),
            ),
            ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::TimedOut => Error::new(
                ErrorKind::Timeout,
                format!("the request to {host}{path} timed out ({io}); try again"),
            ),
            ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::ConnectionRefused => {
                Error::new(
                    ErrorKind::Network,
                    format!("{host} refused the connection; check `base_url` and the network, then try again"),
                )
            }
            ureq::Error::Io(io) => Error::new(
                ErrorKind::Network,
                format!("the connection to {host} failed ({io}); check the network and try again"),
            ),
            ureq::Error::HostNotFound => Error::new(
                ErrorKind::Network,
                format!("the host of {host} could not be resolved; check the network's DNS and `base_url`"),
            ),
            ureq::Error::ConnectionFailed => Error::new(
                ErrorKind::Network,
                format!("no connection could be made to {host}; check the network and try again"),
            ),
            ureq::Error::BodyExceedsLimit(limit) => Error::new(
                ErrorKind::Server,
                format!("the answer to {path} is larger than {limit} bytes, far more than any real answer; refused"),
            ),
            ureq::Error::Tls(what) => Error::new(
                ErrorKind::Network,
                format!("TLS with {host} failed ({what}); the certificate could not be verified, check the network for interception"),
            )
            .retryable(false),
            #[allow(unreachable_patterns)]
            ureq::Error::Rustls(e) => Error::new(
                ErrorKind::Network,
                format!("TLS with {host} failed ({e}); the certificate could not be verified, check the network for interception"),
            )
            .retryable(false),
            ureq::Error::Protocol(e) => Error::new(
                ErrorKind::Network,
                format!("{host} answered with broken HTTP ({e}); try again"),
            ),
            ureq::Error::ConnectProxyFailed(what) => Error::new(
                ErrorKind::Network,
                format!("the proxy refused to connect ({what}); check `proxy`"),
            ),
            ureq::Error::InvalidProxyUrl => Error::config("`proxy` is not a usable proxy URL"),
            other => Error::new(
                ErrorKind::Network,
                format!("the request to {host}{path} failed ({}); try again", short_kind(&other)),
            ),
        };
        error.delivered(delivery)
    }
}

/// Puts the signed gateway headers, the routing headers and this exchange's timeout on a
/// request of either kind.
fn prepare<B>(
    mut request: ureq::RequestBuilder<B>,
    headers: &[(&'static str, String)],
    route: Option<&AppRoute<'_>>,
    timeout: Duration,
) -> ureq::RequestBuilder<B> {
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    if let Some(route) = route {
        request = request
            .header("app-token", route.token)
            .header("X-GW-Router-Addr", route.domain);
    }
    request.config().timeout_global(Some(timeout)).build()
}

/// A short label for the rarer ureq errors, never including a URL.
fn short_kind(error: &ureq::Error) -> &'static str {
    match error {
        ureq::Error::BadUri(_) => "bad URL",
        ureq::Error::Http(_) => "bad HTTP request",
        ureq::Error::RedirectFailed | ureq::Error::TooManyRedirects => "unexpected redirect",
        _ => "transport error",
    }
}

/// Error codes that a fresh app-token fixes.
pub fn is_token_error(errcode: i64) -> bool {
    matches!(errcode, 4009..=4011 | 1_000_202_001)
}

/// The code for "app secret check failed": Kingdee rotated the app secret.
pub const APP_SECRET_ROTATED: i64 = 1_030_002_006;

fn text_field(body: &Value, key: &str) -> Option<String> {
    body.get(key).and_then(Value::as_str).map(str::to_string)
}

/// The `errcode` of an answer: a JSON integer, or (from hostile or broken servers) a
/// numeric string.
fn errcode_of(body: &Value) -> Option<i64> {
    match body.get("errcode")? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// What the library tells the caller for a Kingdee error code.
fn explain(errcode: i64) -> (ErrorKind, bool, &'static str) {
    use ErrorKind::*;
    match errcode {
        4001..=4005 => (Auth, false, "the gateway rejected the client credentials; check `client_id` and `client_secret`"),
        4006 => (Auth, false, "the gateway refused the request timestamp: this machine's clock is probably more than 5 minutes off; correct the clock"),
        4007 => (Auth, false, "the gateway refused the signed-header list; this is a bug in jdy-member, please report it"),
        4008 => (Auth, false, "the gateway rejected the request signature; check that `client_secret` belongs to `client_id`"),
        4009..=4011 | 1_000_202_001 => (Auth, false, "the gateway refused the app-token even after a fresh one was fetched; check `app_key` and `app_secret`"),
        4012 => (Auth, false, "this app has no permission for this API (or the routing domain is wrong); grant the API to the app in the Kingdee developer console and check `domain`"),
        APP_SECRET_ROTATED => (Auth, false, "the app secret check failed: Kingdee has rotated the app secret; with `outer_instance_id` the library re-authorizes by itself, with a direct `app_secret` put the new one in the configuration"),
        5000 | 5003..=5007 => (Server, true, "the gateway is unavailable or overloaded; try again later"),
        5001 | 5002 => (Api, false, "the gateway does not know this API or method; check `base_url`, or upgrade jdy-member"),
        2_000_002_000 => (Server, true, "Kingdee reported a system error; try again later, and if it persists report it on the Kingdee developer community"),
        _ => (Api, false, "Kingdee refused the request; `description` says why"),
    }
}

impl Reply {
    /// The answer's `data` on success, or the error it reports.
    pub fn into_data(self, what: &str) -> Result<Value> {
        let status = self.status;
        let errcode = errcode_of(&self.body);
        let description = text_field(&self.body, "description");
        match errcode {
            Some(0) if (200..300).contains(&status) => {
                let Value::Object(mut body) = self.body else {
                    return Ok(Value::Null);
                };
                Ok(body.remove("data").unwrap_or(Value::Null))
            }
            Some(code) if code != 0 => {
                let (mut kind, retryable, advice) = explain(code);
                if status == 429 {
                    kind = ErrorKind::RateLimited;
                }
                let mut error = Error::new(
                    kind,
                    format!("{what} failed with errcode {code} (HTTP {status}): {advice}"),
                )
                .retryable(retryable || status == 429)
                .with_errcode(code, description)
                .with_status(status)
                .delivered(Delivery::Answered);
                error.description_cn = text_field(&self.body, "description_cn");
                Err(error)
            }
            _ => {
                let (kind, advice) = match status {
                    429 => (ErrorKind::RateLimited, "too many requests; slow down and try again later"),
                    500..=599 => (ErrorKind::Server, "the server failed; try again later"),
                    200..=299 => (ErrorKind::Server, "the answer carries no errcode; the gateway or a proxy is misbehaving, try again later"),
                    _ => (ErrorKind::Server, "the answer was not understood; try again later"),
                };
                let mut error = Error::new(kind, format!("{what} got HTTP {status}: {advice}"))
                    .with_status(status)
                    .delivered(Delivery::Answered);
                error.description = description;
                Err(error)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn reply(status: u16, body: Value) -> Result<Value> {
        Reply { status, body }.into_data("member save")
    }

    #[test]
    fn success_returns_data_as_received() {
        let data = json!({"id": "1", "name": "会员A"});
        let got = reply(
            200,
            json!({"errcode": 0, "description": "success", "data": data}),
        )
        .unwrap();
        assert_eq!(got, data);
    }

    #[test]
    fn gateway_rejections_are_classified() {
        for (status, code, kind, retryable) in [
            (519, 4008, ErrorKind::Auth, false),
            (519, 4003, ErrorKind::Auth, false),
            (519, 4011, ErrorKind::Auth, false),
            (519, 5003, ErrorKind::Server, true),
            (519, 5001, ErrorKind::Api, false),
            (429, 5007, ErrorKind::RateLimited, true),
            (200, 2_000_002_000, ErrorKind::Server, true),
            (200, 1_030_002_006, ErrorKind::Auth, false),
            (200, 123, ErrorKind::Api, false),
        ] {
            let e = reply(
                status,
                json!({"errcode": code, "description": "签名错误", "description_cn": "签名错误"}),
            )
            .unwrap_err();
            assert_eq!((e.kind, e.retryable), (kind, retryable), "{code}");
            assert_eq!(e.errcode, Some(code));
            assert_eq!(e.description.as_deref(), Some("签名错误"));
            assert_eq!(e.http_status, Some(status));
        }
    }

    #[test]
    fn answers_without_errcode_are_server_errors() {
        assert_eq!(
            reply(200, json!({"data": {}})).unwrap_err().kind,
            ErrorKind::Server
        );
        assert_eq!(reply(502, json!({})).unwrap_err().kind, ErrorKind::Server);
        assert_eq!(
            reply(429, json!({})).unwrap_err().kind,
            ErrorKind::RateLimited
        );
        assert_eq!(
            reply(200, json!({"errcode": "0", "data": 1})).unwrap(),
            json!(1)
        );
        assert_eq!(
            reply(200, json!({"errcode": [0]})).unwrap_err().kind,
            ErrorKind::Server
        );
    }
}
