//! Saving many members at once: worker threads that share one client (its connection pool
//! and token), an optional request-rate ceiling, results in input order.
//!
//! Invalid members are refused offline and never sent; the others still go.

use crate::client::{Client, Saved};
use crate::envelope;
use crate::error::{Error, ErrorKind, Result};
use crate::input;
use crate::member;
use serde_json::{Map, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub const DEFAULT_CONCURRENCY: usize = 4;
pub const MAX_CONCURRENCY: usize = 64;
/// A batch is a JSON array of members; this bounds what one call may hand over.
pub const MAX_BATCH_BYTES: usize = 64 << 20;

const OPTION_KEYS: [&str; 2] = ["concurrency", "rate"];

/// How a batch runs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BatchOptions {
    /// Worker threads (1 to 64).
    pub concurrency: usize,
    /// At most this many requests per second across all workers; None = no ceiling.
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
        let mut problems = Vec::new();
        for key in map.keys() {
            if !OPTION_KEYS.contains(&key.as_str()) {
                problems.push(crate::FieldError::new(
                    key.as_str(),
                    input::unknown_key_message(key, &OPTION_KEYS),
                ));
            }
        }
        let mut options = BatchOptions::default();
        match map.get("concurrency") {
            None | Some(Value::Null) => {}
            Some(v) => match v.as_u64() {
                Some(n) if (1..=MAX_CONCURRENCY as u64).contains(&n) => {
                    options.concurrency = n as usize
                }
                _ => problems.push(crate::FieldError::new(
                    "concurrency",
                    format!("must be a whole number from 1 to {MAX_CONCURRENCY}"),
                )),
            },
        }
        match map.get("rate") {
            None | Some(Value::Null) => {}
            Some(v) => match v.as_f64() {
                Some(r) if r > 0.0 && r.is_finite() => options.rate = Some(r),
                _ => problems.push(crate::FieldError::new(
                    "rate",
                    "must be a positive number of requests per second (or null for no ceiling)",
                )),
            },
        }
        if problems.is_empty() {
            Ok(options)
        } else {
            Err(Error::validation("batch options", problems))
        }
    }
}

/// Spaces requests so that consecutive ones start at least `1/rate` apart: no one-second
/// window ever holds more than `rate` of them.
pub struct Pacer {
    interval: Duration,
    /// When the last request was let through.
    last: Mutex<Option<Instant>>,
}

impl Pacer {
    pub fn new(rate: f64) -> Pacer {
        Pacer {
            interval: Duration::from_secs_f64(1.0 / rate),
            last: Mutex::new(None),
        }
    }

    /// Blocks until this caller may send its request. Waiters queue on the lock, so the
    /// spacing holds between actual starts, however late a sleeper wakes.
    pub fn wait(&self) {
        let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(previous) = *last {
            let due = previous + self.interval;
            let now = Instant::now();
            if due > now {
                std::thread::sleep(due - now);
            }
        }
        *last = Some(Instant::now());
    }
}

/// Told about each member of a batch as it goes; the import journal and progress use it.
pub trait Observer: Sync {
    /// Right before the save request of member `index` is sent.
    fn before_send(&self, _index: usize) {}
    /// When member `index` has its final result.
    fn finished(&self, _index: usize, _result: &Result<Saved>) {}
}

/// An observer that does nothing.
pub struct Silent;
impl Observer for Silent {}

/// Saves every member of `members` and returns one result per member, in input order.
pub fn save_all(
    client: &Client,
    members: &[Value],
    options: &BatchOptions,
    observer: &dyn Observer,
) -> Vec<Result<Saved>> {
    let mut results: Vec<Option<Result<Saved>>> = Vec::with_capacity(members.len());
    let mut to_send: Vec<(usize, Map<String, Value>)> = Vec::new();
    for (index, value) in members.iter().enumerate() {
        let checked = match value {
            Value::Object(map) => member::validate(map),
            other => Err(Error::invalid_argument(format!(
                "member {index} of the batch must be a JSON object, not {}",
                input::json_type_name(other)
            ))),
        };
        match checked {
            Ok(normalised) => {
                results.push(None);
                to_send.push((index, normalised));
            }
            Err(e) => {
                observer.finished(index, &Err(e.clone()));
                results.push(Some(Err(e)));
            }
        }
    }

    let pacer = options.rate.map(Pacer::new);
    let next = AtomicUsize::new(0);
    let sent: Mutex<Vec<(usize, Result<Saved>)>> = Mutex::new(Vec::with_capacity(to_send.len()));
    let workers = options
        .concurrency
        .clamp(1, MAX_CONCURRENCY)
        .min(to_send.len());
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                while let Some((index, normalised)) =
                    to_send.get(next.fetch_add(1, Ordering::Relaxed))
                {
                    observer.before_send(*index);
                    let result = guarded(|| client.save_normalised(normalised, pacer.as_ref()));
                    observer.finished(*index, &result);
                    sent.lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .push((*index, result));
                }
            });
        }
    });
    for (index, result) in sent.into_inner().unwrap_or_else(|p| p.into_inner()) {
        if let Some(slot) = results.get_mut(index) {
            *slot = Some(result);
        }
    }
    results
        .into_iter()
        .map(|r| r.unwrap_or_else(|| Err(Error::internal("a batch member got no result"))))
        .collect()
}

/// Keeps one member's panic (a bug) from taking down the whole batch.
fn guarded(f: impl FnOnce() -> Result<Saved>) -> Result<Saved> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
        .unwrap_or_else(|_| Err(Error::internal("jdy-member hit a bug saving this member")))
}

/// The batch envelope's `data`: a result envelope per member plus counts.
pub fn summary(results: &[Result<Saved>]) -> Value {
    let mut saved = 0;
    let mut refused = 0;
    let mut failed = 0;
    let envelopes: Vec<Value> = results
        .iter()
        .map(|result| match result {
            Ok(done) => {
                saved += 1;
                envelope::saved(done)
            }
            Err(e) => {
                if matches!(e.kind, ErrorKind::Validation | ErrorKind::InvalidArgument) {
                    refused += 1;
                } else {
                    failed += 1;
                }
                serde_json::json!({"ok": false, "error": e.to_json()})
            }
        })
        .collect();
    serde_json::json!({"results": envelopes, "saved": saved, "refused": refused, "failed": failed})
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
    }

    #[test]
    fn pacer_never_exceeds_its_rate() {
        let pacer = Pacer::new(50.0);
        let start = Instant::now();
        let mut times = Vec::new();
        for _ in 0..20 {
            pacer.wait();
            times.push(start.elapsed());
        }
        for pair in times.windows(2) {
            assert!(pair[1] - pair[0] >= Duration::from_millis(19), "{pair:?}");
        }
    }
}
