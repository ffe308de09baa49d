//! `jdy-member import`: bulk saves with progress, a rejects file and a resumable journal.
//!
//! The journal (`<input>.journal.jsonl` beside the input) gets a `sending` line before each
//! save request, a `saved` line after it succeeds, and a `not_sent` line when it failed in a
//! way that certainly saved nothing (a 429, an unreachable gateway, a refusal). `--resume`
//! skips rows already saved, sends the `not_sent` ones again, and looks up the rows that
//! were in flight when the last run stopped before sending them again, so an import cut off
//! at any point saves nobody twice.
//!
//! An import streams the file to the gateway in flat memory: the file's first pass
//! (`records::ImportFile::read`) plans its columns, which are shown and must be settled
//! before anything is sent (`validate::show_plan`); `plan` reads the
//! earlier run's journal (compactly) and says where each valid row goes; `stream` is the
//! second pass, each record checked offline as it is read and then refused, skipped, looked
//! up (`recover`, the rows in doubt) or queued; `send` sends the queue a chunk at a time
//! (the library's batch, paced); `report` gives the summary and the exit code. All of them
//! write through the `ledger` as each row's outcome is known: the `journal` (a
//! `jsonl_file`), the `rejects` file (JSON lines, or for a workbook a workbook:
//! `rejects_xlsx`) and the tally; and tell the `events` of each row: the command line's
//! `progress`, or the page's counters (`commands/ui`, which runs an `Import` the same way).

mod events;
mod journal;
mod jsonl_file;
mod ledger;
mod plan;
mod progress;
mod recover;
mod rejects;
mod rejects_xlsx;
mod report;
mod send;
mod stream;

pub use events::{ImportEvents, Pace};
pub use ledger::Tally;

use super::validate;
use crate::args::ImportArgs;
use crate::output::{Exit, Output};
use crate::records::{Format, ImportFile};
use crate::session::Session;
use jdy_member::Error;
use journal::JournalState;
use ledger::Ledger;
use progress::Progress;
use rejects::Rejects;
use report::RowCounts;
use std::path::{Path, PathBuf};
use std::time::Instant;

pub fn run(session: &Session, args: &ImportArgs, out: &Output) -> Result<Exit, Error> {
    let started = Instant::now();
    let file = ImportFile::read(&args.file, &args.read.options()?)?;
    if let Some(refused) = validate::show_plan(&file, out) {
        return Ok(refused);
    }
    let mut import = Import::with_file(args, file)?;
    let records = import.file.records;
    out.note(&format!(
        "{}: {records} records ({})",
        args.file.display(),
        import.file.how_read()
    ));
    send::budget_note(session, import.rows_left(), out);
    let progress = Progress::new(records, import.rate_ceiling(session, args), out);
    let sent = import.send(session, args, &progress);
    progress.bar.finish_and_clear();
    let counts = RowCounts {
        records,
        sent: sent?,
    };
    let exit = report::report(&args.file, &counts, started, &import.ledger, out);
    validate::save_map(&args.read, &import.file, out)?;
    Ok(exit)
}

/// An import of one file, ready to send: the file's first pass made and its columns
/// settled, the earlier run's journal read, the journal and rejects file to write. The
/// command line and the page run it alike.
pub struct Import {
    pub file: ImportFile,
    previous: JournalState,
    ledger: Ledger,
}

impl Import {
    /// Opens the file `args` name and what an earlier import of it left; an error when its
    /// columns are not settled (the page shows the plan first).
    pub fn open(args: &ImportArgs) -> Result<Import, Error> {
        Import::with_file(args, ImportFile::open(&args.file, &args.read.options()?)?)
    }

    /// The import of `file`, whose first pass is made and whose columns are settled
    /// (`ImportFile::ready`), with what an earlier import of it left.
    fn with_file(args: &ImportArgs, file: ImportFile) -> Result<Import, Error> {
        let journal_path = journal_path(&args.file, file.format);
        let rejects = Rejects::for_input(&args.file, args.rejects.as_deref(), &file);
        let sheet = file.sheet.as_ref().map(|s| s.name.clone());
        let previous = plan::earlier_run(args, &journal_path, sheet.as_deref())?;
        let ledger = Ledger::new(journal_path, rejects, sheet, args.restart || !args.resume);
        Ok(Import {
            file,
            previous,
            ledger,
        })
    }
    /// The rows an earlier run has not saved yet.
    pub fn rows_left(&self) -> usize {
        self.file
            .records
            .saturating_sub(self.previous.saved_count())
    }

    /// The fastest this import may go: `--rate` or the account's request budget.
    pub fn rate_ceiling(&self, session: &Session, args: &ImportArgs) -> Option<f64> {
        send::rate_ceiling(session, args.rate)
    }

    /// Sends every valid row, telling `events` of each; returns how many rows were handed
    /// to the gateway. An error only when the file, the journal or the rejects file could
    /// not be read or written.
    pub fn send(
        &mut self,
        session: &Session,
        args: &ImportArgs,
        events: &dyn ImportEvents,
    ) -> Result<usize, Error> {
        let ledger = &self.ledger;
        let sent = stream::import_rows(
            session,
            args,
            &mut self.file,
            &self.previous,
            ledger,
            events,
        );
        // The rejects workbook is put together even when the import stopped part-way.
        let finished = ledger.rejects.finish();
        let sent = sent?;
        finished.map_err(|e| ledger::unwritable(ledger.rejects.path(), e))?;
        Ok(sent)
    }

    /// The rows saved, refused, failed and skipped so far.
    pub fn tally(&self) -> &Tally {
        &self.ledger.tally
    }
}

/// Where the journal of an import of `input` goes: `NAME.journal.jsonl`, or for a workbook
/// `NAME.xlsx.journal.jsonl`, so that a CSV saved from the workbook beside it (the same
/// NAME) keeps a journal of its own.
fn journal_path(input: &Path, format: Format) -> PathBuf {
    let extension = input.extension().map(|e| e.to_string_lossy().into_owned());
    match (format, extension) {
        (Format::Workbook, Some(extension)) => beside(input, &format!("{extension}.journal.jsonl")),
        _ => beside(input, "journal.jsonl"),
    }
}

/// `dir/members.csv` → `dir/members.<suffix>`.
fn beside(input: &Path, suffix: &str) -> PathBuf {
    let stem = input
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "import".into());
    input.with_file_name(format!("{stem}.{suffix}"))
}
