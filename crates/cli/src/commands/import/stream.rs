//! The second pass of an import: each record of the file, as it is read, checked offline
//! (`records::verdicts`), then refused, skipped (an earlier run saved it), looked up (in
//! doubt) or queued to send; rows are sent a chunk at a time (`send`). Nothing of a row is
//! kept once its outcome is written, so memory stays flat however long the file.

use super::events::ImportEvents;
use super::journal::{self, JournalState};
use super::ledger::{self, Ledger};
use super::plan::{self, Placement};
use super::recover::{self, Recovery};
use super::send::Sender;
use crate::args::ImportArgs;
use crate::records::{self, FileRecord, Format, ImportFile, Verdict};
use crate::session::Session;
use jdy_member::Error;

/// Imports every record of `file`, telling `events` of each; returns how many rows were
/// handed to the gateway. An error only when the file or the journal or rejects file could
/// not be read or written.
pub(super) fn import_rows(
    session: &Session,
    args: &ImportArgs,
    file: &mut ImportFile,
    previous: &JournalState,
    ledger: &Ledger,
    events: &dyn ImportEvents,
) -> Result<usize, Error> {
    let mut rows = Rows {
        format: file.format,
        session,
        previous,
        ledger,
        events,
        sender: Sender::new(session, args, file.format, ledger, events),
    };
    let read = records::verdicts(file, &mut |record, verdict| rows.take(record, verdict));
    // A file that fails part-way (changed while read) sends no more: the rows queued are
    // not journaled yet, so `--resume` sends them.
    let sent = read.and_then(|()| rows.sender.flush());
    sent.map(|()| rows.sender.sent)
}

/// Where the rows of the file go, one by one.
struct Rows<'a> {
    format: Format,
    session: &'a Session,
    previous: &'a JournalState,
    ledger: &'a Ledger,
    events: &'a dyn ImportEvents,
    sender: Sender<'a>,
}

impl Rows<'_> {
    /// Takes one record with its offline verdict.
    fn take(&mut self, record: FileRecord, verdict: Verdict) -> Result<(), Error> {
        let normalised = match verdict {
            Ok(normalised) => normalised,
            Err(error) => {
                self.reject(&record, &error)?;
                self.done();
                return Ok(());
            }
        };
        let fingerprint = journal::fingerprint(&normalised);
        match plan::place(self.previous, record.number, fingerprint) {
            Placement::Skip => {
                self.ledger.tally.count_skipped();
                self.done();
            }
            Placement::InDoubt => {
                let recovery = recover::recover(
                    self.session,
                    self.format,
                    &record,
                    fingerprint,
                    normalised,
                    self.ledger,
                )?;
                match recovery {
                    Recovery::NotFound(member) => self.sender.push(record, fingerprint, member)?,
                    Recovery::Found(id) => {
                        self.events.row_saved(&record, Some(&id));
                        self.done();
                    }
                    Recovery::Unknown => self.done(),
                }
            }
            Placement::Send => self.sender.push(record, fingerprint, normalised)?,
        }
        Ok(())
    }

    /// A row refused offline: written to the rejects file, and told.
    fn reject(&self, record: &FileRecord, error: &Error) -> Result<(), Error> {
        self.ledger
            .reject(self.format, record, error)
            .map_err(|e| ledger::unwritable(self.ledger.rejects.path(), e))?;
        self.events.row_error(&record.location(self.format), error);
        Ok(())
    }

    /// A row done without being sent.
    fn done(&self) {
        self.events.row_done(&self.ledger.tally, false);
    }
}
