//! How fast and how wide a batch or an outbox flush sends: the `rate` ceiling (consecutive
//! requests start at least `1/rate` apart) and the worker threads (`concurrency`).

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Worker threads unless `concurrency` says otherwise.
pub const DEFAULT_CONCURRENCY: usize = 4;
/// The most worker threads a batch or a flush may have.
pub const MAX_CONCURRENCY: usize = 64;
/// The lowest and highest `rate` (requests per second).
pub const RATE_RANGE: (f64, f64) = (0.01, 10_000.0);

/// What a `concurrency` must be, for messages.
pub(crate) fn concurrency_expected() -> String {
    format!("a whole number from 1 to {MAX_CONCURRENCY}")
}

/// What a `rate` must be, for messages: "a number of requests per second from 0.01 to
/// 10000".
pub fn rate_expected() -> String {
    format!(
        "a number of requests per second from {} to {}",
        RATE_RANGE.0, RATE_RANGE.1
    )
}

/// `rate` when it is within [`RATE_RANGE`].
pub fn rate_in_range(rate: f64) -> Option<f64> {
    (RATE_RANGE.0..=RATE_RANGE.1)
        .contains(&rate)
        .then_some(rate)
}

/// Spaces requests so that consecutive ones start at least `1/rate` apart: no one-second
/// window ever holds more than `rate` of them.
pub(crate) struct Pacer {
    interval: Duration,
    /// When the last request was let through.
    last: Mutex<Option<Instant>>,
}

impl Pacer {
    /// A pacer for `rate` requests per second (within [`RATE_RANGE`]).
    pub fn new(rate: f64) -> Pacer {
        Pacer {
            interval: Duration::try_from_secs_f64(1.0 / rate).unwrap_or(Duration::from_secs(100)),
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

#[cfg(test)]
mod tests {
    use super::*;

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
