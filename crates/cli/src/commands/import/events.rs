//! What an import tells as it goes, row by row, to whoever shows it: the command line's
//! progress bar and stderr lines (`progress`), or the page's counters (`commands/ui`). The
//! import itself (`stream`, `send`, `recover`) is one and the same for both; only what it
//! reports to differs. Also the pace both show: the rate so far and the time left at the
//! rate the account's request budget allows.

use super::ledger::Tally;
use crate::records::FileRecord;
use jdy_member::Error;
use serde_json::Value;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

/// Told about each row of an import as its outcome is known, from the reading thread and
/// from the batch's worker threads.
pub trait ImportEvents: Sync {
    /// A row that is not saved (refused offline or by Kingdee, or failed), at `location`
    /// ("row 8"); it is in the rejects file already.
    fn row_error(&self, location: &str, error: &Error);
    /// A row saved now, or found saved when an earlier run had left it in doubt; `id` is
    /// the member's id as the gateway gave it.
    fn row_saved(&self, _record: &FileRecord, _id: Option<&Value>) {}
    /// One more row is done; `sent` when it went to the gateway. `tally` holds the counts
    /// so far.
    fn row_done(&self, tally: &Tally, sent: bool);
}

/// The pace of an import over the `total` rows of its file.
pub struct Pace {
    started: Instant,
    total: usize,
    /// Rows sent that have their result: the rate is theirs.
    sent: AtomicUsize,
    /// The fastest the account's request budget lets the import go (members per second).
    ceiling: Option<f64>,
}

impl Pace {
    pub fn new(total: usize, ceiling: Option<f64>) -> Pace {
        Pace {
            started: Instant::now(),
            total,
            sent: AtomicUsize::new(0),
            ceiling,
        }
    }

    /// One more row sent has its result.
    pub fn count_sent(&self) {
        self.sent.fetch_add(1, Ordering::Relaxed);
    }

    /// The rate of sending so far (members per second), and the seconds left once `done`
    /// rows are done, at the rate the budget allows: a bulk import is bounded by Kingdee's
    /// budget, so early fast saves do not promise a short import.
    pub fn at(&self, done: usize) -> (f64, f64) {
        let seconds = self.started.elapsed().as_secs_f64().max(0.001);
        let sent = self.sent.load(Ordering::Relaxed);
        let rate = sent as f64 / seconds;
        let expected = match self.ceiling {
            Some(ceiling) if rate > ceiling || sent == 0 => ceiling,
            _ => rate,
        };
        let eta = if expected > 0.0 {
            (self.total - done.min(self.total)) as f64 / expected
        } else {
            0.0
        };
        (rate, eta)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_time_left_is_reckoned_at_the_budget_until_sending_is_slower() {
        let pace = Pace::new(1000, Some(8.0));
        let (rate, eta) = pace.at(0);
        assert_eq!(rate, 0.0);
        assert!((eta - 125.0).abs() < 0.01, "{eta}");
        let unbounded = Pace::new(10, None);
        assert_eq!(unbounded.at(0), (0.0, 0.0));
    }
}
