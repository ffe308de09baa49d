//! The check of an uploaded file before anything is sent, once its columns are settled: the
//! file's first pass (kept by the column step, `columns`, or made again), then every row's
//! verdict from `records::verdicts`, the very check `validate` makes with the same words,
//! streamed to the job's `RowStore` as it comes, so the first rows show while the rest of
//! the file is read. A valid row that names a store, a level or a customer is then
//! resolved by the library as a save would resolve it (`Client::resolve_references`, the
//! account's lists read once), so a misspelt store shows with its did-you-mean before the
//! import, not in its rejects.

use super::job::{Job, Phase};
use super::rows::RowStore;
use super::views::{error_json, plan, row_json};
use super::{columns, options};
use crate::output::describe;
use crate::records::{self, FileRecord, ImportFile, Verdict};
use crate::session::Session;
use jdy_member::{Error, ErrorKind};
use serde_json::{json, Map, Value};
use std::sync::Arc;
use std::time::Instant;

/// Checks `job`'s file; the outcome is in the job's status. The first pass kept by the
/// column step is planned with the job's words and used; without one (a restart, another
/// sheet) the file's first pass is made here. A table whose columns are not settled goes
/// back to the column step instead.
pub fn check(session: &Session, job: &Job) {
    let started = Instant::now();
    {
        let mut status = job.status();
        status.phase = Phase::Reading;
        status.error = Value::Null;
        status.check = json!({"read": 0, "valid": 0, "to_fix": 0});
    }
    job.set_rows(None);
    let outcome = options::read_options(job).and_then(|read| {
        let mut file = match job.take_file() {
            Some(mut file) => {
                file.replan(&read.columns)?;
                file
            }
            None => ImportFile::read(&job.input(), &read)?,
        };
        if columns::is_table(file.format) && file.ready().is_err() {
            let sheets = job.status().columns["sheets"].clone();
            columns::show(
                job,
                file,
                &read,
                serde_json::from_value(sheets).unwrap_or_default(),
            );
            return Ok(false);
        }
        file.ready()?;
        let checked = check_rows(session, job, &mut file, started);
        job.keep_file(file);
        checked.map(|()| true)
    });
    match outcome {
        // Another file was chosen: this one waits on disk.
        _ if job.take_cancel() => job.set_phase(Phase::Stored),
        Ok(true) => job.set_phase(Phase::Checked),
        Ok(false) => {}
        Err(error) => {
            let mut status = job.status();
            status.phase = Phase::Refused;
            status.error = error_json(&error);
        }
    }
}

/// The second pass: every row's verdict to the store and the counters.
fn check_rows(
    session: &Session,
    job: &Job,
    file: &mut ImportFile,
    started: Instant,
) -> Result<(), Error> {
    let unwritable = |e: std::io::Error| {
        Error::invalid_argument(format!(
            "the page's folder {} cannot be written ({e}); free some disk space and choose the file again",
            job.dir.display()
        ))
    };
    let store = Arc::new(RowStore::create(&job.dir).map_err(unwritable)?);
    job.set_rows(Some(store.clone()));
    {
        let mut status = job.status();
        status.plan = plan(file);
        status.phase = Phase::Checking;
    }
    let columns = file.header.clone();
    let format = file.format;
    let mut references = References {
        session,
        unavailable: None,
    };
    let (mut read, mut valid) = (0usize, 0usize);
    records::verdicts(file, &mut |record, verdict| {
        if job.cancelled() {
            return Err(Error::invalid_argument("another file was chosen"));
        }
        let (kind, verdict) = match verdict {
            Ok(member) => references.check(member),
            Err(error) => (offline_kind(&record, &error), Err(error)),
        };
        let row = row_json(format, &columns, &record, kind, &verdict);
        store.add(&row, verdict.is_err()).map_err(unwritable)?;
        read += 1;
        valid += usize::from(verdict.is_ok());
        let mut status = job.status();
        status.check["read"] = read.into();
        status.check["valid"] = valid.into();
        status.check["to_fix"] = (read - valid).into();
        if read == 1 {
            status.check["first_row_ms"] = (started.elapsed().as_millis() as u64).into();
        }
        Ok(())
    })?;
    store.finish().map_err(unwritable)?;
    let mut status = job.status();
    status.check["checked_ms"] = (started.elapsed().as_millis() as u64).into();
    if let Some(note) = references.unavailable.take() {
        status.check["references_unchecked"] = note.into();
    }
    Ok(())
}

/// The store, level and customer names of valid rows, resolved as a save resolves them.
struct References<'a> {
    session: &'a Session,
    /// Why the account's lists could not be read: the rest of the rows are not checked
    /// against them (the import resolves them as it sends).
    unavailable: Option<String>,
}

impl References<'_> {
    fn check(&mut self, member: Map<String, Value>) -> (&'static str, Verdict) {
        if self.unavailable.is_some() {
            return ("valid", Ok(member));
        }
        match self.session.client.resolve_references(&member) {
            Ok(_) => ("valid", Ok(member)),
            Err(error) if error.kind == ErrorKind::Validation => ("reference", Err(error)),
            Err(error) => {
                self.unavailable = Some(describe(&error));
                ("valid", Ok(member))
            }
        }
    }
}

/// What kind of refusal the offline check made: the record could not be read, it repeats
/// an earlier row's mobile (`batch::duplicate_error`), or a field breaks a rule.
fn offline_kind(record: &FileRecord, error: &Error) -> &'static str {
    let duplicate = error.fields.len() == 1
        && error.fields[0].field == "mobile"
        && error.fields[0].message.starts_with("same mobile as ");
    if record.member.is_err() {
        "unreadable"
    } else if duplicate {
        "duplicate"
    } else {
        "invalid"
    }
}
