//! The page's jobs: those in its folder when the server starts (an import a killed process
//! left part-way is offered for resuming, a finished one for its downloads), those uploaded
//! since, and the one the page shows. Member lists are personal data, kept no longer than
//! they serve: a file never imported goes when the next one is chosen or the server
//! restarts; a finished import `KEEP_DAYS` after its upload; an unfinished one stays until
//! it is resumed or deleted.

use super::job::{ImportState, Job, Phase};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Days a job is kept after its upload, unless its import is unfinished.
pub const KEEP_DAYS: u64 = 7;

pub struct Jobs {
    pub folder: PathBuf,
    inner: Mutex<Inner>,
}

struct Inner {
    jobs: Vec<Arc<Job>>,
    /// The job the page shows.
    current: Option<Arc<Job>>,
}

/// Milliseconds since 1970, for `job.json`.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

impl Jobs {
    /// The jobs kept in `folder`; old ones and unusable leftovers are removed.
    pub fn load(folder: PathBuf) -> Jobs {
        let mut jobs = Vec::new();
        let keep = Duration::from_secs(KEEP_DAYS * 24 * 3600).as_millis() as u64;
        for (id, dir) in job_folders(&folder) {
            match Job::load(id, dir.clone()) {
                Some(job) => {
                    let meta = job.meta();
                    let old = now_ms().saturating_sub(meta.created_ms) > keep;
                    let gone = match meta.import {
                        ImportState::None => true,
                        ImportState::Started => false,
                        ImportState::Finished => old,
                    };
                    if gone {
                        let _ = std::fs::remove_dir_all(&dir);
                    } else {
                        jobs.push(Arc::new(job));
                    }
                }
                // An upload cut short, or not ours.
                None => {
                    let _ = std::fs::remove_dir_all(&dir);
                }
            }
        }
        jobs.sort_by_key(|job| job.meta().created_ms);
        Jobs {
            folder,
            inner: Mutex::new(Inner {
                jobs,
                current: None,
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A new job's folder name: random, so one job's address cannot be guessed from another's.
    pub fn new_dir(&self) -> Result<(String, PathBuf), getrandom::Error> {
        let id = super::guard::random_hex(8)?;
        let dir = self.folder.join(&id);
        Ok((id, dir))
    }

    /// Adds a job and makes it the one the page shows. The files chosen before it and never
    /// imported can no longer be reached from the page: they are removed. The first passes
    /// the others kept for their column step are let go.
    pub fn add(&self, job: Arc<Job>) {
        let mut inner = self.lock();
        inner.jobs.retain(|other| {
            drop(other.take_file());
            let unreachable = other.meta().import == ImportState::None
                && matches!(
                    other.phase(),
                    Phase::Columns | Phase::Checked | Phase::Refused | Phase::Stored
                );
            if unreachable {
                let _ = std::fs::remove_dir_all(&other.dir);
            }
            !unreachable
        });
        inner.jobs.push(job.clone());
        inner.current = Some(job);
    }

    pub fn get(&self, id: &str) -> Option<Arc<Job>> {
        self.lock().jobs.iter().find(|job| job.id == id).cloned()
    }

    pub fn current(&self) -> Option<Arc<Job>> {
        self.lock().current.clone()
    }

    pub fn set_current(&self, job: Option<Arc<Job>>) {
        self.lock().current = job;
    }

    /// Forgets a job and removes its folder.
    pub fn remove(&self, job: &Arc<Job>) -> std::io::Result<()> {
        let mut inner = self.lock();
        inner.jobs.retain(|other| !Arc::ptr_eq(other, job));
        if inner.current.as_ref().is_some_and(|c| Arc::ptr_eq(c, job)) {
            inner.current = None;
        }
        std::fs::remove_dir_all(&job.dir)
    }

    /// The jobs in `phase`, newest first.
    pub fn in_phase(&self, phase: Phase) -> Vec<Arc<Job>> {
        let inner = self.lock();
        let mut found: Vec<Arc<Job>> = inner
            .jobs
            .iter()
            .filter(|job| job.phase() == phase)
            .cloned()
            .collect();
        found.reverse();
        found
    }

    /// Whether a job is being imported: the server must not stop by itself then.
    pub fn importing(&self) -> bool {
        self.lock()
            .jobs
            .iter()
            .any(|job| job.phase() == Phase::Importing)
    }
}

/// The job folders in `folder`: their names are 16 hex digits (`new_dir`).
fn job_folders(folder: &Path) -> Vec<(String, PathBuf)> {
    let Ok(entries) = std::fs::read_dir(folder) else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter(|entry| entry.path().is_dir())
        .filter_map(|entry| {
            let name = entry.file_name().into_string().ok()?;
            let ours = name.len() == 16 && name.bytes().all(|b| b.is_ascii_hexdigit());
            ours.then(|| (name, entry.path()))
        })
        .collect()
}
