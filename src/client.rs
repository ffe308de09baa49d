//! The client: configuration, one connection pool, the account's token and request budget,
//! the retry policy, the member operations and the offline outbox. `Client` is
//! `Send + Sync`; share one per process (clients of one account share the token and the
//! budget anyway).

use crate::config::{Config, LogLevel, Offline};
use crate::error::{Delivery, Error, ErrorKind, Result};
use crate::gateway::breaker::{self, Breaker};
use crate::gateway::budget::Budget;
use crate::gateway::generic_call::CallRequest;
use crate::gateway::pacer::Pacer;
use crate::gateway::retry::{self, Op, Verdict};
use crate::gateway::token::{self, TokenCache};
use crate::gateway::transport::{AppRoute, Call, Method, Transport};
use crate::kingdee::api;
use crate::kingdee::codes::GatewayCode;
use crate::kingdee::labels;
use crate::kingdee::privacy;
use crate::log::{mask_mobile, Logger};
use crate::members::recovery;
use crate::members::references::{self, MasterData};
use crate::members::validation as member;
use crate::outbox::flush::{self, Background, FlushOptions, FlushSummary};
use crate::outbox::requests::{self, Target};
use crate::outbox::store::Outbox;
use serde_json::{json, Map, Value};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const CLOCK_REFUSED: i64 = GatewayCode::Timestamp.number();
const APP_SECRET_ROTATED: i64 = GatewayCode::AppSecretRotated.number();
const SYSTEM_ERROR: i64 = GatewayCode::SystemError.number();

/// A successful save.
#[derive(Debug, Clone, PartialEq)]
pub struct Saved {
    /// Kingdee's answer (`id`, `custom_no`, `db_modify_time`, `enable`, `mobile`, `name`),
    /// personal fields decrypted; for a queued member, its outbox item.
    pub data: Value,
    /// The save's answer was lost, and the member was found stored as sent; `data` is then
    /// rebuilt from the lookups.
    pub recovered: bool,
    /// The gateway could not be reached and the member was kept in the outbox
    /// (`offline: "queue"`); `data` is the outbox item.
    pub queued: bool,
}

/// A client of one Kingdee account. Create one per process and share it between threads.
pub struct Client {
    /// Declared first, so dropped first: the background flush stops before the rest goes.
    _background: Option<Background>,
    core: Arc<Core>,
    outbox: Option<Arc<Outbox>>,
    offline: Offline,
    keep: Duration,
    /// With `offline: "queue"`: until when the gateway is taken to be unreachable, so that
    /// saves go to the outbox at once instead of each trying to connect.
    unreachable_until: std::sync::Mutex<Option<Instant>>,
}

/// After the gateway proved unreachable, saves in queue mode go straight to the outbox for
/// this long; then one tries again.
const UNREACHABLE_HOLD: Duration = Duration::from_secs(5);

/// What the threads of a client share (the background flusher too).
pub(crate) struct Core {
    pub(crate) transport: Transport,
    pub(crate) tokens: Arc<TokenCache>,
    pub(crate) budget: Option<Arc<Budget>>,
    /// Stores, levels, customers and labels, for references by name or number.
    pub(crate) master: MasterData,
    /// The configuration the client was made with (the doctor reports it).
    pub(crate) config: Config,
    client_secret: String,
    max_retries: u32,
    deadline: Duration,
    retry_backoff: Duration,
}

/// What a save is sent with beyond the member: the batch's pacer and breaker, and a flag
/// that stops it at its next wait.
#[derive(Default, Clone, Copy)]
pub(crate) struct SendOptions<'a> {
    pub pacer: Option<&'a Pacer>,
    pub breaker: Option<&'a Breaker>,
    pub cancel: Option<&'a AtomicBool>,
    /// Do not retry a gateway that cannot be reached (the member goes to the outbox).
    pub give_up_unreachable: bool,
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

/// Whether a failed save certainly never reached the gateway (unreachable, refused by TLS,
/// rate limited or the budget spent): what `offline: "queue"` keeps for later.
fn did_not_reach(error: &Error) -> bool {
    !error.outcome_unknown
        && (breaker::is_unreachable(error) || error.kind == ErrorKind::RateLimited)
}

impl Client {
    /// A client for a checked configuration. Makes no request (it opens the outbox file,
    /// when there is one).
    pub fn new(config: Config) -> Result<Client> {
        let core = Arc::new(Core::new(&config)?);
        let outbox = match &config.outbox_path {
            Some(path) => Some(Arc::new(Outbox::open(path)?)),
            None => None,
        };
        let keep = config.outbox_keep;
        let background = match (&outbox, config.outbox_flush_interval) {
            (Some(outbox), Some(interval)) => Some(Background::start(
                core.clone(),
                outbox.clone(),
                interval,
                keep,
            )?),
            _ => None,
        };
        Ok(Client {
            _background: background,
            core,
            outbox,
            offline: config.offline,
            keep,
            unreachable_until: std::sync::Mutex::new(None),
        })
    }

    /// A client from configuration JSON text.
    pub fn from_json(config_json: &str) -> Result<Client> {
        Client::new(Config::from_json(config_json)?)
    }

    /// Writes `text` to the log, if there is one.
    pub(crate) fn log(&self, level: LogLevel, text: &str) {
        self.core.log(level, text);
    }

    /// Requests per second the account's budget currently allows this process; None when
    /// `request_budget` is off.
    pub fn budget_rate_per_s(&self) -> Option<f64> {
        self.core.budget.as_ref().map(|b| b.rate_per_s())
    }

    /// The configured request budget (requests, window), when there is one.
    pub fn request_budget(&self) -> Option<crate::config::RequestBudget> {
        self.core.budget.as_ref().map(|b| b.configured())
    }

    /// Checks what can go wrong on a till, one by one, each with a verdict and what to do:
    /// the configuration, DNS, the gateway and TLS, the clock, the authorization, the
    /// token, permission for every API the library uses, the request budget. Makes a few
    /// harmless reads.
    pub fn doctor(&self) -> Vec<crate::doctor::Check> {
        crate::doctor::run(&self.core, self.outbox.as_deref())
    }

    /// Validates `member` offline, then saves it (or, with `offline: "queue"`, keeps it in
    /// the outbox when the gateway cannot be reached).
    pub fn save_member(&self, member: &Map<String, Value>) -> Result<Saved> {
        let normalised = member::validate(member)?;
        self.save_normalised(&normalised)
    }

    /// Saves a member that `member::validate` already normalised; see [`Client::save_member`].
    ///
    /// When an attempt fails in a way that leaves unknown whether the member was stored,
    /// the member is looked up by mobile before anything is sent again: found as sent, the
    /// save is reported done (`recovered`); not found, it is sent again. A failed save
    /// without `outcome_unknown` certainly did not save the member.
    pub fn save_normalised(&self, normalised: &Map<String, Value>) -> Result<Saved> {
        self.save_or_queue(normalised, SendOptions::default())
    }

    pub(crate) fn save_or_queue(
        &self,
        normalised: &Map<String, Value>,
        options: SendOptions<'_>,
    ) -> Result<Saved> {
        let queueing = self.offline == Offline::Queue && self.outbox.is_some();
        if queueing {
            let until = *self
                .unreachable_until
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            if until.is_some_and(|until| Instant::now() < until) {
                let held = Error::new(
                    ErrorKind::Network,
                    "not sent: the gateway was unreachable moments ago; kept in the outbox without trying again",
                )
                .delivered(Delivery::NotSent);
                return self.queue_unsent(normalised, held);
            }
        }
        let options = SendOptions {
            give_up_unreachable: queueing,
            ..options
        };
        match self.core.save_with(normalised, options) {
            Ok(saved) => Ok(saved),
            Err(error) => {
                if queueing && breaker::is_unreachable(&error) {
                    *self
                        .unreachable_until
                        .lock()
                        .unwrap_or_else(|p| p.into_inner()) =
                        Some(Instant::now() + UNREACHABLE_HOLD);
                }
                self.queue_unsent(normalised, error)
            }
        }
    }

    /// With `offline: "queue"`, keeps a member whose save failed without reaching the
    /// gateway (or whose outcome is unknown: then in doubt) in the outbox; else `error`.
    pub(crate) fn queue_unsent(
        &self,
        normalised: &Map<String, Value>,
        error: Error,
    ) -> Result<Saved> {
        let (Offline::Queue, Some(outbox)) = (self.offline, &self.outbox) else {
            return Err(error);
        };
        if !(did_not_reach(&error) || error.outcome_unknown) {
            return Err(error);
        }
        let (item, _) = outbox.add(normalised, error.outcome_unknown)?;
        self.log(
            LogLevel::Warn,
            &format!(
                "member {} queued in the outbox ({}): {}",
                mask_mobile(&item.mobile),
                item.outbox_id,
                error.kind.as_str()
            ),
        );
        let mut data = requests::answer(&item);
        data["reason"] = error.to_json();
        Ok(Saved {
            data,
            recovered: false,
            queued: true,
        })
    }

    /// The stored member if `normalised` is already saved as given (looked up by mobile,
    /// compared on every field the answers show), in the shape of a save answer.
    pub fn find_saved(&self, normalised: &Map<String, Value>) -> Result<Option<Value>> {
        self.core.find_saved(normalised)
    }

    /// One member by `{"id": ..}` or `{"mobile": ..}`, personal fields decrypted; `null`
    /// when there is none, whichever way the gateway says so.
    pub fn get_member(&self, query: &Map<String, Value>) -> Result<Value> {
        self.core.get_member(query)
    }

    /// A page of members, personal fields decrypted.
    pub fn list_members(&self, query: &Map<String, Value>) -> Result<Value> {
        self.core.list_members(query)
    }

    /// Any other JDY endpoint through the same signed client: `{"method", "path", "query",
    /// "body", "idempotent"}` (see `jdy_call`); `data` as received, personal fields
    /// decrypted.
    pub fn call(&self, request: &Map<String, Value>) -> Result<Value> {
        self.core.call(&CallRequest::from_map(request)?)
    }

    /// How saves send labels (`labels` in the configuration): as given, or resolved to ids.
    pub fn labels(&self) -> labels::Labels {
        self.core.config.labels
    }

    /// The member with its references given by name or number (`shop`, `sale_shop`,
    /// `level`, `customer`; `label` only under `"labels": "resolve_to_ids"`) replaced by ids,
    /// read from the account's master data; every one that cannot be resolved is named in
    /// one `validation` error.
    pub fn resolve_references(&self, member: &Map<String, Value>) -> Result<Map<String, Value>> {
        let mut resolved = member.clone();
        self.core.master.resolve(&self.core, &mut resolved)?;
        Ok(resolved)
    }

    fn outbox(&self) -> Result<&Outbox> {
        self.outbox.as_deref().ok_or_else(|| {
            Error::config("this client has no outbox; set `outbox_path` in its configuration (a file only this user can write to)")
        })
    }

    /// Validates `member` offline and keeps it in the outbox durably; returns at once with
    /// the item (`outbox_id`, `state`, `mobile`, `queued_at`; `merged` when it replaced a
    /// queued member with the same mobile).
    pub fn outbox_add(&self, member: &Map<String, Value>) -> Result<Value> {
        let normalised = member::validate(member)?;
        let (item, merged) = self.outbox()?.add(&normalised, false)?;
        let mut data = requests::answer(&item);
        if merged {
            data["merged"] = Value::Bool(true);
        }
        Ok(data)
    }

    /// Sends what is queued, oldest first, exactly once each: `{"max", "deadline_ms",
    /// "concurrency"}`, each optional.
    pub fn outbox_flush(&self, options: &Map<String, Value>) -> Result<Value> {
        let outbox = self.outbox()?;
        let options = FlushOptions::from_map(options, self.core.deadline)?;
        let _ = outbox.prune(self.keep);
        let summary: FlushSummary = flush::flush(&self.core, outbox, options, None)?;
        serde_json::to_value(summary).map_err(|e| Error::internal(e.to_string()))
    }

    /// How many items are in each state, the oldest queued, the latest error.
    pub fn outbox_status(&self) -> Result<Value> {
        let status = self.outbox()?.status()?;
        serde_json::to_value(status).map_err(|e| Error::internal(e.to_string()))
    }

    /// Items, oldest first: `{"state", "limit", "after"}`, each optional.
    pub fn outbox_list(&self, query: &Map<String, Value>) -> Result<Value> {
        let (state, limit, after) = requests::list_query(query)?;
        let items = self.outbox()?.list(state, limit, after.as_deref())?;
        Ok(json!({"items": items, "count": items.len()}))
    }

    /// Queues refused items again: `{"outbox_id": .., "member": {corrected member}}` or
    /// `{"state": "refused"}`.
    pub fn outbox_retry(&self, query: &Map<String, Value>) -> Result<Value> {
        let target = Target::parse(query, true)?;
        let member = match &target.member {
            Some(member) => Some(member::validate(member)?),
            None => None,
        };
        let outbox = self.outbox()?;
        let requeued = outbox.requeue(target.id.as_deref(), member.as_ref(), target.state)?;
        target.answer(
            outbox,
            requeued,
            "requeued",
            "only a refused or discarded item can be queued again",
        )
    }

    /// Gives up on refused (or queued) items: `{"outbox_id": ..}` or `{"state": "refused"}`.
    /// They are kept as `discarded`, never deleted.
    pub fn outbox_discard(&self, query: &Map<String, Value>) -> Result<Value> {
        let target = Target::parse(query, false)?;
        let outbox = self.outbox()?;
        let discarded = outbox.discard(target.id.as_deref(), target.state)?;
        target.answer(
            outbox,
            discarded,
            "discarded",
            "only a refused item, or a queued one that was never sent, can be discarded",
        )
    }
}

impl Core {
    fn new(config: &Config) -> Result<Core> {
        let logger = match &config.log {
            Some((path, level)) => Some(Arc::new(Logger::open(path, *level)?)),
            None => None,
        };
        let transport = Transport::new(config, logger)?;
        let cache_file = token::cache_file(config).unwrap_or_else(|why| {
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
        Ok(Core {
            tokens: TokenCache::shared(config, cache_file),
            budget,
            master: MasterData::new(config.master_data_ttl),
            config: config.clone(),
            client_secret: config.client_secret.clone(),
            max_retries: config.max_retries,
            deadline: config.deadline,
            retry_backoff: config.retry_backoff,
            transport,
        })
    }

    /// Writes `text` to the log, if there is one.
    pub(crate) fn log(&self, level: LogLevel, text: &str) {
        self.transport.log(level, text);
    }

    /// The whole-call limit, `deadline_ms`.
    pub(crate) fn deadline(&self) -> Duration {
        self.deadline
    }

    pub(crate) fn save_with(
        &self,
        normalised: &Map<String, Value>,
        options: SendOptions<'_>,
    ) -> Result<Saved> {
        // References given by name or number become ids first (a store named in a shop's
        // spreadsheet, a member kept in the outbox before the lists could be read).
        let resolved;
        let normalised = if references::unresolved(normalised, self.config.labels).is_empty() {
            normalised
        } else {
            let mut member = normalised.clone();
            self.master.resolve(self, &mut member)?;
            resolved = member;
            &resolved
        };
        // Whether the account takes label names or ids is unknown: a refusal about labels
        // says which reading to try.
        self.send_save(normalised, options)
            .map_err(|error| labels::with_reading_hint(error, normalised, self.config.labels))
    }

    /// Sends a member whose references are resolved, retrying and recovering as the
    /// failure allows.
    fn send_save(
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
            if options.cancel.is_some_and(|c| c.load(Ordering::Relaxed)) {
                return Err(Error::new(
                    ErrorKind::Network,
                    "not sent: the client is being freed; the member is still in the outbox",
                )
                .delivered(Delivery::NotSent));
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
                        queued: false,
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
            if options.give_up_unreachable && breaker::is_unreachable(&error) {
                return Err(error);
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
            self.wait_before_retry(&error, retries, deadline, options.cancel)?;
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
            queued: false,
        }
    }

    pub(crate) fn find_saved(&self, normalised: &Map<String, Value>) -> Result<Option<Value>> {
        recovery::stored_as_sent(self, normalised, Instant::now() + self.deadline)
    }

    fn get_member(&self, query: &Map<String, Value>) -> Result<Value> {
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

    fn list_members(&self, query: &Map<String, Value>) -> Result<Value> {
        let params = member::list_query(query)?;
        self.read(
            api::MEMBER,
            &params,
            "member list",
            None,
            Instant::now() + self.deadline,
        )
    }

    /// A generic signed call (see `call`): a GET as a read, a POST retried only when it
    /// certainly did not reach Kingdee, or when it is idempotent.
    pub(crate) fn call(&self, call: &CallRequest) -> Result<Value> {
        let deadline = Instant::now() + self.deadline;
        if call.method == Method::Get {
            return self.read(&call.path, &call.params, &call.path, None, deadline);
        }
        let request = Request {
            method: Method::Post,
            path: &call.path,
            params: &call.params,
            body: call.body.as_deref(),
            what: &call.path,
            mobile: None,
        };
        let mut retries = 0;
        let mut attempts = 0;
        loop {
            attempts += 1;
            let error = match self.attempt(&request, None, attempts, deadline) {
                Ok(data) => return Ok(data),
                Err(error) => error,
            };
            match retry::verdict(Op::Save, &error) {
                Verdict::Final => return Err(error),
                Verdict::Retry => {}
                Verdict::Ambiguous if call.idempotent => {}
                Verdict::Ambiguous => {
                    let mut error = error;
                    error.message = format!(
                        "{}; the call may or may not have been applied, and it was not sent again because a POST is not idempotent: check in Kingdee, or mark calls that carry a src_bill_id \"idempotent\": true",
                        error.message
                    );
                    error.outcome_unknown = true;
                    error.retryable = false;
                    return Err(error);
                }
            }
            if error.kind != ErrorKind::RateLimited {
                retries += 1;
            }
            self.wait_before_retry(&error, retries, deadline, None)?;
        }
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
            self.wait_before_retry(&error, retries, deadline, None)?;
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
            let ticket = match &self.budget {
                Some(budget) => Some(budget.acquire(deadline)?),
                None => None,
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
                Ok(mut data) => {
                    if let Some(budget) = &self.budget {
                        budget.succeeded();
                    }
                    privacy::decrypt_answer(&self.client_secret, &mut data);
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

fn is_token_error(errcode: i64) -> bool {
    GatewayCode::from_number(errcode)
        .is_some_and(|c| c.remedy() == crate::kingdee::codes::Remedy::NewToken)
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
