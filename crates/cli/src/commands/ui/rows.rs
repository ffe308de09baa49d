//! The verdicts of a file's rows, kept on disk as they are made, and read back a page at a
//! time while the rest of the file is still being checked.
//!
//! Two JSON-lines files in the job's folder: every row (`rows.jsonl`) and the rows to fix
//! (`fix.jsonl`). Memory holds only where each page of `PAGE_ROWS` lines starts (8 bytes a
//! page) and how much of each file has reached the disk, so a file of a million rows costs
//! the server a few hundred kilobytes however far the staff page through it. Lines reach the
//! disk a page at a time, and at least every `FLUSH_EVERY`, so the first page shows at once.

use serde_json::Value;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Rows a page of the table shows.
pub const PAGE_ROWS: usize = 50;
const FLUSH_EVERY: Duration = Duration::from_millis(300);

/// Which rows a page is of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Filter {
    All,
    ToFix,
}

/// The verdicts of one check of a file.
pub struct RowStore {
    inner: Mutex<Inner>,
}

struct Inner {
    all: Lines,
    fix: Lines,
    last_flush: Instant,
}

/// One JSON-lines file being written, and where its pages start.
struct Lines {
    path: PathBuf,
    writer: Option<BufWriter<File>>,
    page_starts: Vec<u64>,
    written: usize,
    bytes: u64,
    /// Lines and bytes on disk, readable.
    flushed: usize,
    flushed_bytes: u64,
}

impl Lines {
    fn create(path: PathBuf) -> std::io::Result<Lines> {
        let writer = BufWriter::new(File::create(&path)?);
        Ok(Lines {
            path,
            writer: Some(writer),
            page_starts: Vec::new(),
            written: 0,
            bytes: 0,
            flushed: 0,
            flushed_bytes: 0,
        })
    }

    fn add(&mut self, line: &str) -> std::io::Result<()> {
        let Some(writer) = self.writer.as_mut() else {
            return Ok(());
        };
        if self.written.is_multiple_of(PAGE_ROWS) {
            self.page_starts.push(self.bytes);
        }
        writer.write_all(line.as_bytes())?;
        writer.write_all(b"\n")?;
        self.written += 1;
        self.bytes += line.len() as u64 + 1;
        if self.written.is_multiple_of(PAGE_ROWS) {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if let Some(writer) = self.writer.as_mut() {
            writer.flush()?;
        }
        self.flushed = self.written;
        self.flushed_bytes = self.bytes;
        Ok(())
    }

    /// Where page `page` starts and where the readable part ends, if it has begun.
    fn page(&self, page: usize) -> Option<(u64, u64)> {
        let start = *self.page_starts.get(page)?;
        (start < self.flushed_bytes).then_some((start, self.flushed_bytes))
    }
}

/// A page of rows, and how many rows can be read so far.
pub struct Page {
    pub rows: Vec<Value>,
    pub total: usize,
}

impl RowStore {
    /// Empty files in `folder`, replacing those of an earlier check.
    pub fn create(folder: &Path) -> std::io::Result<RowStore> {
        Ok(RowStore {
            inner: Mutex::new(Inner {
                all: Lines::create(folder.join("rows.jsonl"))?,
                fix: Lines::create(folder.join("fix.jsonl"))?,
                last_flush: Instant::now(),
            }),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Adds a row's verdict; `to_fix` puts it among the rows to fix too.
    pub fn add(&self, row: &Value, to_fix: bool) -> std::io::Result<()> {
        let line = row.to_string();
        let mut inner = self.lock();
        inner.all.add(&line)?;
        if to_fix {
            inner.fix.add(&line)?;
        }
        if inner.last_flush.elapsed() >= FLUSH_EVERY {
            inner.last_flush = Instant::now();
            inner.all.flush()?;
            inner.fix.flush()?;
        }
        Ok(())
    }

    /// Writes out what is left; the files are complete.
    pub fn finish(&self) -> std::io::Result<()> {
        let mut inner = self.lock();
        inner.all.flush()?;
        inner.fix.flush()?;
        inner.all.writer = None;
        inner.fix.writer = None;
        Ok(())
    }

    /// Page `page` (from 0) of the rows `filter` names, as far as they are on disk.
    pub fn page(&self, filter: Filter, page: usize) -> std::io::Result<Page> {
        let (path, range, total) = {
            let inner = self.lock();
            let lines = match filter {
                Filter::All => &inner.all,
                Filter::ToFix => &inner.fix,
            };
            (lines.path.clone(), lines.page(page), lines.flushed)
        };
        let Some((start, end)) = range else {
            return Ok(Page {
                rows: Vec::new(),
                total,
            });
        };
        let mut file = File::open(path)?;
        file.seek(SeekFrom::Start(start))?;
        let mut reader = BufReader::new(file.take(end - start));
        let mut rows = Vec::with_capacity(PAGE_ROWS);
        let mut line = String::new();
        while rows.len() < PAGE_ROWS && reader.read_line(&mut line)? > 0 {
            // Every line was written whole as JSON by `add`.
            if let Ok(row) = serde_json::from_str(line.trim_end()) {
                rows.push(row);
            }
            line.clear();
        }
        Ok(Page { rows, total })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_are_read_back_while_rows_are_still_added() {
        let folder = std::env::temp_dir().join(format!("jdy-ui-rows-{}", std::process::id()));
        std::fs::create_dir_all(&folder).unwrap();
        let store = RowStore::create(&folder).unwrap();
        for n in 0..(PAGE_ROWS + 10) {
            store.add(&serde_json::json!({"n": n}), n % 2 == 1).unwrap();
        }
        // The first page reached the disk when it was full; the rest waits.
        let first = store.page(Filter::All, 0).unwrap();
        assert_eq!(first.rows.len(), PAGE_ROWS);
        assert_eq!(first.rows[3]["n"], 3);
        assert!(store.page(Filter::All, 1).unwrap().rows.is_empty());
        store.finish().unwrap();
        let second = store.page(Filter::All, 1).unwrap();
        assert_eq!((second.rows.len(), second.total), (10, PAGE_ROWS + 10));
        assert_eq!(second.rows[0]["n"], PAGE_ROWS);
        let fix = store.page(Filter::ToFix, 0).unwrap();
        assert_eq!(fix.total, (PAGE_ROWS + 10) / 2);
        assert_eq!(fix.rows[0]["n"], 1);
        assert!(store.page(Filter::ToFix, 9).unwrap().rows.is_empty());
        std::fs::remove_dir_all(&folder).unwrap();
    }
}
