//! The import's progress over the rows of the file, on the command line: a bar with the
//! rate and the time left on a terminal, a line every two seconds otherwise (a log or a CI
//! run), the time left reckoned at the pace the account's request budget allows; each
//! row's error above the bar (nothing with `--json`: the rejects file and the summary say
//! it). The bar's characters are one cell wide on a Chinese Windows console (`console`).

use super::events::{ImportEvents, Pace};
use super::ledger::Tally;
use crate::console::BAR;
use crate::output::{describe, Output};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use jdy_member::Error;
use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub(super) struct Progress<'a> {
    pub bar: ProgressBar,
    /// Lines instead of a bar: stderr is not a terminal.
    plain: bool,
    last_line: Mutex<Instant>,
    /// The rows of the file.
    total: usize,
    pace: Pace,
    out: &'a Output,
}

impl Progress<'_> {
    /// `ceiling`: the fastest the account's request budget lets the import go.
    pub fn new(total: usize, ceiling: Option<f64>, out: &Output) -> Progress<'_> {
        let plain = !std::io::stderr().is_terminal();
        let bar = if plain {
            ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::hidden())
        } else {
            ProgressBar::new(total as u64)
        };
        let template = format!("{{bar:40}} {{pos}}/{{len}} rows{}{{msg}}", BAR.separator);
        if let Ok(style) = ProgressStyle::with_template(&template) {
            bar.set_style(style.progress_chars(BAR.chars));
        }
        Progress {
            bar,
            plain,
            last_line: Mutex::new(Instant::now()),
            total,
            pace: Pace::new(total, ceiling),
            out,
        }
    }
}

impl ImportEvents for Progress<'_> {
    /// Shows a row's error above the progress, or as a line when there is no bar.
    fn row_error(&self, location: &str, error: &Error) {
        if self.out.json {
            return;
        }
        if self.plain {
            self.out.record_error(location, error);
        } else {
            self.bar.println(format!("{location}: {}", describe(error)));
        }
    }

    fn row_done(&self, tally: &Tally, sent: bool) {
        if sent {
            self.pace.count_sent();
        }
        self.bar.inc(1);
        let done = self.bar.position() as usize;
        if !self.plain {
            let (rate, eta) = self.pace.at(done);
            let separator = BAR.separator;
            self.bar
                .set_message(format!("{rate:.1}/s{separator}ETA {eta:.0}s"));
            return;
        }
        let mut last = self.last_line.lock().unwrap_or_else(|p| p.into_inner());
        if last.elapsed() >= Duration::from_secs(2) || done == self.total {
            *last = Instant::now();
            let (rate, eta) = self.pace.at(done);
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
