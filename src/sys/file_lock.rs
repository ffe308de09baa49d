//! A lock shared by the processes of one machine: the token cache and the request budget
//! are each read and written under one, so that processes take turns.

use crate::sys::secure_file;
use std::fs::File;
use std::path::Path;

/// Holds a cross-process lock until dropped.
pub(crate) struct FileLock(File);

impl FileLock {
    /// Blocks until this process holds the lock of `path` (created owner-only, never
    /// through a symlink).
    pub fn acquire(path: &Path) -> std::io::Result<FileLock> {
        let file = secure_file::open_private(path)?;
        file.lock()?;
        Ok(FileLock(file))
    }
}

impl Drop for FileLock {
    fn drop(&mut self) {
        let _ = self.0.unlock();
    }
}
