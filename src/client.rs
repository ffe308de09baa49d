//! The client: the façade a program (and the C ABI) uses. One engine (configuration,
//! connection pool, the account's token and request budget, the retry policy), the member
//! operations over it, and the offline outbox. `Client` is `Send + Sync`; share one per
//! process (clients of one account share the token and the budget anyway).

use crate::config::{Config, Offline, RequestBudget};
use crate::doctor::{self, Check};
use crate::error::{Error, Result};
use crate::gateway::engine::Engine;
use crate::gateway::generic_call::{self, GenericCall};
use crate::kingdee::labels::Labels;
use crate::log::LogLevel;
use crate::members::save::{Saved, SendOptions};
use crate::members::validation;
use crate::members::Members;
use crate::outbox::background::Background;
use crate::outbox::flush::{self, FlushOptions, FlushSummary};
use crate::outbox::queue::OfflineQueue;
use crate::outbox::requests::{self, Target};
use crate::outbox::store::Outbox;
use serde_json::{json, Map, Value};
use std::sync::Arc;
use std::time::Duration;

/// A client of one Kingdee account. Create one per process and share it between threads.
pub struct Client {
    /// Declared first, so dropped first: the background flush stops before the rest goes.
    _background: Option<Background>,
    members: Arc<Members>,
    outbox: Option<Arc<Outbox>>,
    /// Where saves that cannot reach the gateway go (`offline`).
    queue: OfflineQueue,
    keep: Duration,
}

impl Client {
    /// A client for a checked configuration. Makes no request (it opens the outbox file,
    /// when there is one).
    pub fn new(config: Config) -> Result<Client> {
        let members = Arc::new(Members::new(Arc::new(Engine::new(&config)?)));
        let outbox = match &config.outbox_path {
            Some(path) => Some(Arc::new(Outbox::open(path)?)),
            None => None,
        };
        let keep = config.outbox_keep;
        let background = match (&outbox, config.outbox_flush_interval) {
            (Some(outbox), Some(interval)) => Some(Background::start(
                members.clone(),
                outbox.clone(),
                interval,
                keep,
            )?),
            _ => None,
        };
        let queued = outbox.clone().filter(|_| config.offline == Offline::Queue);
        Ok(Client {
            _background: background,
            members,
            outbox,
            queue: OfflineQueue::new(queued),
            keep,
        })
    }

    fn engine(&self) -> &Engine {
        self.members.engine()
    }

    /// A client from configuration JSON text.
    pub fn from_json(config_json: &str) -> Result<Client> {
        Client::new(Config::from_json(config_json)?)
    }

    /// Writes `text` to the log, if there is one.
    pub(crate) fn log(&self, level: LogLevel, text: &str) {
        self.engine().log(level, text);
    }

    /// Requests per second the account's budget currently allows this process; None when
    /// `request_budget` is off.
    pub fn budget_rate_per_s(&self) -> Option<f64> {
        self.engine().budget().map(|b| b.rate_per_s())
    }

    /// The configured request budget (requests, window), when there is one.
    pub fn request_budget(&self) -> Option<RequestBudget> {
        self.engine().budget().map(|b| b.configured())
    }

    /// Checks what can go wrong on a till, one by one, each with a verdict and what to do:
    /// the configuration, DNS, the gateway and TLS, the clock, the authorization, the
    /// token, permission for every API the library uses, the request budget. Makes a few
    /// harmless reads.
    pub fn doctor(&self) -> Vec<Check> {
        doctor::run(self.engine(), self.outbox.as_deref())
    }

    /// Validates `member` offline, then saves it (or, with `offline: "queue"`, keeps it in
    /// the outbox when the gateway cannot be reached).
    pub fn save_member(&self, member: &Map<String, Value>) -> Result<Saved> {
        let normalised = validation::validate(member)?;
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

    /// Saves a validated member, or queues it (`offline: "queue"`) when the gateway cannot
    /// be reached; `options` are the batch's.
    pub(crate) fn save_or_queue(
        &self,
        normalised: &Map<String, Value>,
        options: SendOptions<'_>,
    ) -> Result<Saved> {
        self.queue.save_or_queue(&self.members, normalised, options)
    }

    /// With `offline: "queue"`, keeps a member whose save failed without reaching the
    /// gateway (or whose outcome is unknown: then in doubt) in the outbox; else `error`.
    pub(crate) fn queue_unsent(
        &self,
        normalised: &Map<String, Value>,
        error: Error,
    ) -> Result<Saved> {
        self.queue.queue_unsent(&self.members, normalised, error)
    }

    /// The stored member if `normalised` is already saved as given (looked up by mobile,
    /// compared on every field the answers show), in the shape of a save answer.
    pub fn find_saved(&self, normalised: &Map<String, Value>) -> Result<Option<Value>> {
        self.members.find_saved(normalised)
    }

    /// One member by `{"id": ..}` or `{"mobile": ..}`, personal fields decrypted; `null`
    /// when there is none, whichever way the gateway says so.
    pub fn get_member(&self, query: &Map<String, Value>) -> Result<Value> {
        self.members.get(query)
    }

    /// A page of members, personal fields decrypted.
    pub fn list_members(&self, query: &Map<String, Value>) -> Result<Value> {
        self.members.list(query)
    }

    /// Any other JDY endpoint through the same signed client: `{"method", "path", "query",
    /// "body", "idempotent"}` (see `jdy_call`); `data` as received, personal fields
    /// decrypted.
    pub fn call(&self, request: &Map<String, Value>) -> Result<Value> {
        generic_call::send(self.engine(), &GenericCall::from_map(request)?)
    }

    /// How saves send labels (`labels` in the configuration): as given, or resolved to ids.
    pub fn labels(&self) -> Labels {
        self.members.labels()
    }

    /// The member with its references given by name or number (`shop`, `sale_shop`,
    /// `level`, `customer`; `label` only under `"labels": "resolve_to_ids"`) replaced by ids,
    /// read from the account's master data; every one that cannot be resolved is named in
    /// one `validation` error.
    pub fn resolve_references(&self, member: &Map<String, Value>) -> Result<Map<String, Value>> {
        let mut resolved = member.clone();
        self.members.resolve(&mut resolved)?;
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
        let normalised = validation::validate(member)?;
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
        let options = FlushOptions::from_map(options, self.engine().deadline())?;
        let _ = outbox.prune(self.keep);
        let summary: FlushSummary = flush::flush(&self.members, outbox, options, None)?;
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
            Some(member) => Some(validation::validate(member)?),
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
