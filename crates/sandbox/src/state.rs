//! What the sandbox's threads share: the account's data, the counters, the pending faults,
//! the switches, and the clock and latency that tests move.

use crate::clock::Clock;
use crate::faults::Faults;
use crate::limits::Counter;
use crate::options::{Behaviour, SandboxOptions};
use crate::points::Points;
use crate::store::Store;
use crate::tokens::Tokens;
use serde::Serialize;
use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

/// At most this many request times are remembered (for budget-use measurements).
const MAX_TIMES: usize = 200_000;

/// What the sandbox has seen since start or the last reset.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct SandboxStats {
    /// Every request to a Kingdee path (control paths excluded), including malformed ones.
    pub requests: u64,
    /// Authorization calls.
    pub authorize_calls: u64,
    /// Token calls.
    pub token_calls: u64,
    /// Save calls.
    pub save_calls: u64,
    /// Detail calls.
    pub detail_calls: u64,
    /// List calls.
    pub list_calls: u64,
    /// Calls to the master-data lists (stores, levels, customers, labels).
    pub master_data_calls: u64,
    /// Points adjustments.
    pub points_calls: u64,
    /// Non-zero errcode (as a string) -> count; HTTP-level failures as `http_<status>`.
    pub rejections: BTreeMap<String, u64>,
    /// Requests refused with 429 by the account's budget or the token limit.
    pub rate_limited: u64,
    /// Successful saves per mobile: 2 or more means the same member was saved again. A save
    /// processed under a fault counts even if its answer was dropped or replaced.
    pub saves_by_mobile: BTreeMap<String, u64>,
    /// Requests a fault rule applied to.
    pub faults_fired: u64,
}

/// One request the gateway let through its budget, or refused with 429.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Arrival {
    /// Sandbox clock, epoch ms.
    pub at_ms: u64,
    /// Refused with 429 (else let through).
    pub rate_limited: bool,
    /// Which token the caller used (1 for the first issued, and so on): tells apart
    /// processes that share the account but not a token cache.
    pub token_serial: u64,
}

pub(crate) struct State {
    pub store: Store,
    pub points: Points,
    pub tokens: Tokens,
    pub stats: SandboxStats,
    pub faults: Faults,
    pub behaviour: Behaviour,
    pub budget: Counter,
    pub token_limit: Counter,
    /// Business calls that reached the budget, oldest first.
    pub arrivals: VecDeque<Arrival>,
}

impl State {
    pub fn new(behaviour: Behaviour) -> State {
        State {
            store: Store::new(),
            points: Points::default(),
            tokens: Tokens::new(),
            stats: SandboxStats::default(),
            faults: Faults::default(),
            behaviour,
            budget: Counter::default(),
            token_limit: Counter::default(),
            arrivals: VecDeque::new(),
        }
    }

    pub fn record_arrival(&mut self, arrival: Arrival) {
        if self.arrivals.len() >= MAX_TIMES {
            self.arrivals.pop_front();
        }
        self.arrivals.push_back(arrival);
    }
}

pub(crate) struct Shared {
    pub options: SandboxOptions,
    pub base_url: String,
    /// Where the CA certificate of an HTTPS sandbox is.
    pub ca_file: Option<std::path::PathBuf>,
    state: Mutex<State>,
    stopping: AtomicBool,
    pub clock: Clock,
    latency_ms: AtomicU64,
}

impl Shared {
    pub fn new(
        options: SandboxOptions,
        base_url: String,
        ca_file: Option<std::path::PathBuf>,
    ) -> Shared {
        Shared {
            clock: Clock::new(options.clock_offset_ms),
            latency_ms: AtomicU64::new(options.latency_ms),
            state: Mutex::new(State::new(options.behaviour.clone())),
            options,
            base_url,
            ca_file,
            stopping: AtomicBool::new(false),
        }
    }

    /// The state, even if a thread panicked while holding it (the data stays consistent
    /// enough for a test double, and one bad request must not take the sandbox down).
    pub fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn is_stopping(&self) -> bool {
        self.stopping.load(Ordering::SeqCst)
    }

    pub fn stop(&self) {
        self.stopping.store(true, Ordering::SeqCst);
    }

    pub fn latency_ms(&self) -> u64 {
        self.latency_ms.load(Ordering::SeqCst)
    }

    pub fn set_latency_ms(&self, ms: u64) {
        self.latency_ms.store(ms, Ordering::SeqCst);
    }

    /// Empty store, zero counters, original app secret and switches, no faults, and the
    /// clock offset and latency of the options. Issued tokens are kept.
    pub fn reset(&self) {
        {
            let mut state = self.lock();
            let tokens = std::mem::replace(&mut state.tokens, Tokens::new());
            *state = State::new(self.options.behaviour.clone());
            state.tokens = tokens;
            state.tokens.reset();
        }
        self.clock.set_offset_ms(self.options.clock_offset_ms);
        self.set_latency_ms(self.options.latency_ms);
    }

    pub fn count_http_failure(&self, status: u16) {
        let mut state = self.lock();
        state.stats.requests += 1;
        *state
            .stats
            .rejections
            .entry(format!("http_{status}"))
            .or_insert(0) += 1;
    }

    /// Library configuration, direct mode (app key and the current app secret given).
    pub fn client_config(&self) -> serde_json::Value {
        let secret = self.lock().tokens.app_secret().to_string();
        let mut config = serde_json::json!({
            "client_id": crate::SANDBOX_CLIENT_ID,
            "client_secret": crate::SANDBOX_CLIENT_SECRET,
            "app_key": crate::SANDBOX_APP_KEY,
            "app_secret": secret,
            "domain": crate::SANDBOX_DOMAIN,
            "base_url": self.base_url,
        });
        self.add_ca_file(&mut config);
        config
    }

    /// Library configuration, authorization mode (app key and secret fetched by the client).
    pub fn client_config_outer(&self) -> serde_json::Value {
        let mut config = serde_json::json!({
            "client_id": crate::SANDBOX_CLIENT_ID,
            "client_secret": crate::SANDBOX_CLIENT_SECRET,
            "outer_instance_id": crate::SANDBOX_OUTER_INSTANCE_ID,
            "base_url": self.base_url,
        });
        self.add_ca_file(&mut config);
        config
    }

    fn add_ca_file(&self, config: &mut serde_json::Value) {
        if let Some(ca) = &self.ca_file {
            config["ca_file"] = serde_json::Value::from(ca.display().to_string());
        }
    }
}
