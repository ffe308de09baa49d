//! The import's progress over the rows of the file: a bar with the rate and the time left
//! on a terminal, a line every two seconds otherwise (a log or a CI run), the time left
//! reckoned at the pace the account's request budget allows.

use super::ledger::Tally;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub(super) struct Progress {
    pub bar: ProgressBar,
    /// Lines instead of a bar: stderr is not a terminal.
    pub plain: bool,
    last_line: Mutex<Instant>,
    started: Instant,
    /// The rows of the file.
    total: usize,
    /// Rows sent that have their result: the rate is theirs.
    sent: AtomicUsize,
    /// The fastest the account's request budget lets the import go (members per second).
    ceiling: Option<f64>,
}

impl Progress {
    pub fn new(total: usize, ceiling: Option<f64>) -> Progress {
        let plain = !std::io::stderr().is_terminal();
        let bar = if plain {
            ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::hidden())
        } else {
            ProgressBar::new(total as u64)
        };
        if let Ok(style) = ProgressStyle::with_template("{bar:40} {pos}/{len} rows · {msg}") {
            bar.set_style(style);
        }
        Progress {
            bar,
            plain,
            last_line: Mutex::new(Instant::now()),
            started: Instant::now(),
            total,
            sent: AtomicUsize::new(0),
            ceiling,
        }
    }

    /// The rate of sending so far, and the time left at the rate the budget allows: a bulk
    /// import is bounded by Kingdee's budget, so early fast saves do not promise a short
    /// import.
    fn pace(&self, done: usize) -> (f64, f64) {
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

    /// One more row is done; `sent` when it went to the gateway.
    pub fn row_done(&self, tally: &Tally, sent: bool) {
        if sent {
            self.sent.fetch_add(1, Ordering::Relaxed);
        }
        self.bar.inc(1);
        let done = self.bar.position() as usize;
        if !self.plain {
            let (rate, eta) = self.pace(done);
            self.bar.set_message(format!("{rate:.1}/s · ETA {eta:.0}s"));
            return;
        }
        let mut last = self.last_line.lock().unwrap_or_else(|p| p.into_inner());
        if last.elapsed() >= Duration::from_secs(2) || done == self.total {
            *last = Instant::now();
            let (rate, eta) = self.pace(done);
            eprintln!(
                "progress: {done}/{} rows, saved {}, refused {}, failed {}, skipped {}, {rate:.1}/s, ETA {eta:.0}s",
                self.total,
                tally.saved(),
                tally.refused(),
                tally.failed(),
                tally.skipped(),
            );
        }
    }
}
