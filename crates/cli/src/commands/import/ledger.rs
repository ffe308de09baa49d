//! What an import writes and counts as it goes, from every step and (while sending) from
//! every worker thread: the journal, the rejects file and the tally of saved, refused and
//! failed rows with the worst exit code so far. Every row is written as its outcome is
//! known, never gathered: the counters are all an import holds of the rows it has done.

use super::journal::{self, RowState};
use super::jsonl_file::JsonLinesFile;
use super::rejects::Rejects;
use crate::output::Exit;
use crate::records::{FileRecord, Format};
use jdy_member::batch::Outcome;
use jdy_member::Error;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

pub(super) struct Ledger {
    pub journal: JsonLinesFile,
    pub rejects: Rejects,
    pub tally: Tally,
    /// The sheet of a workbook's rows, named in the journal and the rejects.
    sheet: Option<String>,
}

impl Ledger {
    /// Nothing is written before the first line; a `fresh_journal` starts the journal over.
    pub fn new(
        journal: PathBuf,
        rejects: Rejects,
        sheet: Option<String>,
        fresh_journal: bool,
    ) -> Ledger {
        Ledger {
            journal: JsonLinesFile::new(journal, fresh_journal),
            rejects,
            tally: Tally::default(),
            sheet,
        }
    }

    /// Adds the journal line saying `state` of `record`.
    pub fn journal(
        &self,
        record: &FileRecord,
        fingerprint: u64,
        state: RowState,
        id: Option<&Value>,
    ) -> std::io::Result<()> {
        self.journal.append(&journal::entry(
            self.sheet.as_deref(),
            record.number,
            fingerprint,
            state,
            id,
        ))
    }

    /// Writes a refused or failed row to the rejects file and counts it.
    pub fn reject(
        &self,
        format: Format,
        record: &FileRecord,
        error: &Error,
    ) -> std::io::Result<()> {
        self.tally.count_error(error);
        self.rejects
            .add(format, self.sheet.as_deref(), record, error)
    }
}

/// The error for a file of the import (journal or rejects) that could not be written.
pub(super) fn unwritable(path: &Path, e: std::io::Error) -> Error {
    Error::invalid_argument(format!("{} cannot be written: {e}", path.display()))
}

/// The rows saved, refused, failed, skipped (an earlier run saved them) and recovered (in
/// doubt, found saved) so far, and the exit code the worst of them gives. Read from any
/// thread while the import runs (a progress display polls it).
pub struct Tally {
    saved: AtomicUsize,
    refused: AtomicUsize,
    failed: AtomicUsize,
    skipped: AtomicUsize,
    recovered: AtomicUsize,
    worst: Mutex<Exit>,
}

impl Default for Tally {
    fn default() -> Tally {
        Tally {
            saved: AtomicUsize::new(0),
            refused: AtomicUsize::new(0),
            failed: AtomicUsize::new(0),
            skipped: AtomicUsize::new(0),
            recovered: AtomicUsize::new(0),
            worst: Mutex::new(Exit::Ok),
        }
    }
}

impl Tally {
    pub fn count_saved(&self) {
        self.saved.fetch_add(1, Ordering::Relaxed);
    }

    pub fn count_skipped(&self) {
        self.skipped.fetch_add(1, Ordering::Relaxed);
    }

    /// A row in doubt found saved: saved, and recovered.
    pub fn count_recovered(&self) {
        self.recovered.fetch_add(1, Ordering::Relaxed);
        self.count_saved();
    }

    pub fn skipped(&self) -> usize {
        self.skipped.load(Ordering::Relaxed)
    }

    pub fn recovered(&self) -> usize {
        self.recovered.load(Ordering::Relaxed)
    }

    fn count_error(&self, error: &Error) {
        let exit = Exit::for_kind(error.kind);
        match Outcome::of_error(error) {
            Outcome::Refused => self.refused.fetch_add(1, Ordering::Relaxed),
            _ => self.failed.fetch_add(1, Ordering::Relaxed),
        };
        let mut worst = self.worst.lock().unwrap_or_else(|p| p.into_inner());
        *worst = (*worst).max(exit);
    }

    pub fn saved(&self) -> usize {
        self.saved.load(Ordering::Relaxed)
    }

    pub fn refused(&self) -> usize {
        self.refused.load(Ordering::Relaxed)
    }

    pub fn failed(&self) -> usize {
        self.failed.load(Ordering::Relaxed)
    }

    pub fn worst(&self) -> Exit {
        *self.worst.lock().unwrap_or_else(|p| p.into_inner())
    }
}
