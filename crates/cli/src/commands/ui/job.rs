//! One file given to the page, and where it stands: read, checked row by row, imported.
//!
//! What must survive a restart is on disk in the job's folder (`job.json`: the file's name,
//! whether its import started or finished; beside it the file, its journal, rejects and the
//! list of members saved); what the page polls is in memory (the phase and the counters),
//! rebuilt from the disk after a restart. The file's first pass (`ImportFile`: how it is
//! read and the plan of its columns, none of its rows) is kept while the staff match its
//! columns, so a change of one drop-down plans again without reading the file again.

use super::rows::RowStore;
use crate::records::ImportFile;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

/// Where a job is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Waiting for the worker (another file is being checked).
    Waiting,
    /// The file's first pass: encoding, header row, record count.
    Reading,
    /// The column step: the first pass is done and the staff match the columns to member
    /// fields; the check waits until they are settled and confirmed.
    Columns,
    /// Each row's verdict, streamed to the table.
    Checking,
    Checked,
    /// The file as a whole cannot be imported (its header row, its format): `error` says why.
    Refused,
    Importing,
    /// An import that a stopped or killed process left part-way: it can be resumed.
    Interrupted,
    Done,
    /// The import stopped on an error of the files it writes, or of the file read.
    Failed,
    /// Found on disk after a restart, never imported: it is checked again when opened.
    Stored,
}

impl Phase {
    pub fn name(self) -> &'static str {
        match self {
            Phase::Waiting => "waiting",
            Phase::Reading => "reading",
            Phase::Columns => "columns",
            Phase::Checking => "checking",
            Phase::Checked => "checked",
            Phase::Refused => "refused",
            Phase::Importing => "importing",
            Phase::Interrupted => "interrupted",
            Phase::Done => "done",
            Phase::Failed => "failed",
            Phase::Stored => "stored",
        }
    }
}

/// How far an import is (`job.json` keeps it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportState {
    None,
    Started,
    Finished,
}

impl ImportState {
    fn name(self) -> &'static str {
        match self {
            ImportState::None => "none",
            ImportState::Started => "started",
            ImportState::Finished => "finished",
        }
    }

    fn from_name(name: &str) -> ImportState {
        match name {
            "started" => ImportState::Started,
            "finished" => ImportState::Finished,
            _ => ImportState::None,
        }
    }
}

/// What `job.json` holds.
#[derive(Debug, Clone)]
pub struct Meta {
    /// The file's name as the staff chose it.
    pub name: String,
    /// The file's name in the job's folder (`input.xlsx`).
    pub input: String,
    pub size: u64,
    pub created_ms: u64,
    /// Columns that are no member field are left out (`--skip-unknown-columns`).
    pub skip_unknown: bool,
    /// The sheet of a workbook the staff chose (`--sheet`); None: the first with members.
    pub sheet: Option<String>,
    /// What the staff decided of each column in the column step, in order: header to the
    /// field's API name, or None to leave it out (`--map HEADER=FIELD`, `--map HEADER=-`).
    pub map: Vec<(String, Option<String>)>,
    /// The name of the mapping file the staff loaded (kept as `MAPPING_FILE` in the job's
    /// folder, read as `--map-file`).
    pub map_file: Option<String>,
    pub import: ImportState,
    /// The counts of the finished import.
    pub result: Value,
}

impl Meta {
    fn to_json(&self) -> Value {
        json!({
            "name": self.name, "input": self.input, "size": self.size,
            "created_ms": self.created_ms, "skip_unknown": self.skip_unknown,
            "sheet": self.sheet, "map": map_json(&self.map), "map_file": self.map_file,
            "import": self.import.name(), "result": self.result,
        })
    }

    fn from_json(value: &Value) -> Option<Meta> {
        let text = |key: &str| value.get(key).and_then(Value::as_str).map(str::to_string);
        let input = text("input")?;
        // Only a name `upload` gave: nothing outside the job's folder.
        if input.contains(['/', '\\']) || input.starts_with('.') {
            return None;
        }
        Some(Meta {
            name: text("name")?,
            input,
            size: value.get("size").and_then(Value::as_u64)?,
            created_ms: value.get("created_ms").and_then(Value::as_u64)?,
            skip_unknown: value.get("skip_unknown").and_then(Value::as_bool)?,
            // Absent from the job.json of a version before the column step.
            sheet: text("sheet"),
            map: value.get("map").map(map_from_json).unwrap_or_default(),
            map_file: text("map_file"),
            import: ImportState::from_name(&text("import")?),
            result: value.get("result").cloned().unwrap_or(Value::Null),
        })
    }
}

/// The decisions as JSON: `[["电话", "mobile"], ["积分", null]]`, in order.
pub fn map_json(map: &[(String, Option<String>)]) -> Value {
    map.iter()
        .map(|(header, field)| json!([header, field]))
        .collect()
}

/// The decisions of `map_json`; entries of another shape are left out.
pub fn map_from_json(value: &Value) -> Vec<(String, Option<String>)> {
    let pair = |entry: &Value| {
        let header = entry.get(0)?.as_str()?.to_string();
        match entry.get(1)? {
            Value::Null => Some((header, None)),
            Value::String(field) => Some((header, Some(field.clone()))),
            _ => None,
        }
    };
    value
        .as_array()
        .map(|entries| entries.iter().filter_map(pair).collect())
        .unwrap_or_default()
}

/// The mapping file the staff loaded, in the job's folder.
pub const MAPPING_FILE: &str = "mapping.json";

/// What the page polls.
pub struct Status {
    pub phase: Phase,
    /// Why the file was refused or the import failed: an error's JSON.
    pub error: Value,
    /// How the file is read: format, sheet, header row, columns, records.
    pub plan: Value,
    /// The column step: every column as planned, whether the plan is settled, the sheets.
    pub columns: Value,
    /// The mapping the plan uses, as `--save-map` writes it (the page's download).
    pub mapping_text: Option<String>,
    /// The check's counts: read, valid, to_fix, and its timings.
    pub check: Value,
    /// The import's counts, rate and time left.
    pub import: Value,
}

/// One file given to the page.
pub struct Job {
    pub id: String,
    pub dir: PathBuf,
    meta: Mutex<Meta>,
    status: Mutex<Status>,
    rows: Mutex<Option<Arc<RowStore>>>,
    /// The file's first pass, kept between the column step and the check.
    first_pass: Mutex<Option<ImportFile>>,
    cancel: AtomicBool,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

impl Job {
    /// A job in `dir`, in `phase`.
    pub fn new(id: String, dir: PathBuf, meta: Meta, phase: Phase) -> Job {
        Job {
            id,
            dir,
            status: Mutex::new(Status {
                phase,
                error: Value::Null,
                plan: Value::Null,
                columns: Value::Null,
                mapping_text: None,
                check: Value::Null,
                import: meta.result.clone(),
            }),
            meta: Mutex::new(meta),
            rows: Mutex::new(None),
            first_pass: Mutex::new(None),
            cancel: AtomicBool::new(false),
        }
    }

    /// The job kept in `dir`, as a restart finds it; None when `job.json` is unusable.
    pub fn load(id: String, dir: PathBuf) -> Option<Job> {
        let text = std::fs::read_to_string(dir.join("job.json")).ok()?;
        let meta = Meta::from_json(&serde_json::from_str(&text).ok()?)?;
        let phase = match meta.import {
            ImportState::None => Phase::Stored,
            ImportState::Started => Phase::Interrupted,
            ImportState::Finished => Phase::Done,
        };
        let job = Job::new(id, dir, meta, phase);
        if phase == Phase::Interrupted {
            // What the stopped run saved, as its list says (read line by line).
            job.status().import = json!({"saved": listed(&job.file(SAVED_LIST))});
        }
        Some(job)
    }

    pub fn meta(&self) -> Meta {
        lock(&self.meta).clone()
    }

    /// Changes what `job.json` holds, and writes it (a new file renamed over the old, so a
    /// kill never leaves half of one).
    pub fn save_meta(&self, change: impl FnOnce(&mut Meta)) -> std::io::Result<()> {
        let mut meta = lock(&self.meta);
        change(&mut meta);
        let temporary = self.dir.join("job.json.new");
        std::fs::write(&temporary, meta.to_json().to_string())?;
        std::fs::rename(&temporary, self.dir.join("job.json"))
    }

    /// The uploaded file.
    pub fn input(&self) -> PathBuf {
        self.dir.join(lock(&self.meta).input.clone())
    }

    pub fn file(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    pub fn status(&self) -> MutexGuard<'_, Status> {
        lock(&self.status)
    }

    pub fn phase(&self) -> Phase {
        self.status().phase
    }

    pub fn set_phase(&self, phase: Phase) {
        self.status().phase = phase;
    }

    /// The verdicts of the latest check, when there was one since the server started.
    pub fn rows(&self) -> Option<Arc<RowStore>> {
        lock(&self.rows).clone()
    }

    pub fn set_rows(&self, rows: Option<Arc<RowStore>>) {
        *lock(&self.rows) = rows;
    }

    /// Keeps the file's first pass for the next plan or check.
    pub fn keep_file(&self, file: ImportFile) {
        *lock(&self.first_pass) = Some(file);
    }

    /// The kept first pass, if any (the caller keeps it again when it is done with it).
    pub fn take_file(&self) -> Option<ImportFile> {
        lock(&self.first_pass).take()
    }

    /// Asks a running check to stop (another file was chosen).
    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::Relaxed);
    }

    pub fn take_cancel(&self) -> bool {
        self.cancel.swap(false, Ordering::Relaxed)
    }

    pub fn cancelled(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }

    /// What the page is told about the job.
    pub fn to_json(&self) -> Value {
        let meta = self.meta();
        let status = self.status();
        let has = |name: &str| self.dir.join(name).is_file();
        json!({
            "id": self.id,
            "name": meta.name,
            "size": meta.size,
            "skip_unknown": meta.skip_unknown,
            "sheet": meta.sheet,
            "map": map_json(&meta.map),
            "map_file": meta.map_file,
            "phase": status.phase.name(),
            "error": status.error,
            "plan": status.plan,
            "columns": status.columns,
            "check": status.check,
            "import": status.import,
            "downloads": {
                "rejects": rejects_file(&self.dir).is_some(),
                "saved": has(SAVED_LIST),
                "mapping": status.mapping_text.is_some(),
            },
        })
    }
}

/// The list of members the page saved, in the job's folder.
pub const SAVED_LIST: &str = "saved.csv";

/// The members in the list at `path`: its lines but the header.
fn listed(path: &Path) -> usize {
    use std::io::BufRead;
    std::fs::File::open(path)
        .map(|file| {
            std::io::BufReader::new(file)
                .lines()
                .count()
                .saturating_sub(1)
        })
        .unwrap_or(0)
}

/// The rejects file an import of the job wrote, if any: the workbook, or JSON lines for a
/// file without a header row.
pub fn rejects_file(dir: &Path) -> Option<PathBuf> {
    ["input.rejects.xlsx", "input.rejects.jsonl"]
        .iter()
        .map(|name| dir.join(name))
        .find(|path| path.is_file())
}
