//! Everything a request of the page may touch, and the tasks it hands the worker.

use super::account::Account;
use super::guard::Guard;
use super::job::Job;
use super::jobs::Jobs;
use crate::output::Output;
use std::sync::atomic::AtomicBool;
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What the worker does.
pub enum Task {
    /// The file's first pass, for the column step.
    Read(Arc<Job>),
    Check(Arc<Job>),
    Import(Arc<Job>),
}

/// Everything a request may touch.
pub struct App<'o> {
    pub account: Account,
    /// Where the command's messages go (the form's new session says so there).
    pub out: &'o Output,
    pub jobs: Jobs,
    pub guard: Guard,
    pub idle_stop: Duration,
    /// Asked from the page.
    pub stop: AtomicBool,
    last_seen: Mutex<Instant>,
    /// The worker's queue while it runs.
    pub tasks: Mutex<Option<Sender<Task>>>,
}

impl<'o> App<'o> {
    pub fn new(
        account: Account,
        out: &'o Output,
        jobs: Jobs,
        (guard, idle_stop): (Guard, Duration),
    ) -> App<'o> {
        App {
            account,
            out,
            jobs,
            guard,
            idle_stop,
            stop: AtomicBool::new(false),
            last_seen: Mutex::new(Instant::now()),
            tasks: Mutex::new(None),
        }
    }

    /// Hands the worker a task.
    pub fn queue(&self, task: Task) {
        let tasks = self.tasks.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(tasks) = tasks.as_ref() {
            let _ = tasks.send(task);
        }
    }

    /// A request from the page came in.
    pub fn seen(&self) {
        *self.last_seen.lock().unwrap_or_else(|p| p.into_inner()) = Instant::now();
    }

    /// No page heard from for `idle_stop` and no import running.
    pub fn idle(&self) -> bool {
        let last = *self.last_seen.lock().unwrap_or_else(|p| p.into_inner());
        last.elapsed() >= self.idle_stop && !self.jobs.importing()
    }
}
