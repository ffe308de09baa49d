//! The save of a member: references resolved first, then the request loop with the save's
//! own rules. A save is not idempotent, so when an attempt fails in a way that leaves
//! unknown whether the member was stored, it is looked up by mobile before anything is sent
//! again: found as sent, the save is reported done (`recovered`); not found, it is sent
//! again. Kingdee's "system error" gets one careful retry only. A failed save without
//! `outcome_unknown` certainly did not save the member.

use crate::error::{Delivery, Error, ErrorKind, Result};
use crate::gateway::breaker::{self, Breaker};
use crate::gateway::engine::{ApiRequest, Policy, Then};
use crate::gateway::pacer::Pacer;
use crate::gateway::retry::{self, NextStep, Op};
use crate::gateway::transport::Method;
use crate::kingdee::api;
use crate::kingdee::codes::GatewayCode;
use crate::kingdee::labels;
use crate::log::{mask_mobile, LogLevel};
use crate::members::recovery;
use crate::members::references;
use crate::members::Members;
use serde_json::{Map, Value};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

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

/// How a member of a batch (or an import, or the outbox) ended. The one meaning of
/// "refused" everywhere: the member itself was not accepted, offline or by Kingdee, and must
/// be corrected; "failed" means it could not be saved now (network, gateway, budget,
/// credentials) and may be sent again as it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Saved (or found saved).
    Saved,
    /// Refused: fix the member.
    Refused,
    /// Not saved now: send it again later.
    Failed,
}

impl Outcome {
    /// How `result` ended.
    pub fn of(result: &Result<Saved>) -> Outcome {
        match result {
            Ok(_) => Outcome::Saved,
            Err(e) => Outcome::of_error(e),
        }
    }

    /// Refused or failed, by the error's kind.
    pub fn of_error(error: &Error) -> Outcome {
        match error.kind {
            ErrorKind::Validation | ErrorKind::InvalidArgument | ErrorKind::Api => Outcome::Refused,
            _ => Outcome::Failed,
        }
    }
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

impl Members {
    /// Saves a validated member: its references given by name or number resolved first,
    /// then sent, retried and recovered as the failure allows.
    pub fn save(&self, normalised: &Map<String, Value>, options: SendOptions<'_>) -> Result<Saved> {
        // References given by name or number become ids first (a store named in a shop's
        // spreadsheet, a member kept in the outbox before the lists could be read).
        let labels = self.labels();
        let resolved;
        let normalised = if references::unresolved(normalised, labels).is_empty() {
            normalised
        } else {
            let mut member = normalised.clone();
            self.resolve(&mut member)?;
            resolved = member;
            &resolved
        };
        // Whether the account takes label names or ids is unknown: a refusal about labels
        // says which reading to try.
        self.send_save(normalised, options)
            .map_err(|error| labels::with_reading_hint(error, normalised, labels))
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
        let mobile = normalised.get("mobile").and_then(Value::as_str);
        let request = ApiRequest {
            method: Method::Post,
            path: api::MEMBER,
            params: &[],
            body: Some(&body),
            what: "member save",
            mobile,
        };
        let deadline = Instant::now() + self.engine().deadline();
        let mut save = SavePolicy {
            members: self,
            normalised,
            mobile,
            options,
            deadline,
            maybe_applied: false,
            system_errors: 0,
        };
        self.engine().repeat(&request, &mut save, deadline)
    }
}

/// The save's rules in the request loop.
struct SavePolicy<'a> {
    members: &'a Members,
    normalised: &'a Map<String, Value>,
    mobile: Option<&'a str>,
    options: SendOptions<'a>,
    deadline: Instant,
    /// An earlier attempt may have been applied: a refusal now may be of our own save.
    maybe_applied: bool,
    system_errors: u32,
}

impl SavePolicy<'_> {
    /// The member stored as sent after `error`, looked up.
    fn look_up(&self) -> Result<Option<Value>> {
        recovery::stored_as_sent(self.members.engine(), self.normalised, self.deadline)
    }

    fn recovered(&self, error: &Error, stored: Value) -> Saved {
        self.members.engine().log(
            LogLevel::Warn,
            &format!(
                "member save answer lost ({}); member {} found stored as sent, not sent again",
                error.kind.as_str(),
                self.mobile.map(mask_mobile).unwrap_or_default()
            ),
        );
        Saved {
            data: stored,
            recovered: true,
            queued: false,
        }
    }
}

impl Policy for SavePolicy<'_> {
    type Output = Saved;

    fn before_attempt(&mut self) -> Result<()> {
        if let Some(breaker) = self.options.breaker {
            breaker.check()?;
        }
        if self
            .options
            .cancel
            .is_some_and(|c| c.load(Ordering::Relaxed))
        {
            return Err(Error::new(
                ErrorKind::Network,
                "not sent: the client is being freed; the member is still in the outbox",
            )
            .delivered(Delivery::NotSent));
        }
        Ok(())
    }

    fn pacer(&self) -> Option<&Pacer> {
        self.options.pacer
    }

    fn cancel(&self) -> Option<&AtomicBool> {
        self.options.cancel
    }

    fn answered(&mut self, data: Value) -> Saved {
        if let Some(breaker) = self.options.breaker {
            breaker.reached();
        }
        Saved {
            data,
            recovered: false,
            queued: false,
        }
    }

    fn failed(&mut self, error: Error) -> Then<Saved> {
        if let Some(breaker) = self.options.breaker {
            breaker.failed(&error);
        }
        if self.maybe_applied && error.kind == ErrorKind::Api {
            // E.g. "组合值与其他表单重复": the gateway refusing a second save of the
            // member our lost attempt saved.
            return Then::Stop(match self.look_up() {
                Ok(Some(stored)) => Ok(self.recovered(&error, stored)),
                Ok(None) => Err(error),
                Err(lookup) => Err(outcome_unknown(error, &lookup)),
            });
        }
        if error.errcode == Some(SYSTEM_ERROR) {
            self.system_errors += 1;
        }
        if self.options.give_up_unreachable && breaker::is_unreachable(&error) {
            return Then::Stop(Err(error));
        }
        match retry::next_step(Op::Save, &error) {
            NextStep::Final => Then::Stop(Err(error)),
            NextStep::Retry => Then::Retry(error),
            NextStep::Ambiguous => {
                self.maybe_applied = true;
                match self.look_up() {
                    Ok(Some(stored)) => Then::Stop(Ok(self.recovered(&error, stored))),
                    // Not stored. Kingdee's "system error" gets one careful retry only.
                    Ok(None) if self.system_errors > 1 => Then::Stop(Err(error)),
                    Ok(None) => Then::Retry(error),
                    Err(lookup) => Then::Stop(Err(outcome_unknown(error, &lookup))),
                }
            }
        }
    }
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
