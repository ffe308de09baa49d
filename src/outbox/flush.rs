//! Sending what the outbox holds: oldest first, exactly once each, on worker threads that
//! share the client's budget and a breaker, explicitly (`jdy_outbox_flush`) or from the
//! background thread (`background`).

use crate::error::{Error, Result};
use crate::gateway::breaker::Breaker;
use crate::gateway::pacer::{concurrency_expected, DEFAULT_CONCURRENCY, MAX_CONCURRENCY};
use crate::members::save::{Outcome, SendOptions};
use crate::members::Members;
use crate::options::Reader;
use crate::outbox::item::Claimed;
use crate::outbox::store::Outbox;
use crate::panic;
use serde::Serialize;
use serde_json::{Map, Value};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A failed item waits this long before its next try, doubled per attempt, at most
/// `MAX_BACKOFF` (a background flush honours it; an explicit one does not).
const FIRST_BACKOFF: Duration = Duration::from_secs(1);
pub(crate) const MAX_BACKOFF: Duration = Duration::from_secs(300);
/// How long a claim outlives the most its sender can take (a lookup and a save, each
/// within the client's deadline): a sender past it is presumed dead.
const LEASE_MARGIN: Duration = Duration::from_secs(5);

const OPTION_KEYS: [&str; 3] = ["max", "deadline_ms", "concurrency"];

/// How a flush runs.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FlushOptions {
    /// At most this many items (None: all).
    pub max: Option<usize>,
    /// No item is started after this much time.
    pub deadline: Duration,
    pub concurrency: usize,
    /// Skip items still waiting out a failure.
    pub respect_backoff: bool,
}

impl FlushOptions {
    /// `{"max": n, "deadline_ms": n, "concurrency": n}`, each optional; the deadline defaults
    /// to the client's.
    pub fn from_map(map: &Map<String, Value>, default_deadline: Duration) -> Result<FlushOptions> {
        let mut r = Reader::new(map);
        r.unknown_keys(&OPTION_KEYS);
        let max = r.whole(
            "max",
            1..=10_000_000,
            "must be a whole number of items of at least 1",
        );
        let deadline = r.whole(
            "deadline_ms",
            1..=86_400_000,
            "must be a whole number of milliseconds from 1 to 86400000",
        );
        let concurrency = r.whole(
            "concurrency",
            1..=MAX_CONCURRENCY as u64,
            format!("must be {}", concurrency_expected()),
        );
        let options = FlushOptions {
            max: max.map(|n| n as usize),
            deadline: deadline.map_or(default_deadline, Duration::from_millis),
            concurrency: concurrency.map_or(DEFAULT_CONCURRENCY, |n| n as usize),
            respect_backoff: false,
        };
        r.finish("flush options", options)
    }
}

/// What a flush did.
#[derive(Debug, Clone, Default, Serialize)]
pub(crate) struct FlushSummary {
    /// Saved (recovered ones included).
    pub saved: usize,
    /// Of those, found already stored (a lost answer, or an earlier flush cut off).
    pub recovered: usize,
    /// Refused by Kingdee or validation: kept as `refused` with the reason.
    pub refused: usize,
    /// Not saved now (unreachable, rate limited, gateway failing): still queued.
    pub failed: usize,
    /// Queued or being sent after this flush.
    pub left: u64,
}

#[derive(Default)]
struct Counts {
    started: AtomicUsize,
    saved: AtomicUsize,
    recovered: AtomicUsize,
    refused: AtomicUsize,
    failed: AtomicUsize,
}

fn backoff(attempts: u32) -> Duration {
    FIRST_BACKOFF
        .saturating_mul(1u32 << attempts.saturating_sub(1).min(10))
        .min(MAX_BACKOFF)
}

/// Sends one claimed item and records the result.
fn send_one(
    members: &Members,
    outbox: &Outbox,
    claimed: &Claimed,
    breaker: &Breaker,
    cancel: Option<&AtomicBool>,
    counts: &Counts,
) -> Result<()> {
    // An earlier attempt may have been applied: look first, never send twice.
    if claimed.in_doubt {
        match members.find_saved(&claimed.member) {
            Ok(Some(stored)) => {
                counts.saved.fetch_add(1, Ordering::Relaxed);
                counts.recovered.fetch_add(1, Ordering::Relaxed);
                return outbox.saved(claimed, &stored);
            }
            Ok(None) => {}
            Err(lookup) => {
                counts.failed.fetch_add(1, Ordering::Relaxed);
                breaker.failed(&lookup);
                return outbox.failed(claimed, &lookup, true, backoff(1));
            }
        }
    }
    let options = SendOptions {
        pacer: None,
        breaker: Some(breaker),
        cancel,
        give_up_unreachable: false,
    };
    match members.save(&claimed.member, options) {
        Ok(saved) => {
            counts.saved.fetch_add(1, Ordering::Relaxed);
            if saved.recovered {
                counts.recovered.fetch_add(1, Ordering::Relaxed);
            }
            outbox.saved(claimed, &saved.data)
        }
        Err(error) => match Outcome::of_error(&error) {
            Outcome::Refused => {
                counts.refused.fetch_add(1, Ordering::Relaxed);
                outbox.refused(claimed, &error)
            }
            _ => {
                counts.failed.fetch_add(1, Ordering::Relaxed);
                let wait = backoff(claimed.attempts);
                outbox.failed(claimed, &error, error.outcome_unknown, wait)
            }
        },
    }
}

/// Sends what is queued, oldest first, until the outbox is empty, `max` items were
/// started, the deadline passed, or the gateway proved unreachable.
pub(crate) fn flush(
    members: &Members,
    outbox: &Outbox,
    options: FlushOptions,
    cancel: Option<&AtomicBool>,
) -> Result<FlushSummary> {
    let stop_at = Instant::now() + options.deadline;
    let lease = members.engine().deadline() * 2 + LEASE_MARGIN;
    let breaker = Breaker::default();
    let counts = Counts::default();
    let storage_error: Mutex<Option<Error>> = Mutex::new(None);
    let worker = || loop {
        let stopping = cancel.is_some_and(|c| c.load(Ordering::Relaxed));
        if stopping || Instant::now() >= stop_at || breaker.check().is_err() {
            return;
        }
        if options
            .max
            .is_some_and(|max| counts.started.fetch_add(1, Ordering::Relaxed) >= max)
        {
            return;
        }
        if options.max.is_none() {
            counts.started.fetch_add(1, Ordering::Relaxed);
        }
        let claimed = match outbox.claim(lease, options.respect_backoff) {
            Ok(Some(claimed)) => claimed,
            Ok(None) => return,
            Err(e) => {
                *storage_error.lock().unwrap_or_else(|p| p.into_inner()) = Some(e);
                return;
            }
        };
        let sent = panic::guard(|| send_one(members, outbox, &claimed, &breaker, cancel, &counts));
        if let Err(e) = sent {
            *storage_error.lock().unwrap_or_else(|p| p.into_inner()) = Some(e);
            return;
        }
    };
    std::thread::scope(|scope| {
        for _ in 0..options.concurrency.clamp(1, MAX_CONCURRENCY) {
            scope.spawn(worker);
        }
    });
    if let Some(e) = storage_error
        .into_inner()
        .unwrap_or_else(|p| p.into_inner())
    {
        return Err(e);
    }
    Ok(FlushSummary {
        saved: counts.saved.into_inner(),
        recovered: counts.recovered.into_inner(),
        refused: counts.refused.into_inner(),
        failed: counts.failed.into_inner(),
        left: outbox.left()?,
    })
}
