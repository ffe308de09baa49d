//! The import of a checked file: the command line's own `import::Import` (journal, rejects,
//! budget pacing, recovery, resume), told of each row through `ImportEvents` by the page's
//! counters instead of a progress bar. The members saved are added to the job's list as
//! they are saved (`saved.csv`, kept across restarts); the rejects go to a workbook beside
//! the file, as `import --rejects input.rejects.xlsx` writes it.

use super::job::{rejects_file, ImportState, Job, Phase, SAVED_LIST};
use super::options;
use super::views::error_json;
use crate::commands::import::{Import, ImportEvents, Pace, Tally};
use crate::records::FileRecord;
use crate::session::Session;
use jdy_member::Error;
use serde_json::{json, Value};
use std::collections::VecDeque;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// The latest row errors the page shows while importing.
const RECENT_ERRORS: usize = 5;

/// Imports `job`'s file; the outcome is in the job's status and `job.json`.
pub fn import(session: &Session, job: &Job) {
    if let Err(error) = run(session, job) {
        let mut status = job.status();
        status.phase = Phase::Failed;
        status.error = error_json(&error);
    }
}

fn run(session: &Session, job: &Job) -> Result<(), Error> {
    let unwritable = |e: std::io::Error| {
        Error::invalid_argument(format!(
            "the page's folder {} cannot be written ({e}); free some disk space and resume the import",
            job.dir.display()
        ))
    };
    // A header row gives a rejects workbook; JSON, which has none, JSON lines.
    let input = job.meta().input;
    let has_header = !input.ends_with(".json") && !input.ends_with(".jsonl");
    let rejects = job.file(if has_header {
        "input.rejects.xlsx"
    } else {
        "input.rejects.jsonl"
    });
    // This run's rejects are every row still to fix, whatever an earlier run wrote.
    while let Some(earlier) = rejects_file(&job.dir) {
        std::fs::remove_file(earlier).map_err(unwritable)?;
    }
    let args = options::import_args(job, &rejects)?;
    job.save_meta(|meta| meta.import = ImportState::Started)
        .map_err(unwritable)?;
    job.status().error = Value::Null;
    let mut import = Import::open(&args)?;
    let total = import.file.records;
    let ceiling = import.rate_ceiling(session, &args);
    let events = PageEvents {
        job,
        pace: Pace::new(total, ceiling),
        done: AtomicUsize::new(0),
        saved: Mutex::new(SavedList::open(job).map_err(unwritable)?),
        errors: Mutex::new(VecDeque::new()),
    };
    job.status().import = json!({
        "total": total, "left": import.rows_left(), "done": 0,
        "saved": 0, "refused": 0, "failed": 0, "skipped": 0, "recovered": 0,
        "rate": 0.0, "eta_s": null,
        "budget_per_minute": session.client.budget_rate_per_s().map(|r| (r * 60.0).round()),
        "errors": [],
    });
    job.set_phase(Phase::Importing);
    let sent = import.send(session, &args, &events);
    let listed = lock(&events.saved).flush();
    sent?;
    listed.map_err(unwritable)?;
    let result = counts(import.tally(), total, &events);
    job.save_meta(|meta| {
        meta.import = ImportState::Finished;
        meta.result = result.clone();
    })
    .map_err(unwritable)?;
    let mut status = job.status();
    status.import = result;
    status.phase = Phase::Done;
    Ok(())
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

/// The counts of an import so far.
fn counts(tally: &Tally, total: usize, events: &PageEvents) -> Value {
    json!({
        "total": total,
        "done": events.done.load(Ordering::Relaxed),
        "saved": tally.saved(),
        "refused": tally.refused(),
        "failed": tally.failed(),
        "skipped": tally.skipped(),
        "recovered": tally.recovered(),
    })
}

/// The page's side of an import: counters the page polls, the list of members saved.
struct PageEvents<'a> {
    job: &'a Job,
    pace: Pace,
    done: AtomicUsize,
    saved: Mutex<SavedList>,
    errors: Mutex<VecDeque<Value>>,
}

impl ImportEvents for PageEvents<'_> {
    fn row_error(&self, location: &str, error: &Error) {
        let mut errors = lock(&self.errors);
        if errors.len() == RECENT_ERRORS {
            errors.pop_front();
        }
        errors.push_back(json!({"at": location, "error": error_json(error)}));
    }

    fn row_saved(&self, record: &FileRecord, id: Option<&Value>) {
        let mut saved = lock(&self.saved);
        // The list is a convenience beside the journal: a disk too full for it has already
        // stopped the journal, which says so.
        let _ = saved.add(record, id);
    }

    fn row_done(&self, tally: &Tally, sent: bool) {
        if sent {
            self.pace.count_sent();
        }
        let done = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        let (rate, eta) = self.pace.at(done);
        let errors: Vec<Value> = lock(&self.errors).iter().cloned().collect();
        let mut status = self.job.status();
        let import = &mut status.import;
        for (key, value) in [
            ("done", done),
            ("saved", tally.saved()),
            ("refused", tally.refused()),
            ("failed", tally.failed()),
            ("skipped", tally.skipped()),
            ("recovered", tally.recovered()),
        ] {
            import[key] = value.into();
        }
        import["rate"] = ((rate * 10.0).round() / 10.0).into();
        import["eta_s"] = eta.round().into();
        import["errors"] = errors.into();
    }
}

/// `saved.csv`: row, mobile, name and id of each member saved, UTF-8 with a byte-order
/// mark so that Excel opens it as UTF-8. Each line is written whole as its member is saved
/// (after the journal's line), so a killed process loses at most the rows of that instant
/// from the list, never from the journal.
struct SavedList {
    file: File,
}

impl SavedList {
    fn open(job: &Job) -> std::io::Result<SavedList> {
        let path = job.file(SAVED_LIST);
        let new = !path.exists();
        let mut file = OpenOptions::new().create(true).append(true).open(path)?;
        if new {
            file.write_all("\u{feff}行号,手机号,姓名,会员ID\r\n".as_bytes())?;
        }
        Ok(SavedList { file })
    }

    fn add(&mut self, record: &FileRecord, id: Option<&Value>) -> std::io::Result<()> {
        let field = |name: &str| match &record.member {
            Ok(member) => member.get(name).map(text).unwrap_or_default(),
            Err(_) => String::new(),
        };
        let line = [
            record.number.to_string(),
            field("mobile"),
            field("name"),
            id.map(text).unwrap_or_default(),
        ]
        .map(|cell| csv_cell(&cell))
        .join(",");
        self.file.write_all(format!("{line}\r\n").as_bytes())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}

fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// A CSV cell: quoted when it holds a comma, a quote or a line break; a leading `=`, `+`,
/// `-` or `@` is prefixed with `'` so a spreadsheet never runs it as a formula.
fn csv_cell(cell: &str) -> String {
    let cell = if cell.starts_with(['=', '+', '-', '@']) {
        format!("'{cell}")
    } else {
        cell.to_string()
    };
    if cell.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", cell.replace('"', "\"\""))
    } else {
        cell
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn csv_cells_are_quoted_and_never_formulas() {
        assert_eq!(super::csv_cell("张三"), "张三");
        assert_eq!(super::csv_cell("a,b"), "\"a,b\"");
        assert_eq!(super::csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(super::csv_cell("=1+1"), "'=1+1");
    }
}
