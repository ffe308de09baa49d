//! The gateway's engine: what every request of a client goes through, and the one request
//! loop that saves, reads and generic calls share.
//!
//! An attempt takes the app-token, waits for the account's budget (and a batch's pacer),
//! signs and sends, and repeats at once the refusals that cannot have applied anything
//! because the gateway refuses before routing: once with a fresh token, once re-authorized,
//! once with the clock corrected. Between attempts, a [`Policy`] says whether to try again
//! (reads, calls and saves differ there); waiting out a rate limit is not counted as a
//! retry. The engine knows no member.

use crate::config::Config;
use crate::error::{Delivery, Error, ErrorKind, Result};
use crate::gateway::authorization;
use crate::gateway::budget::Budget;
use crate::gateway::cache_files;
use crate::gateway::pacer::Pacer;
use crate::gateway::retry::{self, NextStep, Op};
use crate::gateway::token::{Token, TokenCache};
use crate::gateway::transport::{AppRoute, HttpRequest, Method, Transport};
use crate::kingdee::codes::{GatewayCode, Remedy};
use crate::kingdee::privacy;
use crate::log::{LogLevel, Logger};
use serde_json::Value;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const CLOCK_REFUSED: i64 = GatewayCode::Timestamp.number();
const APP_SECRET_ROTATED: i64 = GatewayCode::AppSecretRotated.number();

/// Signs, budgets, retries and decrypts the requests of one client; shared by its threads
/// (and its background flush).
pub(crate) struct Engine {
    transport: Transport,
    tokens: Arc<TokenCache>,
    budget: Option<Arc<Budget>>,
    config: Config,
}

/// One request to a business API, as the request loop repeats it.
pub(crate) struct ApiRequest<'a> {
    pub method: Method,
    pub path: &'a str,
    pub params: &'a [(String, String)],
    pub body: Option<&'a str>,
    /// What the request is, for messages ("member save").
    pub what: &'a str,
    /// The mobile number it is about, logged masked.
    pub mobile: Option<&'a str>,
}

/// What the request loop does after a failed attempt.
pub(crate) enum Then<T> {
    /// Wait, then send again (the error is what is reported if the retries or the deadline
    /// run out meanwhile).
    Retry(Error),
    /// Stop with this.
    Stop(Result<T>),
}

/// How one kind of request goes through the request loop: what it checks before each
/// attempt, what a success gives, and what follows a failure.
pub(crate) trait Policy {
    /// What the loop returns on success.
    type Output;

    /// Checked before every attempt; an error ends the loop without sending.
    fn before_attempt(&mut self) -> Result<()> {
        Ok(())
    }

    /// The pacer every attempt waits for (a batch's `rate`).
    fn pacer(&self) -> Option<&Pacer> {
        None
    }

    /// Cuts the waits between attempts short (a client being freed).
    fn cancel(&self) -> Option<&AtomicBool> {
        None
    }

    /// The result of an attempt that succeeded with `data`.
    fn answered(&mut self, data: Value) -> Self::Output;

    /// What follows an attempt that failed with `error`.
    fn failed(&mut self, error: Error) -> Then<Self::Output>;
}

/// A read: retried on any transient failure.
struct Read;

impl Policy for Read {
    type Output = Value;

    fn answered(&mut self, data: Value) -> Value {
        data
    }

    fn failed(&mut self, error: Error) -> Then<Value> {
        match retry::next_step(Op::Read, &error) {
            NextStep::Retry => Then::Retry(error),
            NextStep::Final | NextStep::Ambiguous => Then::Stop(Err(error)),
        }
    }
}

/// `f`, once more when the gateway refused its timestamp and `corrected` is not yet spent:
/// the refusal's `Date` has taught the transport the gateway's clock.
fn with_clock_correction<T>(corrected: &mut bool, mut f: impl FnMut() -> Result<T>) -> Result<T> {
    loop {
        match f() {
            Err(e) if e.errcode == Some(CLOCK_REFUSED) && !*corrected => *corrected = true,
            other => return other,
        }
    }
}

fn is_token_error(errcode: i64) -> bool {
    GatewayCode::from_number(errcode).is_some_and(|c| c.remedy() == Remedy::NewToken)
}

impl Engine {
    /// The engine of a checked configuration: its log, transport, the account's token cache
    /// and request budget (shared with the other clients of the account). Makes no request.
    pub fn new(config: &Config) -> Result<Engine> {
        let logger = match &config.log {
            Some((path, level)) => Some(Arc::new(Logger::open(path, *level)?)),
            None => None,
        };
        let transport = Transport::new(config, logger)?;
        let cache_file = cache_files::token_cache_file(config).unwrap_or_else(|why| {
            // Working without the shared cache beats not working.
            transport.log(LogLevel::Warn, &why);
            None
        });
        let budget = config.request_budget.map(|budget| {
            let file = cache_file.as_deref().map(cache_files::budget_file);
            Budget::shared(&config.account_key(), budget, file.as_deref())
        });
        Ok(Engine {
            tokens: TokenCache::shared(config, cache_file),
            budget,
            config: config.clone(),
            transport,
        })
    }

    /// The configuration the client was made with.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Writes `text` to the log, if there is one.
    pub fn log(&self, level: LogLevel, text: &str) {
        self.transport.log(level, text);
    }

    /// The whole-call limit, `deadline_ms`.
    pub fn deadline(&self) -> Duration {
        self.config.deadline
    }

    /// The account's request budget, unless it is off.
    pub fn budget(&self) -> Option<&Budget> {
        self.budget.as_deref()
    }

    /// The gateway's clock minus this machine's, as learned so far (ms).
    pub fn clock_offset_ms(&self) -> i64 {
        self.transport.clock_offset_ms()
    }

    /// A valid app-token (fetched when needed), once more after a clock refusal.
    pub fn token(&self, deadline: Instant) -> Result<Arc<Token>> {
        with_clock_correction(&mut false, || {
            self.tokens.token(&self.transport, Some(deadline))
        })
    }

    /// The authorization rows of `outer_instance_id`, once more after a clock refusal.
    pub fn authorization_rows(
        &self,
        outer_instance_id: &str,
        deadline: Instant,
    ) -> Result<Vec<Value>> {
        with_clock_correction(&mut false, || {
            authorization::authorization_rows(&self.transport, outer_instance_id, Some(deadline))
        })
    }

    /// A read, retried on any transient failure until `deadline`; personal fields of the
    /// answer decrypted.
    pub fn read(
        &self,
        path: &str,
        params: &[(String, String)],
        what: &str,
        mobile: Option<&str>,
        deadline: Instant,
    ) -> Result<Value> {
        let request = ApiRequest {
            method: Method::Get,
            path,
            params,
            body: None,
            what,
            mobile,
        };
        self.repeat(&request, &mut Read, deadline)
    }

    /// The request loop: attempts `request` until `policy` stops, the retries
    /// (`max_retries`, rate-limit waits not counted) or `deadline` run out.
    pub fn repeat<P: Policy>(
        &self,
        request: &ApiRequest<'_>,
        policy: &mut P,
        deadline: Instant,
    ) -> Result<P::Output> {
        let mut retries = 0;
        let mut attempts = 0;
        loop {
            policy.before_attempt()?;
            attempts += 1;
            let error = match self.attempt(request, policy.pacer(), attempts, deadline) {
                Ok(data) => return Ok(policy.answered(data)),
                Err(error) => error,
            };
            let error = match policy.failed(error) {
                Then::Retry(error) => error,
                Then::Stop(result) => return result,
            };
            // Waiting out a rate limit is not a retry: it only costs time.
            if error.kind != ErrorKind::RateLimited {
                retries += 1;
            }
            self.wait_before_retry(&error, retries, deadline, policy.cancel())?;
        }
    }

    /// Sleeps before the next try, or gives up with `error` when the retries (`retries`
    /// counts those that are not rate-limit waits) or the deadline are spent.
    fn wait_before_retry(
        &self,
        error: &Error,
        retries: u32,
        deadline: Instant,
        cancel: Option<&AtomicBool>,
    ) -> Result<()> {
        let max_retries = self.config.max_retries;
        let wait = retry::backoff(self.config.retry_backoff, retries.max(1), error);
        let spent = if retries > max_retries {
            Some(format!("max_retries {max_retries}"))
        } else if Instant::now() + wait >= deadline {
            Some(format!("deadline_ms {}", self.config.deadline.as_millis()))
        } else {
            None
        };
        if let Some(limit) = spent {
            let mut error = error.clone();
            error.message = format!("{} (gave up: {limit} reached)", error.message);
            return Err(error);
        }
        self.log(
            LogLevel::Warn,
            &format!(
                "retrying in {} ms after {}",
                wait.as_millis(),
                error.kind.as_str()
            ),
        );
        // In slices, so that a client being freed stops a background save promptly.
        let until = Instant::now() + wait;
        while Instant::now() < until {
            if cancel.is_some_and(|c| c.load(Ordering::Relaxed)) {
                return Err(error.clone());
            }
            std::thread::sleep(
                until
                    .saturating_duration_since(Instant::now())
                    .min(Duration::from_millis(50)),
            );
        }
        Ok(())
    }

    /// One attempt with the app-token, plus the retries that cannot apply anything twice
    /// because the gateway refuses before routing: once with a fresh token (4009-4011,
    /// 1000202001), once re-authorized (1030002006), once with the clock corrected (4006).
    /// The request waits for the account's budget (and the batch's pacer) before it goes.
    fn attempt(
        &self,
        request: &ApiRequest<'_>,
        pacer: Option<&Pacer>,
        attempt: u32,
        deadline: Instant,
    ) -> Result<Value> {
        let mut token_refreshed = false;
        let mut reauthorized = false;
        let mut clock_corrected = false;
        loop {
            let token = with_clock_correction(&mut clock_corrected, || {
                self.tokens.token(&self.transport, Some(deadline))
            })
            .map_err(|mut error| {
                // The request itself was never sent.
                error.delivery = Delivery::NotSent;
                error
            })?;
            let ticket = match &self.budget {
                Some(budget) => Some(budget.acquire(deadline)?),
                None => None,
            };
            if let Some(pacer) = pacer {
                pacer.wait();
            }
            let reply = self.transport.send(&HttpRequest {
                method: request.method,
                path: request.path,
                params: request.params,
                body: request.body,
                route: Some(AppRoute {
                    token: token.value(),
                    domain: &token.app.domain,
                }),
                attempt,
                deadline: Some(deadline),
                mobile: request.mobile,
            })?;
            match reply.into_data(request.what) {
                Ok(mut data) => {
                    if let Some(budget) = &self.budget {
                        budget.succeeded();
                    }
                    privacy::decrypt_answer(&self.config.client_secret, &mut data);
                    return Ok(data);
                }
                Err(e) if e.kind == ErrorKind::RateLimited => {
                    if let (Some(budget), Some(ticket)) = (&self.budget, ticket) {
                        budget.rate_limited(ticket, e.retry_after());
                    }
                    return Err(e);
                }
                Err(e) if e.errcode.is_some_and(is_token_error) && !token_refreshed => {
                    token_refreshed = true;
                    self.tokens.invalidate_token(&token);
                }
                Err(e)
                    if e.errcode == Some(APP_SECRET_ROTATED)
                        && !reauthorized
                        && self.tokens.can_reauthorize() =>
                {
                    reauthorized = true;
                    self.tokens.invalidate_app(&token);
                }
                Err(e) if e.errcode == Some(CLOCK_REFUSED) && !clock_corrected => {
                    // The refusal's Date header has taught the transport the gateway's time.
                    clock_corrected = true;
                }
                Err(e) => return Err(e),
            }
        }
    }
}
