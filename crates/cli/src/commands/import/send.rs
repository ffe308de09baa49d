//! Sending the rows to save, as they come from the file, in chunks: each chunk one part of
//! the library's batch run (its workers, `--rate`, request budget, and the breaker that
//! stops sending once the gateway cannot be reached), observed row by row to write the
//! journal around each save, reject what fails and tell the import's `events`. Memory holds
//! one chunk of `CHUNK_ROWS`, whatever the file's size.

use super::events::ImportEvents;
use super::journal::RowState;
use super::ledger::Ledger;
use crate::args::ImportArgs;
use crate::output::Output;
use crate::records::{FileRecord, Format};
use crate::session::Session;
use jdy_member::batch::{self, BatchOptions, BatchRun, Observer};
use jdy_member::{Error, Saved};
use serde_json::{Map, Value};
use std::sync::Mutex;

/// Rows sent per batch. A chunk ends when its last request does, so its workers idle
/// while the last few are answered; a thousand rows make that a small share (bench section 9
/// measures it), and hold about a megabyte.
pub(super) const CHUNK_ROWS: usize = 1000;

/// One row on its way to the gateway.
struct Pending {
    record: FileRecord,
    fingerprint: u64,
}

/// Sends rows in chunks as they are pushed.
pub(super) struct Sender<'a> {
    run: BatchRun<'a>,
    format: Format,
    ledger: &'a Ledger,
    events: &'a dyn ImportEvents,
    rows: Vec<Pending>,
    /// The members of `rows` as the batch takes them, index for index.
    members: Vec<Value>,
    /// Rows handed to a batch so far.
    pub sent: usize,
}

impl<'a> Sender<'a> {
    pub fn new(
        session: &'a Session,
        args: &ImportArgs,
        format: Format,
        ledger: &'a Ledger,
        events: &'a dyn ImportEvents,
    ) -> Sender<'a> {
        let options = BatchOptions {
            concurrency: args.concurrency as usize,
            rate: args.rate,
        };
        Sender {
            run: BatchRun::new(&session.client, &options),
            format,
            ledger,
            events,
            rows: Vec::with_capacity(CHUNK_ROWS),
            members: Vec::with_capacity(CHUNK_ROWS),
            sent: 0,
        }
    }

    /// Queues a row to save, `member` as it is sent; sends the chunk when it is full.
    pub fn push(
        &mut self,
        record: FileRecord,
        fingerprint: u64,
        member: Map<String, Value>,
    ) -> Result<(), Error> {
        self.rows.push(Pending {
            record,
            fingerprint,
        });
        self.members.push(Value::Object(member));
        if self.rows.len() >= CHUNK_ROWS {
            self.flush()?;
        }
        Ok(())
    }

    /// Sends what is queued; an error only when the journal or rejects file failed.
    pub fn flush(&mut self) -> Result<(), Error> {
        if self.rows.is_empty() {
            return Ok(());
        }
        let observer = ChunkObserver {
            sender: self,
            io_error: Mutex::new(None),
        };
        self.run.save_all(&self.members, &observer);
        let io_error = observer
            .io_error
            .into_inner()
            .unwrap_or_else(|p| p.into_inner());
        self.sent += self.rows.len();
        self.rows.clear();
        self.members.clear();
        match io_error {
            Some(e) => Err(Error::invalid_argument(format!(
                "the journal or rejects file could not be written ({e}); the import is incomplete, fix the disk and run it again with --resume"
            ))),
            None => Ok(()),
        }
    }
}

/// The fastest the import may go: `--rate` or the account's request budget, whichever is
/// lower.
pub(super) fn rate_ceiling(session: &Session, rate: Option<f64>) -> Option<f64> {
    match (session.client.budget_rate_per_s(), rate) {
        (Some(budget), Some(rate)) => Some(budget.min(rate)),
        (budget, rate) => budget.or(rate),
    }
}

/// Says how long the account's request budget makes an import of `rows` rows take, when
/// that is long enough to matter.
pub(super) fn budget_note(session: &Session, rows: usize, out: &Output) {
    if let (Some(budget), true) = (session.client.budget_rate_per_s(), rows > 100) {
        out.note(&format!(
            "the account's request budget allows about {:.0} saves a minute: {rows} rows take at least {:.0} minutes",
            budget * 60.0,
            rows as f64 / budget / 60.0
        ));
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

/// Told about each row of a chunk by the batch, from its worker threads.
struct ChunkObserver<'s, 'a> {
    sender: &'s Sender<'a>,
    /// The first journal or rejects write that failed (kept so the batch goes on).
    io_error: Mutex<Option<std::io::Error>>,
}

impl ChunkObserver<'_, '_> {
    fn journal(&self, index: usize, state: RowState, id: Option<&Value>) {
        let Some(pending) = self.sender.rows.get(index) else {
            return;
        };
        let written = self
            .sender
            .ledger
            .journal(&pending.record, pending.fingerprint, state, id);
        self.keep_io_error(written);
    }

    fn keep_io_error(&self, written: std::io::Result<()>) {
        if let Err(e) = written {
            *lock(&self.io_error) = Some(e);
        }
    }

    /// Rejects row `index` and tells the events.
    fn failed(&self, index: usize, error: &Error) {
        let Some(pending) = self.sender.rows.get(index) else {
            return;
        };
        let sender = self.sender;
        self.keep_io_error(sender.ledger.reject(sender.format, &pending.record, error));
        sender
            .events
            .row_error(&pending.record.location(sender.format), error);
    }
}

impl Observer for ChunkObserver<'_, '_> {
    fn label(&self, index: usize) -> String {
        self.sender
            .rows
            .get(index)
            .map(|p| p.record.location(self.sender.format))
            .unwrap_or_else(|| batch::default_label(index))
    }

    fn before_send(&self, index: usize) {
        self.journal(index, RowState::Sending, None);
    }

    fn finished(&self, index: usize, result: &jdy_member::Result<Saved>) {
        match result {
            Ok(saved) => {
                self.journal(index, RowState::Saved, saved.data.get("id"));
                self.sender.ledger.tally.count_saved();
                if let Some(pending) = self.sender.rows.get(index) {
                    self.sender
                        .events
                        .row_saved(&pending.record, saved.data.get("id"));
                }
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
        self.sender.events.row_done(&self.sender.ledger.tally, true);
    }
}
