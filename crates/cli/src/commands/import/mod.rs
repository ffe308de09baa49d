//! `jdy-member import`: bulk saves with progress, a rejects file and a resumable journal.
//!
//! The journal (`<input>.journal.jsonl` beside the input) gets a `sending` line before each
//! save request, a `saved` line after it succeeds, and a `not_sent` line when it failed in a
//! way that certainly saved nothing (a 429, an unreachable gateway, a refusal). `--resume`
//! skips rows already saved, sends the `not_sent` ones again, and looks up the rows that
//! were in flight when the last run stopped before sending them again, so an import cut off
//! at any point saves nobody twice.
//!
//! An import runs in four steps, a module each: `plan` (the earlier run's journal, every
//! record checked offline, what to skip, look up or send), `recover` (the rows in doubt
//! looked up), `send` (the batch, paced, with `progress`) and `report` (the summary and the
//! exit code). All of them write through the `ledger`: the `journal` (a `jsonl_file`), the
//! `rejects` file (JSON lines, or for a workbook a workbook: `rejects_xlsx`) and the tally.

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

use crate::args::ImportArgs;
use crate::output::{Exit, Output};
use crate::records::{self, Format, Records};
use crate::session::Session;
use jdy_member::Error;
use journal::JournalState;
use ledger::Ledger;
use rejects::Rejects;
use report::RowCounts;
use std::path::{Path, PathBuf};
use std::time::Instant;

pub fn run(session: &Session, args: &ImportArgs, out: &Output) -> Result<Exit, Error> {
    let started = Instant::now();
    let records = records::read_file(&args.file, &args.read.options())?;
    let journal_path = journal_path(&args.file, records.format);
    let rejects = Rejects::for_input(&args.file, args.rejects.as_deref(), &records);
    let previous = plan::earlier_run(args, &journal_path)?;
    let sheet = records.sheet.as_ref().map(|s| s.name.clone());
    let ledger = Ledger::new(journal_path, rejects, sheet, args.restart || !args.resume);
    out.note(&format!(
        "{}: {} records ({})",
        args.file.display(),
        records.records.len(),
        records.how_read()
    ));

    let sent = send_all(session, args, &records, &previous, &ledger, out);
    // The rejects workbook is put together even when the import stopped part-way.
    let finished = ledger.rejects.finish();
    let (sent, recovered, skipped) = sent?;
    finished.map_err(|e| ledger::unwritable(ledger.rejects.path(), e))?;

    let counts = RowCounts {
        records: records.records.len(),
        sent,
        recovered,
        skipped,
    };
    Ok(report::report(&args.file, &counts, started, &ledger, out))
}

/// Plans, recovers and sends; returns how many rows were sent, recovered and skipped.
fn send_all(
    session: &Session,
    args: &ImportArgs,
    records: &Records,
    previous: &JournalState,
    ledger: &Ledger,
    out: &Output,
) -> Result<(usize, usize, usize), Error> {
    let plan::Plan {
        mut queue,
        in_doubt,
        skipped,
    } = plan::plan(records, previous, ledger, out)?;
    let recovered = recover::recover(session, records.format, in_doubt, &mut queue, ledger)?;
    send::send(session, args, records.format, &queue, ledger, out)?;
    Ok((queue.members.len(), recovered, skipped))
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
