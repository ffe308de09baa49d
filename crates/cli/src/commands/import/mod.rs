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
//! exit code). All of them write through the `ledger`: the `journal`, the rejects file
//! (both `jsonl_file`s) and the tally.

mod journal;
mod jsonl_file;
mod ledger;
mod plan;
mod progress;
mod recover;
mod report;
mod send;

use crate::args::ImportArgs;
use crate::output::{Exit, Output};
use crate::records;
use crate::session::Session;
use jdy_member::Error;
use ledger::Ledger;
use report::RowCounts;
use std::path::{Path, PathBuf};
use std::time::Instant;

pub fn run(session: &Session, args: &ImportArgs, out: &Output) -> Result<Exit, Error> {
    let started = Instant::now();
    let records = records::read_file(&args.file, args.read.format, args.read.encoding)?;
    let journal_path = beside(&args.file, "journal.jsonl");
    let rejects_path = args
        .rejects
        .clone()
        .unwrap_or_else(|| beside(&args.file, "rejects.jsonl"));
    let previous = plan::earlier_run(args, &journal_path)?;
    let ledger = Ledger::new(journal_path, rejects_path, args.restart || !args.resume);
    out.note(&format!(
        "{}: {} records ({})",
        args.file.display(),
        records.records.len(),
        records.encoding
    ));

    let plan::Plan {
        mut queue,
        in_doubt,
        skipped,
    } = plan::plan(&records, &previous, &ledger, out)?;
    let recovered = recover::recover(session, records.format, in_doubt, &mut queue, &ledger)?;
    send::send(session, args, records.format, &queue, &ledger, out)?;

    let counts = RowCounts {
        records: records.records.len(),
        sent: queue.members.len(),
        recovered,
        skipped,
    };
    Ok(report::report(&args.file, &counts, started, &ledger, out))
}

/// `dir/members.csv` → `dir/members.<suffix>`.
fn beside(input: &Path, suffix: &str) -> PathBuf {
    let stem = input
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "import".into());
    input.with_file_name(format!("{stem}.{suffix}"))
}
