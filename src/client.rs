//! The client: configuration, one connection pool, one token cache, the retry policy and
//! the member operations. `Client` is `Send + Sync`; share one per process.

use crate::batch::Pacer;
use crate::config::{Config, LogLevel};
use crate::error::{Delivery, Error, Result};
use crate::log::{mask_mobile, Logger};
use crate::member;
use crate::retry::{self, Op, Verdict};
use crate::token::Session;
use crate::token_file::TokenFile;
use crate::transport::{is_token_error, AppRoute, Call, Method, Transport, APP_SECRET_ROTATED};
use serde_json::{Map, Value};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub const MEMBER_PATH: &str = "/jdy/v2/ls/member";
pub const MEMBER_DETAIL_PATH: &str = "/jdy/v2/ls/member_detail";

/// The gateway's code for a timestamp outside its 5-minute window.
const CLOCK_REFUSED: i64 = 4006;

/// The keys of a save answer, for answering a recovered save in the same shape.
const SAVE_ANSWER_KEYS: [&str; 6] = [
    "id",
    "custom_no",
    "db_modify_time",
    "enable",
    "mobile",
    "name",
];

/// A successful save.
#[derive(Debug, Clone, PartialEq)]
pub struct Saved {
    /// Kingdee's answer (`id`, `custom_no`, `db_modify_time`, `enable`, `mobile`, `name`).
    pub data: Value,
    /// The save's answer was lost, and the member was found stored exactly as sent.
    pub recovered: bool,
}

pub struct Client {
    transport: Transport,
    session: Session,
    max_retries: u32,
    deadline: Duration,
    retry_backoff: Duration,
}

/// One request of a call, as the retry loop repeats it.
struct Request<'a> {
    method: Method,
    path: &'a str,
    params: &'a [(String, String)],
    body: Option<&'a str>,
    what: &'a str,
    mobile: Option<&'a str>,
}

impl Client {
    pub fn new(config: Config) -> Result<Client> {
        let logger = match &config.log {
            Some((path, level)) => Some(Arc::new(Logger::open(path, *level)?)),
            None => None,
        };
        crate::log::install_panic_hook();
        Ok(Client {
            transport: Transport::new(&config, logger)?,
            session: Session::new(
                config.app_source,
                &config.client_id,
                &config.client_secret,
                config.token_cache_path.as_deref().map(TokenFile::new),
            ),
            max_retries: config.max_retries,
            deadline: config.deadline,
            retry_backoff: config.retry_backoff,
        })
    }

    /// A client from configuration JSON text.
    pub fn from_json(config_json: &str) -> Result<Client> {
        Client::new(Config::from_json(config_json)?)
    }

    /// Writes `text` to the log, if there is one.
    pub fn log(&self, level: LogLevel, text: &str) {
        self.transport.log(level, text);
    }

    /// Validates `member` offline, then saves it.
    pub fn save_member(&self, member: &Map<String, Value>) -> Result<Saved> {
        let normalised = member::validate(member)?;
        self.save_normalised(&normalised, None)
    }

    /// Saves a member that `member::validate` already normalised, waiting for `pacer`
    /// before each request when given.
    ///
    /// When an attempt fails in a way that leaves unknown whether the member was stored,
    /// the member is looked up by mobile before anything is sent again: found exactly as
    /// sent, the save is reported done (`recovered`); not found, it is sent again.
    pub fn save_normalised(
        &self,
        normalised: &Map<String, Value>,
        pacer: Option<&Pacer>,
    ) -> Result<Saved> {
        let body = serde_json::to_string(normalised)
            .map_err(|e| Error::internal(format!("a member could not be serialised: {e}")))?;
        let request = Request {
            method: Method::Post,
            path: MEMBER_PATH,
            params: &[],
            body: Some(&body),
            what: "member save",
            mobile: normalised.get("mobile").and_then(Value::as_str),
        };
        let deadline = Instant::now() + self.deadline;
        let mut retries = 0;
        loop {
            let error = match self.attempt(&request, pacer, retries + 1, deadline) {
                Ok(data) => {
                    return Ok(Saved {
                        data,
                        recovered: false,
                    })
                }
                Err(error) => error,
            };
            match retry::verdict(Op::Save, &error) {
                Verdict::Final => return Err(error),
                Verdict::Retry => {}
                Verdict::Ambiguous => match self.stored_as_sent(normalised, deadline) {
                    Ok(Some(stored)) => {
                        self.log(
                            LogLevel::Warn,
                            &format!(
                                "member save answer lost ({}); member {} found stored as sent, not sent again",
                                error.kind.as_str(),
                                request.mobile.map(mask_mobile).unwrap_or_default()
                            ),
                        );
                        return Ok(Saved {
                            data: save_answer(&stored),
                            recovered: true,
                        });
                    }
                    Ok(None) => {}
                    Err(lookup) => return Err(outcome_unknown(error, &lookup)),
                },
            }
            retries += 1;
            self.wait_before_retry(&error, retries, deadline)?;
        }
    }

    /// The stored member if `normalised` is already saved exactly as given: looked up by
    /// mobile, every sent field compared.
    pub fn find_saved(&self, normalised: &Map<String, Value>) -> Result<Option<Value>> {
        self.stored_as_sent(normalised, Instant::now() + self.deadline)
    }

    fn stored_as_sent(
        &self,
        normalised: &Map<String, Value>,
        deadline: Instant,
    ) -> Result<Option<Value>> {
        let Some(mobile) = normalised.get("mobile").and_then(Value::as_str) else {
            return Ok(None);
        };
        let params = [("mobile".to_string(), mobile.to_string())];
        let stored = self.read(
            MEMBER_DETAIL_PATH,
            &params,
            "member detail (checking a save)",
            Some(mobile),
            deadline,
        )?;
        let same = stored.as_object().is_some_and(|stored| {
            normalised.iter().all(|(key, sent)| match stored.get(key) {
                Some(kept) => kept == sent,
                None => sent.is_null(),
            })
        });
        Ok(same.then_some(stored))
    }

    /// One member by `{"id": ..}` or `{"mobile": ..}`; `null` when there is none.
    pub fn get_member(&self, query: &Map<String, Value>) -> Result<Value> {
        let params = member::detail_query(query)?;
        let mobile = params
            .iter()
            .find(|(k, _)| k == "mobile")
            .map(|(_, v)| v.as_str());
        self.read(
            MEMBER_DETAIL_PATH,
            &params,
            "member detail",
            mobile,
            Instant::now() + self.deadline,
        )
    }

    /// A page of members.
    pub fn list_members(&self, query: &Map<String, Value>) -> Result<Value> {
        let params = member::list_query(query)?;
        self.read(
            MEMBER_PATH,
            &params,
            "member list",
            None,
            Instant::now() + self.deadline,
        )
    }

    /// A read, retried on any transient failure until `deadline`.
    fn read(
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
        loop {
            let error = match self.attempt(&request, None, retries + 1, deadline) {
                Ok(data) => return Ok(data),
                Err(error) => error,
            };
            if retry::verdict(Op::Read, &error) != Verdict::Retry {
                return Err(error);
            }
            retries += 1;
            self.wait_before_retry(&error, retries, deadline)?;
        }
    }

    /// Sleeps before retry number `retries`, or gives up with `error` when the retries or
    /// the deadline are spent.
    fn wait_before_retry(&self, error: &Error, retries: u32, deadline: Instant) -> Result<()> {
        let wait = retry::backoff(self.retry_backoff, retries, error);
        let spent = if retries > self.max_retries {
            Some(format!("max_retries {}", self.max_retries))
        } else if Instant::now() + wait >= deadline {
            Some(format!("deadline_ms {}", self.deadline.as_millis()))
        } else {
            None
        };
        if let Some(limit) = spent {
            let mut error = error.clone();
            error.message = format!(
                "{} (gave up after {retries} attempt{}: {limit} reached)",
                error.message,
                if retries == 1 { "" } else { "s" }
            );
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
    /// corrected (4006).
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
            let token = match self.session.token(&self.transport, Some(deadline)) {
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
                Err(e) if e.errcode.is_some_and(is_token_error) && !token_refreshed => {
                    token_refreshed = true;
                    self.session.invalidate_token(&token);
                }
                Err(e)
                    if e.errcode == Some(APP_SECRET_ROTATED)
                        && !reauthorized
                        && self.session.can_reauthorize() =>
                {
                    reauthorized = true;
                    self.session.invalidate_app(&token);
                }
                Err(e) if e.errcode == Some(CLOCK_REFUSED) && !clock_corrected => {
                    // The refusal's Date header has taught the transport the gateway's time.
                    clock_corrected = true;
                }
                other => return other,
            }
        }
    }
}

/// A stored member in the shape of a save answer.
fn save_answer(stored: &Value) -> Value {
    let mut answer = Map::new();
    for key in SAVE_ANSWER_KEYS {
        if let Some(value) = stored.get(key) {
            answer.insert(key.to_string(), value.clone());
        }
    }
    Value::Object(answer)
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
