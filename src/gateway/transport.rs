//! Signed HTTP exchanges with the gateway (what the answers mean is `answers`).
//!
//! One `ureq` agent per client: a keep-alive connection pool shared by every thread, fixed
//! timeouts, TLS verification always on (see `tls`). The body is read whatever the status,
//! because the gateway reports its rejections as JSON under HTTP 519 and rate limits under
//! 429. Failures are classified by how far the request got (`Delivery`), which is what
//! decides whether a save may be sent again.

use crate::config::Config;
use crate::error::{Delivery, Error, ErrorKind, Result};
use crate::gateway::answers::{errcode_of, Reply};
use crate::gateway::resolver::CachingResolver;
use crate::gateway::tls;
use crate::kingdee::signing::{self, Query};
use crate::log::{mask_mobile, LogLevel, Logger};
use crate::sys::time::system_now_ms;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, UNIX_EPOCH};
use ureq::unversioned::transport::DefaultConnector;

/// The largest answer read into memory: far above any real member answer (a list page of
/// 100 members is a few tens of KiB), low enough that a broken server cannot exhaust a till.
pub(crate) const MAX_RESPONSE_BYTES: u64 = 8 << 20;

/// The `User-Agent` of every request.
pub const USER_AGENT: &str = concat!("jdy-member/", env!("CARGO_PKG_VERSION"));

/// A `Date` header has one-second resolution: smaller differences are noise.
const CLOCK_NOISE_MS: i64 = 1_500;
/// The longest `Retry-After` honoured; beyond it the caller's deadline decides anyway.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(120);

/// GET or POST: the only methods Kingdee's open API uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Reads.
    Get,
    /// Saves and other changes.
    Post,
}

impl Method {
    /// `"GET"` or `"POST"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
        }
    }
}

/// The routing headers every business call carries.
pub(crate) struct AppRoute<'a> {
    pub token: &'a str,
    pub domain: &'a str,
}

/// One HTTP request to sign and send.
pub(crate) struct HttpRequest<'a> {
    pub method: Method,
    pub path: &'a str,
    pub params: &'a [(String, String)],
    pub body: Option<&'a str>,
    pub route: Option<AppRoute<'a>>,
    /// Which try of the caller's call this is (for the log).
    pub attempt: u32,
    /// The exchange must be over by then (the caller's `deadline_ms`).
    pub deadline: Option<Instant>,
    /// The mobile number the request is about, logged masked.
    pub mobile: Option<&'a str>,
}

impl<'a> HttpRequest<'a> {
    /// A first attempt without deadline, route or mobile.
    pub fn new(method: Method, path: &'a str, params: &'a [(String, String)]) -> HttpRequest<'a> {
        HttpRequest {
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

/// Signs and sends requests for one client. Shared by all its threads.
pub(crate) struct Transport {
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

impl Transport {
    /// The agent for `config`: its timeouts, proxy and trusted roots.
    pub fn new(config: &Config, logger: Option<Arc<Logger>>) -> Result<Transport> {
        let proxy =
            match &config.proxy {
                Some(url) => Some(ureq::Proxy::new(url).map_err(|_| {
                    Error::config("`proxy` is not a usable proxy URL; give it like http://10.0.0.1:3128 or socks5://10.0.0.1:1080")
                })?),
                // Environment proxies are ignored on purpose: what a till talks to is set in
                // one place, its configuration.
                None => None,
            };
        let tls_config = ureq::tls::TlsConfig::builder()
            .root_certs(tls::root_certs(config.ca_file.as_deref())?)
            .unversioned_rustls_crypto_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .build();
        let agent_config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .https_only(false)
            .user_agent(USER_AGENT)
            .timeout_global(Some(config.timeout))
            .timeout_connect(Some(config.connect_timeout))
            .proxy(proxy)
            .tls_config(tls_config)
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

    /// The gateway's clock minus this machine's, as learned from `Date` headers (ms).
    pub fn clock_offset_ms(&self) -> i64 {
        self.clock_offset_ms.load(Ordering::Relaxed)
    }

    /// Writes a line to the client's log, if it has one.
    pub fn log(&self, level: LogLevel, text: &str) {
        if let Some(logger) = &self.logger {
            logger.write(level, text);
        }
    }

    /// Signs and sends `call`; returns the server's JSON answer or a network, timeout or
    /// server error. Logs one line.
    pub fn send(&self, call: &HttpRequest<'_>) -> Result<Reply> {
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

    fn exchange(&self, call: &HttpRequest<'_>) -> Result<Reply> {
        let timeout = self.timeout_of(call)?;
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
        let response = result.map_err(|e| self.transport_error(e, call.path, timeout))?;
        self.reply(response, call, timeout)
    }

    /// How long this exchange may take: the client's timeout, or less when the caller's
    /// deadline comes sooner; an error when it has passed.
    fn timeout_of(&self, call: &HttpRequest<'_>) -> Result<Duration> {
        let Some(deadline) = call.deadline else {
            return Ok(self.timeout);
        };
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
        Ok(left.min(self.timeout))
    }

    /// Reads the answer, whatever its status, learning the gateway's clock from its `Date`.
    fn reply(
        &self,
        mut response: ureq::http::Response<ureq::Body>,
        call: &HttpRequest<'_>,
        timeout: Duration,
    ) -> Result<Reply> {
        if let Some(date) = response.headers().get("date").and_then(|d| d.to_str().ok()) {
            self.learn_clock(date);
        }
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(|s| Duration::from_secs(s).min(MAX_RETRY_AFTER));
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
        Reply::parse(status, &bytes, retry_after, call.method.as_str(), call.path)
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

    /// Describes a failed exchange without the URL (its query may carry a signature) and
    /// without the proxy (its URL may carry a password).
    fn transport_error(&self, error: ureq::Error, path: &str, timeout: Duration) -> Error {
        let host = &self.base_url;
        if let Some(why) = tls::tls_failure(&error) {
            // The handshake comes before any byte of HTTP: nothing was sent, and sending
            // again cannot help until the network or the configuration changes.
            return Error::new(
                ErrorKind::Network,
                format!(
                    "TLS with {host} failed ({why}): the gateway's certificate was not accepted and nothing was sent; if this network inspects TLS (a firewall with its own CA), give that CA's certificate in `ca_file`, otherwise check the network and the system clock"
                ),
            )
            .retryable(false)
            .delivered(Delivery::NotSent);
        }
        let delivery = match &error {
            ureq::Error::Timeout(ureq::Timeout::Resolve | ureq::Timeout::Connect)
            | ureq::Error::HostNotFound
            | ureq::Error::ConnectionFailed
            | ureq::Error::ConnectProxyFailed(_)
            | ureq::Error::InvalidProxyUrl
            | ureq::Error::BadUri(_)
            | ureq::Error::Http(_) => Delivery::NotSent,
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
            ureq::Error::Protocol(e) => Error::new(
                ErrorKind::Network,
                format!("{host} answered with broken HTTP ({e}); try again"),
            ),
            ureq::Error::ConnectProxyFailed(_) => Error::new(
                ErrorKind::Network,
                "the proxy refused to connect to the gateway; check `proxy` and that the proxy is running",
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
