//! `jdy-member import`: bulk saves with progress, a rejects file and a resumable journal.
//!
//! The journal (`<input>.journal.jsonl` beside the input) gets a `sending` line before each
//! save request, a `saved` line after it succeeds, and a `not_sent` line when it failed in a
//! way that certainly saved nothing (a 429, an unreachable gateway, a refusal). `--resume`
//! skips rows already saved, sends the `not_sent` ones again, and looks up the rows that
//! were in flight when the last run stopped before sending them again, so an import cut off
//! at any point saves nobody twice.

use crate::args::ImportArgs;
use crate::output::{describe, Exit, Output};
use crate::records::{self, FileRecord, Format};
use crate::session::Session;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use jdy_member::batch::{self, BatchOptions, Observer, Outcome};
use jdy_member::{Error, Saved};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// `dir/members.csv` → `dir/members.<suffix>`.
fn beside(input: &Path, suffix: &str) -> PathBuf {
    let stem = input
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "import".into());
    input.with_file_name(format!("{stem}.{suffix}"))
}

/// A row's identity in the journal: its line plus a digest of the member as sent, so a row
/// edited between runs is imported again.
fn fingerprint(normalised: &Map<String, Value>) -> String {
    let text = serde_json::to_string(normalised).unwrap_or_default();
    let digest = Sha256::digest(text.as_bytes());
    base16ct::lower::encode_string(&digest[..8])
}

#[derive(Default)]
struct JournalState {
    saved: HashSet<(usize, String)>,
    sending: HashSet<(usize, String)>,
}

impl JournalState {
    fn load(path: &Path) -> std::io::Result<JournalState> {
        let mut state = JournalState::default();
        let file = match File::open(path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(state),
            Err(e) => return Err(e),
        };
        for line in BufReader::new(file).lines() {
            // A line cut short by a killed process is simply not there.
            let Ok(entry) = serde_json::from_str::<Value>(&line?) else {
                continue;
            };
            let (Some(n), Some(fp)) = (
                entry.get("line").and_then(Value::as_u64),
                entry.get("fp").and_then(Value::as_str),
            ) else {
                continue;
            };
            let key = (n as usize, fp.to_string());
            match entry.get("state").and_then(Value::as_str) {
                Some("saved") => {
                    state.sending.remove(&key);
                    state.saved.insert(key);
                }
                Some("sending") => {
                    state.sending.insert(key);
                }
                // Certainly not saved: sent again on resume, without a lookup.
                Some("not_sent") => {
                    state.sending.remove(&key);
                }
                _ => {}
            }
        }
        Ok(state)
    }
}

/// An append-only JSON-lines file written from many threads, one whole line per write.
struct Lines {
    path: PathBuf,
    file: Mutex<Option<File>>,
    truncate: bool,
}

impl Lines {
    fn new(path: PathBuf, truncate: bool) -> Lines {
        Lines {
            path,
            file: Mutex::new(None),
            truncate,
        }
    }

    fn append(&self, value: &Value) -> std::io::Result<()> {
        let mut guard = self.file.lock().unwrap_or_else(|p| p.into_inner());
        if guard.is_none() {
            let mut options = OpenOptions::new();
            options.create(true);
            if self.truncate {
                options.write(true).truncate(true);
            } else {
                options.append(true);
            }
            *guard = Some(options.open(&self.path)?);
        }
        let mut line = value.to_string();
        line.push('\n');
        match guard.as_mut() {
            Some(file) => file.write_all(line.as_bytes()),
            None => Ok(()),
        }
    }
}

struct Counters {
    saved: AtomicUsize,
    refused: AtomicUsize,
    failed: AtomicUsize,
    worst: Mutex<Exit>,
}

/// One member on its way to the gateway.
struct Pending<'a> {
    record: &'a FileRecord,
    fingerprint: String,
}

struct Progress {
    bar: ProgressBar,
    plain: bool,
    last_line: Mutex<Instant>,
    started: Instant,
    total: usize,
    /// The fastest the account's request budget lets the import go (members per second).
    ceiling: Option<f64>,
}

impl Progress {
    fn new(total: usize, ceiling: Option<f64>) -> Progress {
        let plain = !std::io::stderr().is_terminal();
        let bar = if plain {
            ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::hidden())
        } else {
            ProgressBar::new(total as u64)
        };
        if let Ok(style) = ProgressStyle::with_template("{bar:40} {pos}/{len} members · {msg}") {
            bar.set_style(style);
        }
        Progress {
            bar,
            plain,
            last_line: Mutex::new(Instant::now()),
            started: Instant::now(),
            total,
            ceiling,
        }
    }

    /// The rate so far, and the time left at the rate the budget allows: a bulk import is
    /// bounded by Kingdee's budget, so early fast saves do not promise a short import.
    fn pace(&self, done: usize) -> (f64, f64) {
        let seconds = self.started.elapsed().as_secs_f64().max(0.001);
        let rate = done as f64 / seconds;
        let expected = match self.ceiling {
            Some(ceiling) if rate > ceiling || done == 0 => ceiling,
            _ => rate,
        };
        let eta = if expected > 0.0 {
            (self.total - done.min(self.total)) as f64 / expected
        } else {
            0.0
        };
        (rate, eta)
    }

    fn step(&self, counters: &Counters) {
        self.bar.inc(1);
        let done = self.bar.position() as usize;
        let (rate, eta) = self.pace(done);
        if !self.plain {
            self.bar.set_message(format!("{rate:.1}/s · ETA {eta:.0}s"));
            return;
        }
        let mut last = self.last_line.lock().unwrap_or_else(|p| p.into_inner());
        if last.elapsed() >= Duration::from_secs(2) || done == self.total {
            *last = Instant::now();
            eprintln!(
                "progress: {done}/{} sent, saved {}, refused {}, failed {}, {rate:.1}/s, ETA {eta:.0}s",
                self.total,
                counters.saved.load(Ordering::Relaxed),
                counters.refused.load(Ordering::Relaxed),
                counters.failed.load(Ordering::Relaxed),
            );
        }
    }
}

struct ImportObserver<'a> {
    pending: &'a [Pending<'a>],
    format: Format,
    journal: &'a Lines,
    rejects: &'a Lines,
    counters: &'a Counters,
    progress: &'a Progress,
    out: &'a Output,
    io_error: Mutex<Option<std::io::Error>>,
}

impl ImportObserver<'_> {
    fn journal(&self, index: usize, state: &str, id: Option<&Value>) {
        let Some(pending) = self.pending.get(index) else {
            return;
        };
        let mut entry = serde_json::json!({"line": pending.record.number, "fp": pending.fingerprint, "state": state});
        if let Some(id) = id {
            entry["id"] = id.clone();
        }
        if let Err(e) = self.journal.append(&entry) {
            *self.io_error.lock().unwrap_or_else(|p| p.into_inner()) = Some(e);
        }
    }
}

impl Observer for ImportObserver<'_> {
    fn label(&self, index: usize) -> String {
        self.pending
            .get(index)
            .map(|p| p.record.location(self.format))
            .unwrap_or_else(|| format!("member {}", index + 1))
    }

    fn before_send(&self, index: usize) {
        self.journal(index, "sending", None);
    }

    fn finished(&self, index: usize, result: &jdy_member::Result<Saved>) {
        match result {
            Ok(saved) => {
                self.journal(index, "saved", saved.data.get("id"));
                self.counters.saved.fetch_add(1, Ordering::Relaxed);
            }
            Err(error) => {
                // A failed save without `outcome_unknown` certainly saved nothing: never in
                // doubt on resume.
                if !error.outcome_unknown {
                    self.journal(index, "not_sent", None);
                }
                if let Some(pending) = self.pending.get(index) {
                    let written = reject(
                        self.rejects,
                        self.format,
                        pending.record,
                        error,
                        self.counters,
                    );
                    if let Err(e) = written {
                        *self.io_error.lock().unwrap_or_else(|p| p.into_inner()) = Some(e);
                    }
                    let location = pending.record.location(self.format);
                    if self.out.json {
                    } else if self.progress.plain {
                        self.out.record_error(&location, error);
                    } else {
                        self.progress
                            .bar
                            .println(format!("{location}: {}", describe(error)));
                    }
                }
            }
        }
        self.progress.step(self.counters);
    }
}

/// Writes a refused or failed row to the rejects file and counts it.
fn reject(
    rejects: &Lines,
    format: Format,
    record: &FileRecord,
    error: &Error,
    counters: &Counters,
) -> std::io::Result<()> {
    let exit = Exit::for_kind(error.kind);
    match Outcome::of_error(error) {
        Outcome::Refused => counters.refused.fetch_add(1, Ordering::Relaxed),
        _ => counters.failed.fetch_add(1, Ordering::Relaxed),
    };
    {
        let mut worst = counters.worst.lock().unwrap_or_else(|p| p.into_inner());
        *worst = (*worst).max(exit);
    }
    rejects.append(&serde_json::json!({
        "at": record.location(format),
        "line": record.number,
        "record": record.source,
        "error": error.to_json(),
    }))
}

fn io_error(what: &Path, e: std::io::Error) -> Error {
    Error::invalid_argument(format!("{} cannot be written: {e}", what.display()))
}

pub fn run(session: &Session, args: &ImportArgs, out: &Output) -> Result<Exit, Error> {
    let started = Instant::now();
    let records = records::read_file(&args.file, args.read.format, args.read.encoding)?;
    let journal_path = beside(&args.file, "journal.jsonl");
    let rejects_path = args
        .rejects
        .clone()
        .unwrap_or_else(|| beside(&args.file, "rejects.jsonl"));

    let previous = JournalState::load(&journal_path).map_err(|e| {
        Error::invalid_argument(format!("{} cannot be read: {e}", journal_path.display()))
    })?;
    let has_history = !previous.saved.is_empty() || !previous.sending.is_empty();
    if has_history && !args.resume && !args.restart {
        return Err(Error::invalid_argument(format!(
            "{} records an earlier import of this file ({} rows saved); pass --resume to continue it (rows already saved are skipped) or --restart to import every row again",
            journal_path.display(),
            previous.saved.len()
        )));
    }
    let previous = if args.restart {
        JournalState::default()
    } else {
        previous
    };
    let journal = Lines::new(journal_path.clone(), args.restart || !args.resume);
    let rejects = Lines::new(rejects_path.clone(), true);
    let counters = Counters {
        saved: AtomicUsize::new(0),
        refused: AtomicUsize::new(0),
        failed: AtomicUsize::new(0),
        worst: Mutex::new(Exit::Ok),
    };
    out.note(&format!(
        "{}: {} records ({})",
        args.file.display(),
        records.records.len(),
        records.encoding
    ));

    // Offline first: refused rows never reach the gateway.
    let mut pending = Vec::new();
    let mut members = Vec::new();
    let mut skipped = 0usize;
    let mut in_doubt = Vec::new();
    for (record, checked) in records.records.iter().zip(records::check(&records)) {
        let normalised = match checked {
            Ok(normalised) => normalised,
            Err(error) => {
                if !out.json {
                    out.record_error(&record.location(records.format), &error);
                }
                reject(&rejects, records.format, record, &error, &counters)
                    .map_err(|e| io_error(&rejects_path, e))?;
                continue;
            }
        };
        let fp = fingerprint(&normalised);
        let key = (record.number, fp.clone());
        if previous.saved.contains(&key) {
            skipped += 1;
        } else if previous.sending.contains(&key) {
            in_doubt.push((record, fp, normalised));
        } else {
            pending.push(Pending {
                record,
                fingerprint: fp,
            });
            members.push(Value::Object(normalised));
        }
    }

    // Rows that were in flight when the last run stopped: saved only if not already there.
    let mut recovered = 0usize;
    for (record, fp, normalised) in in_doubt {
        match session.client.find_saved(&normalised) {
            Ok(Some(stored)) => {
                recovered += 1;
                counters.saved.fetch_add(1, Ordering::Relaxed);
                journal
                    .append(&serde_json::json!({"line": record.number, "fp": fp, "state": "saved", "id": stored.get("id")}))
                    .map_err(|e| io_error(&journal_path, e))?;
            }
            Ok(None) => {
                pending.push(Pending {
                    record,
                    fingerprint: fp,
                });
                members.push(Value::Object(normalised));
            }
            Err(error) => {
                let error = Error {
                    message: format!(
                        "an earlier run may have saved this row and the check failed, so it was not sent again ({}); run --resume again later",
                        error.message
                    ),
                    ..error
                };
                reject(&rejects, records.format, record, &error, &counters)
                    .map_err(|e| io_error(&rejects_path, e))?;
            }
        }
    }

    let budget_rate = session.client.budget_rate_per_s();
    let rate_ceiling = match (budget_rate, args.rate) {
        (Some(budget), Some(rate)) => Some(budget.min(rate)),
        (budget, rate) => budget.or(rate),
    };
    if let (Some(budget), Some(left)) = (budget_rate, Some(members.len()).filter(|n| *n > 100)) {
        out.note(&format!(
            "the account's request budget allows about {:.0} saves a minute: {left} rows take at least {:.0} minutes",
            budget * 60.0,
            left as f64 / budget / 60.0
        ));
    }
    let progress = Progress::new(members.len(), rate_ceiling);
    let observer = ImportObserver {
        pending: &pending,
        format: records.format,
        journal: &journal,
        rejects: &rejects,
        counters: &counters,
        progress: &progress,
        out,
        io_error: Mutex::new(None),
    };
    let options = BatchOptions {
        concurrency: args.concurrency as usize,
        rate: args.rate,
    };
    batch::save_all(&session.client, &members, &options, &observer);
    progress.bar.finish_and_clear();
    if let Some(e) = observer
        .io_error
        .into_inner()
        .unwrap_or_else(|p| p.into_inner())
    {
        return Err(Error::invalid_argument(format!(
            "the journal or rejects file could not be written ({e}); the import is incomplete, fix the disk and run it again with --resume"
        )));
    }

    let seconds = started.elapsed().as_secs_f64();
    let saved = counters.saved.load(Ordering::Relaxed);
    let refused = counters.refused.load(Ordering::Relaxed);
    let failed = counters.failed.load(Ordering::Relaxed);
    let sent = members.len();
    let rate = if seconds > 0.0 {
        sent as f64 / seconds
    } else {
        0.0
    };
    let summary = serde_json::json!({
        "file": args.file.display().to_string(),
        "records": records.records.len(),
        "saved": saved,
        "recovered": recovered,
        "skipped": skipped,
        "refused": refused,
        "failed": failed,
        "seconds": (seconds * 1000.0).round() / 1000.0,
        "rate": (rate * 10.0).round() / 10.0,
        "rejects": (refused + failed > 0).then(|| rejects_path.display().to_string()),
        "journal": journal_path.display().to_string(),
    });
    if out.json {
        out.data(&summary);
    } else {
        out.note(&format!(
            "saved {saved}, refused {refused}, failed {failed}, skipped {skipped} (already saved){} in {seconds:.1}s ({rate:.1} members/s)",
            if recovered > 0 { format!(", recovered {recovered}") } else { String::new() }
        ));
        if refused + failed > 0 {
            out.note(&format!(
                "refused and failed rows, each with its error: {}{}",
                rejects_path.display(),
                if failed > 0 {
                    "; run again with --resume to retry the failed ones"
                } else {
                    ""
                }
            ));
        }
    }
    let worst = *counters.worst.lock().unwrap_or_else(|p| p.into_inner());
    Ok(worst)
}
