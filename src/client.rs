//! The client: configuration, one connection pool, the account's token and request budget,
//! the retry policy and the member operations. `Client` is `Send + Sync`; share one per
//! process (clients of one account share the token and the budget anyway).

use crate::api;
use crate::breaker::Breaker;
use crate::budget::Budget;
use crate::codes::GatewayCode;
use crate::config::{Config, LogLevel};
use crate::error::{Delivery, Error, ErrorKind, Result};
use crate::log::{mask_mobile, Logger};
use crate::member;
use crate::pacer::Pacer;
use crate::privacy;
use crate::recovery;
use crate::retry::{self, Op, Verdict};
use crate::token::{self, TokenCache};
use crate::transport::{AppRoute, Call, Method, Transport};
use serde_json::{Map, Value};
use std::sync::Arc;
use std::time::{Duration, Instant};

const CLOCK_REFUSED: i64 = GatewayCode::Timestamp.number();
const APP_SECRET_ROTATED: i64 = GatewayCode::AppSecretRotated.number();
const SYSTEM_ERROR: i64 = GatewayCode::SystemError.number();

/// A successful save.
#[derive(Debug, Clone, PartialEq)]
pub struct Saved {
    /// Kingdee's answer (`id`, `custom_no`, `db_modify_time`, `enable`, `mobile`, `name`),
    /// personal fields decrypted.
    pub data: Value,
    /// The save's answer was lost, and the member was found stored as sent; `data` is then
    /// rebuilt from the lookups.
    pub recovered: bool,
}

/// A client of one Kingdee account. Create one per process and share it between threads.
pub struct Client {
    transport: Transport,
    tokens: Arc<TokenCache>,
    budget: Option<Arc<Budget>>,
    client_secret: String,
    max_retries: u32,
    deadline: Duration,
    retry_backoff: Duration,
}

/// What a save is sent with beyond the member: the batch's pacer and breaker.
#[derive(Default, Clone, Copy)]
pub(crate) struct SendOptions<'a> {
    pub pacer: Option<&'a Pacer>,
    pub breaker: Option<&'a Breaker>,
}

/// One request of a call, as the retry loop repeats it.
pub(crate) struct Request<'a> {
    pub method: Method,
    pub path: &'a str,
    pub params: &'a [(String, String)],
    pub body: Option<&'a str>,
    pub what: &'a str,
    pub mobile: Option<&'a str>,
}

impl Client {
    /// A client for a checked configuration. Makes no request.
    pub fn new(config: Config) -> Result<Client> {
        let logger = match &config.log {
            Some((path, level)) => Some(Arc::new(Logger::open(path, *level)?)),
            None => None,
        };
        let transport = Transport::new(&config, logger)?;
        let cache_file = token::cache_file(&config).unwrap_or_else(|why| {
            // Working without the shared cache beats not working.
            transport.log(LogLevel::Warn, &why);
            None
        });
        let budget = config.request_budget.map(|budget| {
            let file = cache_file.as_ref().map(|path| {
                let mut budget_path = path.as_os_str().to_owned();
                budget_path.push(".budget");
                std::path::PathBuf::from(budget_path)
            });
            Budget::shared(&config.account_key(), budget, file.as_deref())
        });
        Ok(Client {
            tokens: TokenCache::shared(&config, cache_file),
            budget,
            client_secret: config.client_secret.clone(),
            max_retries: config.max_retries,
            deadline: config.deadline,
            retry_backoff: config.retry_backoff,
            transport,
        })
    }

    /// A client from configuration JSON text.
    pub fn from_json(config_json: &str) -> Result<Client> {
        Client::new(Config::from_json(config_json)?)
    }

    /// Writes `text` to the log, if there is one.
    pub(crate) fn log(&self, level: LogLevel, text: &str) {
        self.transport.log(level, text);
    }

    /// Requests per second the account's budget currently allows this process; None when
    /// `request_budget` is off.
    pub fn budget_rate_per_s(&self) -> Option<f64> {
        self.budget.as_ref().map(|b| b.rate_per_s())
    }

    /// The configured request budget (requests, window), when there is one.
    pub fn request_budget(&self) -> Option<crate::config::RequestBudget> {
        self.budget.as_ref().map(|b| b.configured())
    }

    /// Validates `member` offline, then saves it.
    pub fn save_member(&self, member: &Map<String, Value>) -> Result<Saved> {
        let normalised = member::validate(member)?;
        self.save_normalised(&normalised)
    }

    /// Saves a member that `member::validate` already normalised.
    ///
    /// When an attempt fails in a way that leaves unknown whether the member was stored,
    /// the member is looked up by mobile before anything is sent again: found as sent, the
    /// save is reported done (`recovered`); not found, it is sent again. A failed save
    /// without `outcome_unknown` certainly did not save the member.
    pub fn save_normalised(&self, normalised: &Map<String, Value>) -> Result<Saved> {
        self.save_with(normalised, SendOptions::default())
    }

    pub(crate) fn save_with(
        &self,
        normalised: &Map<String, Value>,
        options: SendOptions<'_>,
    ) -> Result<Saved> {
        let body = serde_json::to_string(normalised)
            .map_err(|e| Error::internal(format!("a member could not be serialised: {e}")))?;
        let request = Request {
            method: Method::Post,
            path: api::MEMBER,
            params: &[],
            body: Some(&body),
            what: "member save",
            mobile: normalised.get("mobile").and_then(Value::as_str),
        };
        let deadline = Instant::now() + self.deadline;
        let mut retries = 0;
        let mut attempts = 0;
        // An earlier attempt may have been applied: a refusal now may be of our own save.
        let mut maybe_applied = false;
        let mut system_errors = 0;
        loop {
            if let Some(breaker) = options.breaker {
                breaker.check()?;
            }
            attempts += 1;
            let result = self.attempt(&request, options.pacer, attempts, deadline);
            if let Some(breaker) = options.breaker {
                breaker.record(&result);
            }
            let error = match result {
                Ok(data) => {
                    return Ok(Saved {
                        data,
                        recovered: false,
                    })
                }
                Err(error) => error,
            };
            if maybe_applied && error.kind == ErrorKind::Api {
                // E.g. "组合值与其他表单重复": the gateway refusing a second save of the
                // member our lost attempt saved.
                return match recovery::stored_as_sent(self, normalised, deadline) {
                    Ok(Some(stored)) => Ok(self.recovered(&error, &request, stored)),
                    Ok(None) => Err(error),
                    Err(lookup) => Err(outcome_unknown(error, &lookup)),
                };
            }
            if error.errcode == Some(SYSTEM_ERROR) {
                system_errors += 1;
            }
            match retry::verdict(Op::Save, &error) {
                Verdict::Final => return Err(error),
                Verdict::Retry => {}
                Verdict::Ambiguous => {
                    maybe_applied = true;
                    match recovery::stored_as_sent(self, normalised, deadline) {
                        Ok(Some(stored)) => return Ok(self.recovered(&error, &request, stored)),
                        // Not stored. Kingdee's "system error" gets one careful retry only.
                        Ok(None) if system_errors > 1 => return Err(error),
                        Ok(None) => {}
                        Err(lookup) => return Err(outcome_unknown(error, &lookup)),
                    }
                }
            }
            // Waiting out a rate limit is not a retry: it only costs time.
            if error.kind != ErrorKind::RateLimited {
                retries += 1;
            }
            self.wait_before_retry(&error, retries, deadline)?;
        }
    }

    fn recovered(&self, error: &Error, request: &Request<'_>, stored: Value) -> Saved {
        self.log(
            LogLevel::Warn,
            &format!(
                "member save answer lost ({}); member {} found stored as sent, not sent again",
                error.kind.as_str(),
                request.mobile.map(mask_mobile).unwrap_or_default()
            ),
        );
        Saved {
            data: stored,
            recovered: true,
        }
    }

    /// The stored member if `normalised` is already saved as given (looked up by mobile,
    /// compared on every field the answers show), in the shape of a save answer.
    pub fn find_saved(&self, normalised: &Map<String, Value>) -> Result<Option<Value>> {
        recovery::stored_as_sent(self, normalised, Instant::now() + self.deadline)
    }

    /// One member by `{"id": ..}` or `{"mobile": ..}`, personal fields decrypted; `null`
    /// when there is none, whichever way the gateway says so.
    pub fn get_member(&self, query: &Map<String, Value>) -> Result<Value> {
        let params = member::detail_query(query)?;
        let mobile = params
            .iter()
            .find(|(k, _)| k == "mobile")
            .map(|(_, v)| v.as_str());
        let answer = self.read(
            api::MEMBER_DETAIL,
            &params,
            "member detail",
            mobile,
            Instant::now() + self.deadline,
        );
        Ok(recovery::found_member(answer)?.unwrap_or(Value::Null))
    }

    /// A page of members, personal fields decrypted.
    pub fn list_members(&self, query: &Map<String, Value>) -> Result<Value> {
        let params = member::list_query(query)?;
        self.read(
            api::MEMBER,
            &params,
            "member list",
            None,
            Instant::now() + self.deadline,
        )
    }

    /// A read, retried on any transient failure until `deadline`; personal fields of the
    /// answer decrypted.
    pub(crate) fn read(
        &self,
        path: &str,
        params: &[(String, String)],
        what: &str,
        mobile: Option<&str>,
        deadline: Instant,
    ) -> Result<Value> {
        let request = Request {
            method: Method::Get,
            path,
            params,
            body: None,
            what,
            mobile,
        };
        let mut retries = 0;
        let mut attempts = 0;
        loop {
            attempts += 1;
            let error = match self.attempt(&request, None, attempts, deadline) {
                Ok(data) => return Ok(data),
                Err(error) => error,
            };
            if retry::verdict(Op::Read, &error) != Verdict::Retry {
                return Err(error);
            }
            if error.kind != ErrorKind::RateLimited {
                retries += 1;
            }
            self.wait_before_retry(&error, retries, deadline)?;
        }
    }

    /// Sleeps before the next try, or gives up with `error` when the retries (`retries`
    /// counts those that are not rate-limit waits) or the deadline are spent.
    fn wait_before_retry(&self, error: &Error, retries: u32, deadline: Instant) -> Result<()> {
        let wait = retry::backoff(self.retry_backoff, retries.max(1), error);
        let spent = if retries > self.max_retries {
            Some(format!("max_retries {}", self.max_retries))
        } else if Instant::now() + wait >= deadline {
            Some(format!("deadline_ms {}", self.deadline.as_millis()))
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
        std::thread::sleep(wait);
        Ok(())
    }

    /// One attempt of a call with the app-token, plus the retries that cannot apply
    /// anything twice because the gateway refuses before routing: once with a fresh token
    /// (4009-4011, 1000202001), once re-authorized (1030002006), once with the clock
    /// corrected (4006). The request waits for the account's budget (and the batch's pacer)
    /// before it goes.
    fn attempt(
        &self,
        request: &Request<'_>,
        pacer: Option<&Pacer>,
        attempt: u32,
        deadline: Instant,
    ) -> Result<Value> {
        let mut token_refreshed = false;
        let mut reauthorized = false;
        let mut clock_corrected = false;
        loop {
            let token = match self.tokens.token(&self.transport, Some(deadline)) {
                Ok(token) => token,
                Err(mut error) => {
                    if error.errcode == Some(CLOCK_REFUSED) && !clock_corrected {
                        clock_corrected = true;
                        continue;
                    }
                    // The member request itself was never sent.
                    error.delivery = Delivery::NotSent;
                    return Err(error);
                }
            };
            if let Some(budget) = &self.budget {
                budget.acquire(deadline)?;
            }
            if let Some(pacer) = pacer {
                pacer.wait();
            }
            let reply = self.transport.send(&Call {
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
                    privacy::decrypt_answer(&self.client_secret, &mut data);
                    return Ok(data);
                }
                Err(e) if e.kind == ErrorKind::RateLimited => {
                    if let Some(budget) = &self.budget {
                        budget.rate_limited(e.retry_after());
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

fn is_token_error(errcode: i64) -> bool {
    GatewayCode::from_number(errcode).is_some_and(|c| c.remedy() == crate::codes::Remedy::NewToken)
}

/// The truth when neither the save's answer nor the look-up afterwards came through.
fn outcome_unknown(save: Error, lookup: &Error) -> Error {
    let mut error = save;
    error.message = format!(
        "{}; the member may or may not have been saved, and looking it up failed too ({}): look it up by mobile before saving it again",
        error.message, lookup.message
    );
    error.outcome_unknown = true;
    error.retryable = false;
    error
}
