//! Receiving a file from the page: the request's body is the file itself (the page sends it
//! with `fetch`, its name in the query), written to a new job's folder as it arrives, never
//! held in memory, and refused beyond `MAX_UPLOAD_BYTES`.

use super::folder;
use super::job::{ImportState, Job, Meta, Phase};
use super::jobs::{now_ms, Jobs};
use serde_json::Value;
use std::io::{Read, Write};
use std::sync::Arc;

/// The largest file the page takes: 200 MiB, several times a million members as CSV or
/// .xlsx (about 40 MB each).
pub const MAX_UPLOAD_BYTES: u64 = 200 * 1024 * 1024;

/// The extensions the page takes, each as the job's file keeps it.
const EXTENSIONS: [(&str, &str); 8] = [
    ("csv", "csv"),
    ("xlsx", "xlsx"),
    ("xlsm", "xlsm"),
    ("xls", "xls"),
    ("ods", "ods"),
    ("jsonl", "jsonl"),
    ("ndjson", "jsonl"),
    ("json", "json"),
];

/// Why an upload was refused, with the status to answer.
pub struct Refused {
    pub status: u16,
    pub message: String,
}

fn refused(status: u16, message: impl Into<String>) -> Refused {
    Refused {
        status,
        message: message.into(),
    }
}

/// The job's file name for an upload named `name`, or why it is not taken.
fn input_name(name: &str) -> Result<String, Refused> {
    let extension = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    EXTENSIONS
        .iter()
        .find(|(given, _)| *given == extension)
        .map(|(_, kept)| format!("input.{kept}"))
        .ok_or_else(|| {
            refused(
                415,
                format!("`{name}` is not a member list the page reads: choose a .xlsx, .xls, .xlsm, .ods, .csv, .jsonl or .json file"),
            )
        })
}

/// Takes the file `name` of `length` bytes (when known) from `body` into a new job.
pub fn receive(
    jobs: &Jobs,
    name: &str,
    length: Option<usize>,
    skip_unknown: bool,
    body: &mut dyn Read,
) -> Result<Arc<Job>, Refused> {
    let name: String = name.chars().filter(|c| !c.is_control()).take(200).collect();
    let input = input_name(&name)?;
    let too_big = || {
        refused(
            413,
            format!(
                "`{name}` is larger than the {} MB the page takes; split it, or import it with `jdy-member import`",
                MAX_UPLOAD_BYTES / 1024 / 1024
            ),
        )
    };
    if length.is_some_and(|n| n as u64 > MAX_UPLOAD_BYTES) {
        return Err(too_big());
    }
    let cannot = |e: &dyn std::fmt::Display| {
        refused(500, format!("the page's folder cannot take the file ({e}); free some disk space, or start the page with another --data-dir"))
    };
    let (id, dir) = jobs.new_dir().map_err(|e| cannot(&e))?;
    folder::create_private(&dir).map_err(|e| cannot(&e))?;
    let written = write_file(&dir.join(&input), body);
    let size = match written {
        Ok(size) if size <= MAX_UPLOAD_BYTES => size,
        Ok(_) => {
            let _ = std::fs::remove_dir_all(&dir);
            return Err(too_big());
        }
        Err(e) => {
            let _ = std::fs::remove_dir_all(&dir);
            return Err(cannot(&e));
        }
    };
    let meta = Meta {
        name,
        input,
        size,
        created_ms: now_ms(),
        skip_unknown,
        sheet: None,
        map: Vec::new(),
        map_file: None,
        import: ImportState::None,
        result: Value::Null,
    };
    let job = Job::new(id, dir.clone(), meta, Phase::Waiting);
    // `job.json` last: a folder without one is an upload cut short, removed at start.
    if let Err(e) = job.save_meta(|_| {}) {
        let _ = std::fs::remove_dir_all(&dir);
        return Err(cannot(&e));
    }
    let job = Arc::new(job);
    jobs.add(job.clone());
    Ok(job)
}

/// Copies `body` to `path`, at most one byte beyond the limit; returns the bytes copied.
fn write_file(path: &std::path::Path, body: &mut dyn Read) -> std::io::Result<u64> {
    let mut file = std::fs::File::create(path)?;
    let copied = std::io::copy(&mut body.take(MAX_UPLOAD_BYTES + 1), &mut file)?;
    file.flush()?;
    Ok(copied)
}
