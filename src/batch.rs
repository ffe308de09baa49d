//! Saving many members at once: worker threads that share one client (its connection pool,
//! token and request budget), an optional request-rate ceiling, results in input order.
//!
//! Invalid members are refused offline and never sent, and so is a later member with the
//! mobile of an earlier one (a batch saves each member once); the others still go. When the
//! gateway cannot be reached at all, the batch stops sending within about a second and
//! reports the rest as not sent.

use crate::client::Client;
use crate::envelope::Envelope;
use crate::error::{Error, ErrorKind, FieldError, Result};
use crate::gateway::breaker::Breaker;
use crate::gateway::pacer::{concurrency_expected, Pacer};
use crate::input::{self, MAX_INPUT_BYTES};
use crate::members::references;
use crate::members::save::{Saved, SendOptions};
use crate::members::validation;
use crate::options::Reader;
use crate::panic;
use serde::Serialize;
use serde_json::{Map, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

pub use crate::gateway::pacer::{
    rate_expected, rate_in_range, DEFAULT_CONCURRENCY, MAX_CONCURRENCY, RATE_RANGE,
};
pub use crate::members::repeated::RepeatedMobiles;
pub use crate::members::save::Outcome;

/// A batch is a JSON array of members; this bounds what one call may hand over.
pub const MAX_BATCH_BYTES: usize = 64 << 20;

const OPTION_KEYS: [&str; 2] = ["concurrency", "rate"];

/// How a batch runs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BatchOptions {
    /// Worker threads (1 to 64).
    pub concurrency: usize,
    /// At most this many requests per second across all workers; None = no ceiling beyond
    /// the account's request budget.
    pub rate: Option<f64>,
}

impl Default for BatchOptions {
    fn default() -> Self {
        BatchOptions {
            concurrency: DEFAULT_CONCURRENCY,
            rate: None,
        }
    }
}

impl BatchOptions {
    /// Reads `{"concurrency": n, "rate": r}`; both optional.
    pub fn from_map(map: &Map<String, Value>) -> Result<BatchOptions> {
        let mut r = Reader::new(map);
        r.unknown_keys(&OPTION_KEYS);
        let concurrency = r.whole(
            "concurrency",
            1..=MAX_CONCURRENCY as u64,
            format!("must be {}", concurrency_expected()),
        );
        let rate = r.number(
            "rate",
            RATE_RANGE.0..=RATE_RANGE.1,
            format!(
                "must be {} (or null for no ceiling beyond the account's budget)",
                rate_expected()
            ),
        );
        let options = BatchOptions {
            concurrency: concurrency.map_or(DEFAULT_CONCURRENCY, |n| n as usize),
            rate,
        };
        r.finish("batch options", options)
    }
}

/// How messages name member `index` of a batch unless its observer says otherwise:
/// "member 3" (counted from 1).
pub fn default_label(index: usize) -> String {
    format!("member {}", index + 1)
}

/// Told about each member of a batch as it goes; the import journal and progress use it.
pub trait Observer: Sync {
    /// How messages name member `index` ("member 3"; an import says "line 7").
    fn label(&self, index: usize) -> String {
        default_label(index)
    }
    /// Right before the save request of member `index` is sent.
    fn before_send(&self, _index: usize) {}
    /// When member `index` has its final result.
    fn finished(&self, _index: usize, _result: &Result<Saved>) {}
}

/// An observer that does nothing.
pub struct Silent;
impl Observer for Silent {}

/// For each member, the index of an earlier member with the same (normalised) mobile.
pub fn earlier_same_mobile(members: &[Option<&Map<String, Value>>]) -> Vec<Option<usize>> {
    let mut seen = RepeatedMobiles::with_capacity(members.len());
    members
        .iter()
        .enumerate()
        .map(|(index, member)| {
            let mobile = (*member)?.get("mobile")?.as_str()?;
            seen.earlier(mobile, index)
        })
        .collect()
}

/// `checked` with every later member that repeats the mobile of an earlier valid one
/// refused ("same mobile as member 3", naming the earlier by `label`): the earlier is saved
/// and the later is not, whatever the order they would be sent in.
pub fn refuse_repeated_mobiles(
    checked: Vec<Result<Map<String, Value>>>,
    label: impl Fn(usize) -> String,
) -> Vec<Result<Map<String, Value>>> {
    let valid: Vec<Option<&Map<String, Value>>> = checked.iter().map(|c| c.as_ref().ok()).collect();
    let earlier = earlier_same_mobile(&valid);
    checked
        .into_iter()
        .zip(earlier)
        .map(|(result, earlier)| match earlier {
            Some(first) => Err(duplicate_error(&label(first))),
            None => result,
        })
        .collect()
}

/// The refusal of a member that repeats the mobile of `earlier`.
pub fn duplicate_error(earlier: &str) -> Error {
    Error::validation(
        "member",
        vec![FieldError::new(
            "mobile",
            format!("same mobile as {earlier}; the earlier one is saved and this one is not, so that a member is never saved twice: merge the two and save the result on its own"),
        )],
    )
}

/// Checks one member of a batch offline.
fn check(index: usize, value: &Value) -> Result<Map<String, Value>> {
    let Value::Object(map) = value else {
        return Err(Error::invalid_argument(format!(
            "member {} of the batch must be a JSON object, not {}",
            index + 1,
            input::json_type_name(value)
        )));
    };
    let size = serde_json::to_string(value).map_or(usize::MAX, |t| t.len());
    if size > MAX_INPUT_BYTES {
        return Err(Error::invalid_argument(format!(
            "member {} of the batch is {size} bytes, more than the {MAX_INPUT_BYTES}-byte limit of one member; no member comes close, check what was put in it",
            index + 1
        )));
    }
    validation::validate(map)
}

/// Saves every member of `members` and returns one result per member, in input order.
pub fn save_all(
    client: &Client,
    members: &[Value],
    options: &BatchOptions,
    observer: &dyn Observer,
) -> Vec<Result<Saved>> {
    BatchRun::new(client, options).save_all(members, observer)
}

/// Offline checks, then references by name or number resolved before anything is sent, so
/// that a misspelt store, or a list the app may not read, is refused up front (a member
/// whose lists fail for a passing reason goes on as it is: its save resolves it, or fails,
/// or is queued).
fn check_all(client: &Client, members: &[Value]) -> Vec<Result<Map<String, Value>>> {
    let labels = client.labels();
    members
        .iter()
        .enumerate()
        .map(|(index, value)| {
            let normalised = check(index, value)?;
            if references::unresolved(&normalised, labels).is_empty() {
                return Ok(normalised);
            }
            match client.resolve_references(&normalised) {
                Ok(resolved) => Ok(resolved),
                Err(e) if e.kind == ErrorKind::Validation || !e.retryable => Err(e),
                Err(_) => Ok(normalised),
            }
        })
        .collect()
}

/// One batch whose members come in parts, as a file too large to hold is read: every part
/// shares the run's `rate` (its pacer spaces the first request of a part from the last of
/// the one before) and its breaker (once the gateway cannot be reached, the members of later
/// parts are reported not sent at once, without a request), as one [`save_all`] of all the
/// members would.
pub struct BatchRun<'c> {
    client: &'c Client,
    concurrency: usize,
    pacer: Option<Pacer>,
    breaker: Breaker,
}

impl<'c> BatchRun<'c> {
    /// A run on `client` with `options`.
    pub fn new(client: &'c Client, options: &BatchOptions) -> BatchRun<'c> {
        BatchRun {
            client,
            concurrency: options.concurrency,
            pacer: options.rate.map(Pacer::new),
            breaker: Breaker::default(),
        }
    }

    /// Saves every member of `members`, one part of the run, and returns one result per
    /// member, in input order; `observer` hears of them by their index in `members`.
    pub fn save_all(&self, members: &[Value], observer: &dyn Observer) -> Vec<Result<Saved>> {
        let client = self.client;
        let checked = refuse_repeated_mobiles(check_all(client, members), |i| observer.label(i));
        let mut results: Vec<Option<Result<Saved>>> = Vec::with_capacity(members.len());
        let mut to_send: Vec<(usize, &Map<String, Value>)> = Vec::new();
        for (index, checked) in checked.iter().enumerate() {
            match checked {
                Err(e) => {
                    let result = Err(e.clone());
                    observer.finished(index, &result);
                    results.push(Some(result));
                }
                Ok(normalised) => {
                    to_send.push((index, normalised));
                    results.push(None);
                }
            }
        }
        for (index, result) in self.send_all(&to_send, observer) {
            if let Some(slot) = results.get_mut(index) {
                *slot = Some(result);
            }
        }
        results
            .into_iter()
            .map(|r| r.unwrap_or_else(|| Err(Error::internal("a batch member got no result"))))
            .collect()
    }

    /// Sends `to_send` (index, member) on the worker threads; the results in the order
    /// they finished.
    fn send_all(
        &self,
        to_send: &[(usize, &Map<String, Value>)],
        observer: &dyn Observer,
    ) -> Vec<(usize, Result<Saved>)> {
        let client = self.client;
        let breaker = &self.breaker;
        let send = SendOptions {
            pacer: self.pacer.as_ref(),
            breaker: Some(breaker),
            cancel: None,
            give_up_unreachable: false,
        };
        let next = AtomicUsize::new(0);
        let sent: Mutex<Vec<(usize, Result<Saved>)>> =
            Mutex::new(Vec::with_capacity(to_send.len()));
        let workers = self
            .concurrency
            .clamp(1, MAX_CONCURRENCY)
            .min(to_send.len());
        std::thread::scope(|scope| {
            for _ in 0..workers {
                scope.spawn(|| {
                    while let Some((index, normalised)) =
                        to_send.get(next.fetch_add(1, Ordering::Relaxed))
                    {
                        // Once the gateway is unreachable nothing more is sent, or journaled
                        // as being sent.
                        let result = match breaker.check() {
                            // Not sent: kept in the outbox when the client queues, else failed.
                            Err(not_sent) => client.queue_unsent(normalised, not_sent),
                            Ok(()) => {
                                observer.before_send(*index);
                                panic::guard(|| client.save_or_queue(normalised, send))
                            }
                        };
                        observer.finished(*index, &result);
                        sent.lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .push((*index, result));
                    }
                });
            }
        });
        sent.into_inner().unwrap_or_else(|p| p.into_inner())
    }
}

/// The batch envelope's `data`: a result envelope per member plus counts.
#[derive(Debug, Serialize)]
pub struct Summary {
    /// One envelope per member, in input order.
    pub results: Vec<Envelope>,
    /// Members saved (recovered ones included).
    pub saved: usize,
    /// Members kept in the outbox because the gateway could not be reached.
    pub queued: usize,
    /// Of those, saves whose answer was lost and that were found stored.
    pub recovered: usize,
    /// Members refused (offline or by Kingdee): fix them.
    pub refused: usize,
    /// Members not saved now: send them again later.
    pub failed: usize,
}

/// The summary of a batch's results.
pub fn summary(results: &[Result<Saved>]) -> Summary {
    let mut summary = Summary {
        results: Vec::with_capacity(results.len()),
        saved: 0,
        queued: 0,
        recovered: 0,
        refused: 0,
        failed: 0,
    };
    for result in results {
        match Outcome::of(result) {
            Outcome::Saved if result.as_ref().is_ok_and(|s| s.queued) => summary.queued += 1,
            Outcome::Saved => summary.saved += 1,
            Outcome::Refused => summary.refused += 1,
            Outcome::Failed => summary.failed += 1,
        }
        summary.results.push(match result {
            Ok(done) => {
                if done.recovered {
                    summary.recovered += 1;
                }
                saved_envelope(done)
            }
            Err(e) => Envelope::Err(e.clone()),
        });
    }
    summary
}

/// The envelope of one save.
pub fn saved_envelope(saved: &Saved) -> Envelope {
    Envelope::marked(saved.data.clone(), saved.recovered, saved.queued)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_defaults_and_errors() {
        let parse = |v: Value| BatchOptions::from_map(v.as_object().unwrap());
        assert_eq!(
            parse(serde_json::json!({})).unwrap(),
            BatchOptions::default()
        );
        let o = parse(serde_json::json!({"concurrency": 16, "rate": 2.5})).unwrap();
        assert_eq!((o.concurrency, o.rate), (16, Some(2.5)));
        let e = parse(serde_json::json!({"concurrency": 0, "rate": -1, "rtae": 1})).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Validation);
        assert_eq!(e.fields.len(), 3);
        let typo = e.fields.iter().find(|f| f.field == "rtae").unwrap();
        assert!(typo.message.contains("did you mean `rate`"));
        for rate in [1e-300, 1e-6, 0.0, 1e6, f64::MAX] {
            assert!(parse(serde_json::json!({"rate": rate})).is_err(), "{rate}");
        }
        assert!(parse(serde_json::json!({"rate": 0.01})).is_ok());
    }

    #[test]
    fn later_members_with_an_earlier_mobile_are_found() {
        let m = |mobile: &str| {
            serde_json::json!({"mobile": mobile})
                .as_object()
                .unwrap()
                .clone()
        };
        let (a, b, c) = (m("13800000001"), m("13800000002"), m("13800000001"));
        let found = earlier_same_mobile(&[Some(&a), None, Some(&b), Some(&c), Some(&a)]);
        assert_eq!(found, vec![None, None, None, Some(0), Some(0)]);
        let e = duplicate_error("line 6");
        assert!(
            e.fields[0].message.starts_with("same mobile as line 6"),
            "{e:?}"
        );
    }

    #[test]
    fn one_meaning_of_refused() {
        for (kind, outcome) in [
            (ErrorKind::Validation, Outcome::Refused),
            (ErrorKind::Api, Outcome::Refused),
            (ErrorKind::Auth, Outcome::Failed),
            (ErrorKind::RateLimited, Outcome::Failed),
            (ErrorKind::Network, Outcome::Failed),
        ] {
            assert_eq!(
                Outcome::of_error(&Error::new(kind, "x")),
                outcome,
                "{kind:?}"
            );
        }
    }
}
