//! The account's request budget: at most `requests` business calls per `window` (Kingdee:
//! about 500 a minute per account, notes §6), shared by every thread and every client of the
//! account in this process, and through a file by the processes of one machine.
//!
//! A request may start when fewer than the allowance started within the last window (a
//! log of their start times), and not sooner than `window / allowance` after the one
//! before (so the budget is spread over the window, not spent in a burst). The window is
//! stretched by a small margin for the gateway's clock and the network's jitter, so no
//! window of the gateway's, sliding or fixed, ever sees more than the allowance. Budgets
//! larger than the log keeps are enforced by spacing alone (`window / (allowance - 1)`,
//! which is just as strict). The allowance starts at the configured budget;
//! a 429 cuts it to 0.8 of itself (once per spacing at most, so one burst of answers counts
//! once), honours `Retry-After`, and sends the requests already waiting for a slot back to
//! ask again at the new pace; each success wins a little back, faster the longer no 429
//! came. Processes on different machines that share one account, and cannot see each
//! other's files, converge that way to sharing the gateway's budget without a coordinator
//! (AIMD; the figures for 1, 3 and 6 processes are in the README, from `scripts/bench`).

use crate::config::RequestBudget;
use crate::error::{Error, ErrorKind, Result};
use crate::sys::file_lock::FileLock;
use crate::sys::secure_file;
use crate::sys::time::now_ms;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

/// The spacing is stretched by this much, so that the gateway never sees one request too
/// many in a window because of clock drift or network jitter.
const MARGIN: f64 = 0.02;
/// A 429 cuts the allowance to this share of itself. The constants below were chosen
/// together by simulating 3 and 6 tills that cannot see each other, in short imports (100
/// members each at 50 per 6 s) and long ones (5,000 members at 250 per 5 s), sliding and
/// fixed windows, with and without `Retry-After`, then measured for real (`scripts/bench`).
const DECREASE: f64 = 0.9;
/// Each window of successes wins back this share of the configured budget: small, since
/// every process sharing the account wins it back at once.
const INCREASE_PER_WINDOW: f64 = 0.01;
/// The win-back grows by this share of itself for every window without a 429 (capped at
/// ten times), so a process left alone on the account with a sixth of the budget regains
/// the whole of it in about 16 windows (16 minutes at Kingdee's 60 s).
const ACCELERATION_PER_WINDOW: f64 = 0.5;
/// The share rule (see `cut`) applies while the allowance is above this share of the
/// budget: it is for a till that believed it had (most of) the account to itself. Below,
/// plain cuts by DECREASE, which even out unequal shares, as AIMD does.
const SHARE_ABOVE: f64 = 0.3;
/// After a cut to the share, no win-back for this many windows: the share is what the
/// gateway gives this till while the others run, and probing at once would only bring
/// back the 429s and unequal shares.
const HOLD_WINDOWS: f64 = 5.0;
/// A 429 never cuts the allowance below this share of the budget because of what the
/// process's own log shows (further 429s still cut it by DECREASE).
const SHARE_FLOOR: f64 = 0.1;
/// The allowance never falls below this many requests per window.
const MIN_ALLOWANCE: f64 = 2.0;
/// The longest pause a `Retry-After` can impose.
const MAX_PAUSE_MS: u64 = 120_000;
/// Budgets up to this many requests per window keep a log of start times.
const MAX_LOG: usize = 1_000;

/// The state shared by the processes of one machine (and the threads of one process).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Shared {
    /// Requests per window currently allowed (at most the configured budget).
    allowance: f64,
    /// Epoch ms before which no further request may start (fractional: a budget of
    /// thousands per second is spaced by fractions of a millisecond).
    next_ms: f64,
    /// Epoch ms of the last cut, so that one burst of 429s cuts once.
    last_cut_ms: u64,
    /// Epoch ms until which the allowance is not won back (after a cut to the share).
    #[serde(default)]
    hold_until_ms: u64,
    /// Counts the 429s: a slot reserved before one is given up and asked for again, so
    /// that the requests already waiting do not all run into the same full window.
    #[serde(default)]
    refusals: u64,
    /// Start times (epoch ms) of the requests within the last window, oldest first.
    #[serde(default)]
    log: std::collections::VecDeque<u64>,
}

/// A request's start as the budget logged it (epoch ms).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Ticket(u64);

/// The budget of one account.
pub(crate) struct Budget {
    budget: RequestBudget,
    shared: Mutex<Shared>,
    /// The file through which other processes share the budget, when there is one.
    file: Option<BudgetFile>,
}

struct BudgetFile {
    path: PathBuf,
    lock_path: PathBuf,
}

/// What the budgets of this process are, by account: clients of one account share one.
fn registry() -> &'static Mutex<HashMap<String, Weak<Budget>>> {
    static REGISTRY: std::sync::OnceLock<Mutex<HashMap<String, Weak<Budget>>>> =
        std::sync::OnceLock::new();
    REGISTRY.get_or_init(|| Mutex::new(HashMap::new()))
}

impl Budget {
    /// The budget of `account` in this process, created on first use; `file` shares it with
    /// the other processes of this machine.
    pub fn shared(account: &str, budget: RequestBudget, file: Option<&Path>) -> Arc<Budget> {
        let key = format!(
            "{account}\n{}\n{}\n{}",
            budget.requests,
            budget.window.as_millis(),
            file.map(|p| p.display().to_string()).unwrap_or_default()
        );
        let mut budgets = registry().lock().unwrap_or_else(|p| p.into_inner());
        budgets.retain(|_, weak| weak.strong_count() > 0);
        if let Some(existing) = budgets.get(&key).and_then(Weak::upgrade) {
            return existing;
        }
        let created = Arc::new(Budget::new(budget, file));
        budgets.insert(key, Arc::downgrade(&created));
        created
    }

    fn new(budget: RequestBudget, file: Option<&Path>) -> Budget {
        Budget {
            budget,
            shared: Mutex::new(Shared {
                allowance: f64::from(budget.requests),
                next_ms: 0.0,
                last_cut_ms: 0,
                hold_until_ms: 0,
                refusals: 0,
                log: std::collections::VecDeque::new(),
            }),
            file: file.map(|path| {
                let mut lock = path.as_os_str().to_owned();
                lock.push(".lock");
                BudgetFile {
                    path: path.to_path_buf(),
                    lock_path: lock.into(),
                }
            }),
        }
    }

    /// The configured budget.
    pub fn configured(&self) -> RequestBudget {
        self.budget
    }

    /// Requests per second currently allowed.
    pub fn rate_per_s(&self) -> f64 {
        let allowance = self.with_shared(|s| s.allowance);
        allowance / self.budget.window.as_secs_f64()
    }

    /// The allowance as this process last saw it, without reading the file.
    fn local_allowance(&self) -> f64 {
        self.shared
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .allowance
    }

    /// The window with its margin, in ms.
    fn window_ms(&self) -> f64 {
        self.budget.window.as_secs_f64() * 1000.0 * (1.0 + MARGIN)
    }

    /// The smallest gap between two starts.
    fn spacing_ms(&self, allowance: f64) -> f64 {
        if (allowance as usize) <= MAX_LOG {
            self.window_ms() / allowance.max(1.0)
        } else {
            self.window_ms() / (allowance - 1.0)
        }
    }

    /// When the next request may start by the log (the oldest start leaves the window); 0
    /// when the log has room.
    fn log_free_at(&self, s: &mut Shared, now: u64) -> u64 {
        let window = self.window_ms().ceil() as u64;
        while s
            .log
            .front()
            .is_some_and(|t| now.saturating_sub(*t) >= window)
        {
            s.log.pop_front();
        }
        let cap = (s.allowance as usize).max(1);
        if cap > MAX_LOG || s.log.len() < cap {
            return 0;
        }
        // Allowance cut below what the log holds: the oldest surplus has to leave first.
        let surplus = s.log.len() - cap;
        s.log.get(surplus).map_or(0, |t| t + window)
    }

    /// Runs `f` on the shared state: under the process's lock, and with a file under the
    /// machine's lock, read before and written after.
    fn with_shared<T>(&self, f: impl FnOnce(&mut Shared) -> T) -> T {
        let mut local = self.shared.lock().unwrap_or_else(|p| p.into_inner());
        let Some(file) = &self.file else {
            return f(&mut local);
        };
        // Working without the machine-wide budget beats not working: on any file trouble
        // this process keeps its own.
        let Ok(_locked) = FileLock::acquire(&file.lock_path) else {
            return f(&mut local);
        };
        let Ok(mut handle) = secure_file::open_private(&file.path) else {
            return f(&mut local);
        };
        let mut text = String::new();
        let stored = handle
            .read_to_string(&mut text)
            .ok()
            .and_then(|_| serde_json::from_str::<Shared>(&text).ok())
            .filter(|s| s.allowance.is_finite() && s.allowance >= MIN_ALLOWANCE);
        if let Some(stored) = stored {
            *local = Shared {
                allowance: stored.allowance.min(f64::from(self.budget.requests)),
                ..stored
            };
        }
        let result = f(&mut local);
        if let Ok(text) = serde_json::to_string(&*local) {
            let _ = handle
                .seek(SeekFrom::Start(0))
                .and_then(|_| handle.set_len(0))
                .and_then(|()| handle.write_all(text.as_bytes()));
        }
        result
    }

    /// Blocks until one more request may start, or fails (kind `rate_limited`, certainly not
    /// sent) when that is not before `deadline`. The ticket names the start in the log, so
    /// that a 429 can take it out again.
    pub fn acquire(&self, deadline: Instant) -> Result<Ticket> {
        loop {
            let now = now_ms();
            let left_ms = deadline
                .saturating_duration_since(Instant::now())
                .as_millis() as u64;
            let reserved =
                self.with_shared(|s| self.reserve(s, now, left_ms).map(|slot| (slot, s.refusals)));
            let (slot, refusals) = match reserved {
                Ok(reserved) => reserved,
                Err(wait_ms) => return Err(self.no_room(wait_ms)),
            };
            if slot <= now {
                return Ok(Ticket(slot));
            }
            std::thread::sleep(Duration::from_millis(slot - now));
            // A 429 while this request waited: the slot was planned for a pace the gateway
            // just refused, so give it back and ask again. Else the log keeps when it really
            // starts (a late thread stays in the gateway's window longer than planned).
            let started = now_ms().max(slot);
            let still_good = self.with_shared(|s| {
                let unchanged = s.refusals == refusals;
                if let Some(at) = s.log.iter().position(|t| *t == slot) {
                    if unchanged {
                        s.log[at] = started;
                    } else {
                        s.log.remove(at);
                    }
                }
                unchanged
            });
            if still_good {
                return Ok(Ticket(started));
            }
        }
    }

    fn no_room(&self, wait_ms: u64) -> Error {
        let message = format!(
            "the account's request budget ({} requests per {} s) has no room before the call's deadline (the next request may start in {:.1} s); the request was not sent, try again later or give a longer `deadline_ms`",
            self.budget.requests,
            self.budget.window.as_secs(),
            wait_ms as f64 / 1000.0
        );
        Error::new(ErrorKind::RateLimited, message)
    }

    /// The start time (epoch ms) of the next request, reserved, or how long until there is
    /// one when that is not within `left_ms`.
    fn reserve(&self, s: &mut Shared, now: u64, left_ms: u64) -> std::result::Result<u64, u64> {
        // A slot further ahead than any spacing or pause can put it comes from a clock that
        // was set back: start afresh rather than wait for it.
        let now_f = now as f64;
        if s.next_ms > now_f + self.window_ms() + MAX_PAUSE_MS as f64 {
            s.next_ms = now_f;
        }
        // Up to a millisecond behind `now` still counts as `now`: the clock ticks in whole
        // milliseconds, and fractions of spacing must add up, not be lost to it.
        let earliest = s
            .next_ms
            .max(self.log_free_at(s, now) as f64)
            .max(now_f - 1.0);
        let slot = (earliest.ceil() as u64).max(now);
        if slot.saturating_sub(now) >= left_ms {
            return Err(slot - now);
        }
        s.next_ms = earliest + self.spacing_ms(s.allowance);
        if (s.allowance as usize) <= MAX_LOG {
            s.log.push_back(slot);
        }
        Ok(slot)
    }

    /// The gateway answered 429 to the request of `ticket`: cut the allowance (once per
    /// burst) and wait as asked.
    pub fn rate_limited(&self, ticket: Ticket, retry_after: Option<Duration>) {
        let now = now_ms();
        self.with_shared(|s| {
            // A refused request took no room in the gateway's window.
            if let Some(at) = s.log.iter().position(|t| *t == ticket.0) {
                s.log.remove(at);
            }
            if now.saturating_sub(s.last_cut_ms) as f64 >= self.spacing_ms(s.allowance) {
                self.cut(s, now);
            }
            s.refusals += 1;
            // Without Retry-After, at least the new spacing: the next start is a fresh try.
            let pause = retry_after.map_or(self.spacing_ms(s.allowance), |d| {
                d.as_millis().min(u128::from(MAX_PAUSE_MS)) as f64
            });
            s.next_ms = s.next_ms.max(now as f64 + pause);
        });
    }

    /// The allowance after a 429: 0.9 of itself; and, for a till that believed it had most
    /// of the budget, no more than its share. Tills that cannot see each other all start at
    /// the whole budget; the first 429 tells each how many of its requests the gateway let
    /// through within the window, and so about how many tills share it: the allowance
    /// becomes the budget divided by that number (rounded, so that tills that started a
    /// moment apart still get equal shares), and they settle at once instead of cutting by
    /// a tenth a window at a time, a window of 429s for each cut. Never below a tenth of
    /// the budget for that reason: a till that was idle (nothing of its own in the window)
    /// is not spaced a whole window apart for its next save.
    fn cut(&self, s: &mut Shared, now: u64) {
        let configured = f64::from(self.budget.requests);
        let mut allowance = s.allowance * DECREASE;
        if s.allowance > configured * SHARE_ABOVE && (s.allowance as usize) <= MAX_LOG {
            let window = self.window_ms().ceil() as u64;
            let admitted = s
                .log
                .iter()
                .filter(|t| **t <= now && now - **t < window)
                .count() as f64;
            let share = if admitted > 0.0 {
                configured / (configured / admitted).round().max(1.0)
            } else {
                0.0
            };
            let share = share.max(configured * SHARE_FLOOR);
            if share < allowance {
                allowance = share;
                s.hold_until_ms = now + (self.window_ms() * HOLD_WINDOWS) as u64;
            }
        }
        s.allowance = allowance.max(MIN_ALLOWANCE);
        s.last_cut_ms = now;
    }

    /// A request went through: win back a little of the allowance.
    pub fn succeeded(&self) {
        let configured = f64::from(self.budget.requests);
        // At the whole budget when this request started (the copy was read from the file
        // then): nothing to win back, so no file to touch.
        if self.local_allowance() >= configured {
            return;
        }
        let now = now_ms();
        self.with_shared(|s| {
            if s.allowance < configured && now >= s.hold_until_ms {
                let quiet_since = s.last_cut_ms.max(s.hold_until_ms);
                let quiet_windows = now.saturating_sub(quiet_since) as f64 / self.window_ms();
                let speed = (1.0 + quiet_windows * ACCELERATION_PER_WINDOW).min(10.0);
                let step = configured * INCREASE_PER_WINDOW * speed / s.allowance;
                s.allowance = (s.allowance + step).min(configured);
            }
        });
    }
}

#[cfg(test)]
mod tests;
