//! Sending the rows to save, as they come from the file, in chunks: each chunk one batch of
//! the library (its workers, pacing and request budget), observed row by row to write the
//! journal around each save, reject what fails and show progress.
//!
//! `batch::save_all` takes its members as a whole list, so a file is sent a chunk of
//! `CHUNK_ROWS` at a time: memory holds one chunk, whatever the file's size. The client (its
//! connections, token and request budget) is shared by every chunk; what a batch keeps for
//! itself is carried from one chunk to the next here: `--rate` spaces the first request of a
//! chunk from the end of the one before, and once the gateway cannot be reached
//! (`GatewayWatch`), the rows left are reported not sent at once, as one batch would.

use super::gateway::GatewayWatch;
use super::journal::RowState;
use super::ledger::Ledger;
use super::progress::Progress;
use crate::args::ImportArgs;
use crate::output::{describe, Output};
use crate::records::{FileRecord, Format};
use crate::session::Session;
use jdy_member::batch::{self, BatchOptions, Observer};
use jdy_member::{Error, Saved};
use serde_json::{Map, Value};
use std::sync::Mutex;
use std::time::{Duration, Instant};

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
    session: &'a Session,
    options: BatchOptions,
    format: Format,
    ledger: &'a Ledger,
    progress: &'a Progress,
    out: &'a Output,
    rows: Vec<Pending>,
    /// The members of `rows` as the batch takes them, index for index.
    members: Vec<Value>,
    gateway: Mutex<GatewayWatch>,
    /// When the last chunk was sent, to space the next chunk's first request by `--rate`.
    last_chunk: Option<Instant>,
    /// Rows handed to a batch so far.
    pub sent: usize,
}

impl<'a> Sender<'a> {
    pub fn new(
        session: &'a Session,
        args: &ImportArgs,
        format: Format,
        ledger: &'a Ledger,
        progress: &'a Progress,
        out: &'a Output,
    ) -> Sender<'a> {
        Sender {
            session,
            options: BatchOptions {
                concurrency: args.concurrency as usize,
                rate: args.rate,
            },
            format,
            ledger,
            progress,
            out,
            rows: Vec::with_capacity(CHUNK_ROWS),
            members: Vec::with_capacity(CHUNK_ROWS),
            gateway: Mutex::new(GatewayWatch::default()),
            last_chunk: None,
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
        let down = lock(&self.gateway).down();
        match down {
            Some(not_sent) => {
                for index in 0..self.rows.len() {
                    observer.finished(index, &Err(not_sent.clone()));
                }
            }
            None => {
                self.space_from_last_chunk();
                batch::save_all(
                    &self.session.client,
                    &self.members,
                    &self.options,
                    &observer,
                );
            }
        }
        let io_error = observer
            .io_error
            .into_inner()
            .unwrap_or_else(|p| p.into_inner());
        self.last_chunk = Some(Instant::now());
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

    /// With `--rate`, waits until the first request of a chunk may follow the last of the
    /// chunk before (each batch paces only its own requests), which started before that
    /// chunk ended.
    fn space_from_last_chunk(&self) {
        let (Some(rate), Some(last)) = (self.options.rate, self.last_chunk) else {
            return;
        };
        let due = last + Duration::try_from_secs_f64(1.0 / rate).unwrap_or(Duration::ZERO);
        let now = Instant::now();
        if due > now {
            std::thread::sleep(due - now);
        }
    }

    /// Shows a row's error above the progress (the rejects file and the summary say it
    /// with `--json`).
    pub fn show_error(&self, location: &str, error: &Error) {
        show_error(self.progress, self.out, location, error);
    }
}

/// Shows a row's error above the progress, or as a line when there is no bar; nothing with
/// `--json`.
pub(super) fn show_error(progress: &Progress, out: &Output, location: &str, error: &Error) {
    if out.json {
        return;
    }
    if progress.plain {
        out.record_error(location, error);
    } else {
        progress
            .bar
            .println(format!("{location}: {}", describe(error)));
    }
}

/// The fastest the import may go: `--rate` or the account's request budget, whichever is
/// lower. Says how long the budget makes a large import of `rows` rows take.
pub(super) fn rate_ceiling(
    session: &Session,
    rate: Option<f64>,
    rows: usize,
    out: &Output,
) -> Option<f64> {
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

    /// Rejects row `index` and shows its error above the progress.
    fn failed(&self, index: usize, error: &Error) {
        let Some(pending) = self.sender.rows.get(index) else {
            return;
        };
        let sender = self.sender;
        self.keep_io_error(sender.ledger.reject(sender.format, &pending.record, error));
        sender.show_error(&pending.record.location(sender.format), error);
    }
}

impl Observer for ChunkObserver<'_, '_> {
    fn label(&self, index: usize) -> String {
        self.sender
            .rows
            .get(index)
            .map(|p| p.record.location(self.sender.format))
            .unwrap_or_else(|| format!("member {}", index + 1))
    }

    fn before_send(&self, index: usize) {
        self.journal(index, RowState::Sending, None);
    }

    fn finished(&self, index: usize, result: &jdy_member::Result<Saved>) {
        lock(&self.sender.gateway).record(result);
        match result {
            Ok(saved) => {
                self.journal(index, RowState::Saved, saved.data.get("id"));
                self.sender.ledger.tally.count_saved();
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
        self.sender
            .progress
            .row_done(&self.sender.ledger.tally, true);
    }
}
