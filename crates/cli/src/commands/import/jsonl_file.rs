//! An append-only JSON-lines file written from many threads, one whole line per write:
//! the import's journal and its rejects file. It is created at the first line, so an
//! import that has nothing to write leaves no file.

use serde_json::Value;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

pub(super) struct JsonLinesFile {
    path: PathBuf,
    file: Mutex<Option<File>>,
    /// Start the file afresh at the first line, rather than add to what it holds.
    truncate: bool,
}

impl JsonLinesFile {
    pub fn new(path: PathBuf, truncate: bool) -> JsonLinesFile {
        JsonLinesFile {
            path,
            file: Mutex::new(None),
            truncate,
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn append(&self, value: &Value) -> std::io::Result<()> {
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
