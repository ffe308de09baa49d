//! Sending the queued rows: one batch of the library (its workers, pacing and request
//! budget), observed row by row to write the journal around each save, reject what fails
//! and show progress; the rate ceiling and the time the budget makes an import take.

use super::journal::RowState;
use super::ledger::Ledger;
use super::plan::Queue;
use super::progress::Progress;
use crate::args::ImportArgs;
use crate::output::{describe, Output};
use crate::records::Format;
use crate::session::Session;
use jdy_member::batch::{self, BatchOptions, Observer};
use jdy_member::{Error, Saved};
use serde_json::Value;
use std::sync::Mutex;

/// Saves every queued row; an error only when the journal or rejects file failed.
pub(super) fn send(
    session: &Session,
    args: &ImportArgs,
    format: Format,
    queue: &Queue,
    ledger: &Ledger,
    out: &Output,
) -> Result<(), Error> {
    let ceiling = rate_ceiling(session, args.rate, queue.members.len(), out);
    let progress = Progress::new(queue.members.len(), ceiling);
    let observer = ImportObserver {
        queue,
        format,
        ledger,
        progress: &progress,
        out,
        io_error: Mutex::new(None),
    };
    let options = BatchOptions {
        concurrency: args.concurrency as usize,
        rate: args.rate,
    };
    batch::save_all(&session.client, &queue.members, &options, &observer);
    progress.bar.finish_and_clear();
    if let Some(e) = observer
        .io_error
        .into_inner()
        .unwrap_or_else(|p| p.into_inner())
    {
        return Err(Error::invalid_argument(format!(
            "the journal or rejects file could not be written ({e}); the import is incomplete, fix the disk and run it again with --resume"
        )));
    }
    Ok(())
}

/// The fastest the import may go: `--rate` or the account's request budget, whichever is
/// lower. Says how long the budget makes a large import take.
fn rate_ceiling(session: &Session, rate: Option<f64>, rows: usize, out: &Output) -> Option<f64> {
    let budget_rate = session.client.budget_rate_per_s();
    if let (Some(budget), Some(left)) = (budget_rate, Some(rows).filter(|n| *n > 100)) {
        out.note(&format!(
            "the account's request budget allows about {:.0} saves a minute: {left} rows take at least {:.0} minutes",
            budget * 60.0,
            left as f64 / budget / 60.0
        ));
    }
    match (budget_rate, rate) {
        (Some(budget), Some(rate)) => Some(budget.min(rate)),
        (budget, rate) => budget.or(rate),
    }
}

/// Told about each row by the batch, from its worker threads.
struct ImportObserver<'a> {
    queue: &'a Queue<'a>,
    format: Format,
    ledger: &'a Ledger,
    progress: &'a Progress,
    out: &'a Output,
    /// The first journal or rejects write that failed (kept so the batch goes on).
    io_error: Mutex<Option<std::io::Error>>,
}

impl ImportObserver<'_> {
    fn journal(&self, index: usize, state: RowState, id: Option<&Value>) {
        let Some(pending) = self.queue.rows.get(index) else {
            return;
        };
        let written = self
            .ledger
            .journal(pending.record, &pending.fingerprint, state, id);
        self.keep_io_error(written);
    }

    fn keep_io_error(&self, written: std::io::Result<()>) {
        if let Err(e) = written {
            *self.io_error.lock().unwrap_or_else(|p| p.into_inner()) = Some(e);
        }
    }

    /// Rejects row `index` and shows its error above the progress.
    fn failed(&self, index: usize, error: &Error) {
        let Some(pending) = self.queue.rows.get(index) else {
            return;
        };
        self.keep_io_error(self.ledger.reject(self.format, pending.record, error));
        let location = pending.record.location(self.format);
        if self.out.json {
            // The rejects file and the summary say it.
        } else if self.progress.plain {
            self.out.record_error(&location, error);
        } else {
            self.progress
                .bar
                .println(format!("{location}: {}", describe(error)));
        }
    }
}

impl Observer for ImportObserver<'_> {
    fn label(&self, index: usize) -> String {
        self.queue
            .rows
            .get(index)
            .map(|p| p.record.location(self.format))
            .unwrap_or_else(|| batch::default_label(index))
    }

    fn before_send(&self, index: usize) {
        self.journal(index, RowState::Sending, None);
    }

    fn finished(&self, index: usize, result: &jdy_member::Result<Saved>) {
        match result {
            Ok(saved) => {
                self.journal(index, RowState::Saved, saved.data.get("id"));
                self.ledger.tally.count_saved();
            }
            Err(error) => {
                // A failed save without `outcome_unknown` certainly saved nothing: never in
                // doubt on resume.
                if !error.outcome_unknown {
                    self.journal(index, RowState::NotSent, None);
                }
                self.failed(index, error);
            }
        }
        self.progress.step(&self.ledger.tally);
    }
}
