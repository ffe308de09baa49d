//! The background flusher (`outbox_flush_interval_s`): every interval (longer while the
//! gateway is unreachable) it flushes what is due, honouring each item's backoff.

use crate::error::{Error, Result};
use crate::gateway::pacer::DEFAULT_CONCURRENCY;
use crate::log::LogLevel;
use crate::members::Members;
use crate::outbox::flush::{flush, FlushOptions, MAX_BACKOFF};
use crate::outbox::store::Outbox;
use crate::panic;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The background flusher: every `interval` (longer while the gateway is unreachable) it
/// flushes what is due. Stopped by dropping it: within about a second, whatever it is doing.
pub(crate) struct Background {
    stop: Arc<(Mutex<bool>, Condvar)>,
    cancel: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
}

impl Background {
    pub fn start(
        members: Arc<Members>,
        outbox: Arc<Outbox>,
        interval: Duration,
        keep: Duration,
    ) -> Result<Background> {
        let stop = Arc::new((Mutex::new(false), Condvar::new()));
        let cancel = Arc::new(AtomicBool::new(false));
        let (thread_stop, thread_cancel) = (stop.clone(), cancel.clone());
        let handle = std::thread::Builder::new()
            .name("jdy-outbox-flush".into())
            .spawn(move || {
                let mut wait = interval;
                loop {
                    {
                        let (lock, signal) = &*thread_stop;
                        let stopped = lock.lock().unwrap_or_else(|p| p.into_inner());
                        let (stopped, _) = signal
                            .wait_timeout_while(stopped, wait, |stopped| !*stopped)
                            .unwrap_or_else(|p| p.into_inner());
                        if *stopped {
                            return;
                        }
                    }
                    let options = FlushOptions {
                        max: None,
                        deadline: interval.max(Duration::from_secs(1)),
                        concurrency: DEFAULT_CONCURRENCY,
                        respect_backoff: true,
                    };
                    let result = panic::guard(|| {
                        let _ = outbox.prune(keep);
                        flush(&members, &outbox, options, Some(&thread_cancel))
                    });
                    // While the gateway is unreachable, wait longer each time (at most 5 min).
                    wait = match &result {
                        Ok(summary) if summary.failed > 0 && summary.saved == 0 => {
                            (wait * 2).min(MAX_BACKOFF)
                        }
                        _ => interval,
                    };
                    if let Err(e) = result {
                        members.engine().log(
                            LogLevel::Warn,
                            &format!("background outbox flush: {}", e.message),
                        );
                    }
                }
            })
            .map_err(|e| {
                Error::internal(format!(
                    "the outbox's background thread could not start: {e}"
                ))
            })?;
        Ok(Background {
            stop,
            cancel,
            handle: Some(handle),
        })
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        self.cancel.store(true, Ordering::Relaxed);
        {
            let (lock, signal) = &*self.stop;
            *lock.lock().unwrap_or_else(|p| p.into_inner()) = true;
            signal.notify_all();
        }
        let Some(handle) = self.handle.take() else {
            return;
        };
        // A save under way ends at its next wait; an HTTP exchange in flight cannot be cut,
        // so after a second the thread is left to finish it on its own (it holds what it
        // needs) rather than block the caller.
        let until = Instant::now() + Duration::from_secs(1);
        while !handle.is_finished() && Instant::now() < until {
            std::thread::sleep(Duration::from_millis(10));
        }
        if handle.is_finished() {
            let _ = handle.join();
        }
    }
}
