//! A local emulator of the Kingdee JDY open-API gateway (the "sandbox").
//!
//! jdy-member's tests, and integrators without Kingdee credentials, run against it over real
//! HTTP (or HTTPS) on loopback. Its defaults model what Kingdee documents
//! (`jdy-api-notes.md`); every behaviour public sources do not settle is a named switch in
//! [`Behaviour`], so that a client can be proven right under each plausible form of it.
//!
//! # Parity: what is modelled, and how
//!
//! | behaviour | sandbox | basis |
//! | --- | --- | --- |
//! | signing, the five checks and their order, 519 rejections | modelled | documented, official SDK |
//! | token flow, `app-token` key, 24 h lifetime, rotation (1030002006) | modelled | documented |
//! | token endpoint: about 2 calls a minute | default 2 per 60 s, settable | reported |
//! | account budget: about 500 requests a minute, 429 已被限流 | default 500 per 60 s, settable | reported |
//! | sliding or fixed rate-limit windows | switch `window` | unknown |
//! | `Retry-After` on a 429 | switch `retry_after` (default on) | unknown |
//! | detail answers only `id, mobile, name, card_no, card_id, level_name, usable, available` | modelled | documented |
//! | list rows under their own names (`shop_id/shop_number/shop_name`, ...) | modelled | documented |
//! | personal fields encrypted (AES-256-CBC, client secret, fixed IV) | switch `encryption` (default on) | documented; which fields: unknown |
//! | save of an existing mobile | switch `duplicate_mobile`: `refuse` (default) or `update` | unknown |
//! | detail of a missing member | switch `detail_not_found`: `null` (default), `errcode`, `empty` | unknown |
//! | routing before authentication, 5001/5002 | modelled | unknown (API-gateway habit) |
//! | wrong `X-GW-Router-Addr` | 519/4012 | unknown |
//! | the 429 body (`errcode` 429) and the gateway's texts | the sandbox's own | unknown |
//! | field-level business errors of save | 2000002000 naming the first broken field | unknown |
//! | stores, member levels, customers, labels (`id, number, name, ...`), paged | seeded lists (`master_data`) | documented lists; the data is the sandbox's |
//! | a member's `label`: label names or ids of the label list | switch `labels`: `names` (default; stored as given) or `ids` (anything but an id of `master_data::LABELS` refused, 2000002000 `标签不存在: VIP`) | unknown |
//! | an API the app has no permission for | switch `denied_paths`: 519/4012 | documented code |
//! | an API the gateway does not offer this account | switch `missing_paths`: 519/5001 | documented code |
//! | points adjustment, `src_bill_id` applied once | `/jdy/v2/ls/integral_adjust`, body and answer the sandbox's | unknown |
//!
//! The sandbox's credentials are fake and public ([`SANDBOX_CLIENT_ID`] ...); its client
//! secret is 32 characters, the one key length Kingdee's encryption has.
//!
//! # Fault injection
//!
//! [`Sandbox::inject`] (or `POST /__sandbox/faults`) makes the next matching requests fail
//! as networks and gateways fail. A [`FaultRule`] in JSON:
//!
//! ```json
//! {"path": "/jdy/v2/ls/member", "method": "POST", "times": 1,
//!  "fault": {"kind": "status", "status": 503}}
//! ```
//!
//! `path` (exact, no query) and `method` (any case) default to "any"; `times` (default 1) is
//! how many requests the rule affects. Rules are tried in insertion order against every
//! request to a Kingdee path, never `/__sandbox/*`. The request is read whole and counted
//! first; the fault then applies before any gateway check. "Processed" below means the
//! normal handling ran and its effects stand.
//!
//! | `kind` | processed | what the client gets |
//! | --- | --- | --- |
//! | `status` | if `after_processing` | `status` with `body` (JSON if it parses, else HTML); default body an nginx-style page |
//! | `gateway` | if `after_processing` | 519 with the gateway body for `errcode` |
//! | `rate_limited` | no | 429, `Retry-After: 1`, the 已被限流 body |
//! | `drop_before_processing` | no | the connection closes without an answer |
//! | `drop_after_processing` | yes | the connection closes without an answer |
//! | `delay` | yes | the normal answer, `ms` later (before or after processing) |
//! | `not_json` | if `after_processing` | a `text/html` page with `status` (default 200) |
//! | `oversized` | yes | 200 with a valid JSON success body of exactly `bytes` bytes, then close |
//!
//! A wait (a delay, or the latency) watches the connection: a client that closes it during
//! a wait before processing has certainly not saved; one that leaves during a wait after
//! processing certainly has.
//!
//! # HTTP controls
//!
//! | control | body | answer |
//! | --- | --- | --- |
//! | `GET /__sandbox/stats` | | [`SandboxStats`] |
//! | `GET /__sandbox/members` | | stored members (plaintext, save field names), id order |
//! | `GET /__sandbox/config` | | `{"direct": {..}, "outer": {..}}` library configurations |
//! | `GET`/`POST /__sandbox/behaviour` | switches to change | the [`Behaviour`] in force |
//! | `GET /__sandbox/arrivals` | | business calls at the budget: `[{"at_ms", "rate_limited", "token_serial"}]` |
//! | `POST /__sandbox/reset` | | `{"ok": true}` |
//! | `POST /__sandbox/expire_tokens` | | `{"ok": true, "expired": n}` |
//! | `POST /__sandbox/rotate_app_secret` | `{"app_secret": "s"}` | `{"ok": true}` |
//! | `POST`/`GET`/`DELETE /__sandbox/faults` | one rule or an array | added / pending / cleared |
//! | `POST /__sandbox/clock` | `{"offset_ms": n}` | `{"ok": true, "offset_ms": n}` |
//! | `POST /__sandbox/latency` | `{"ms": n}` | `{"ok": true, "ms": n}` |
//! | `GET /__sandbox/tokens` | | issued app-tokens, oldest first |

mod clock;
mod controls;
mod endpoints;
mod faults;
mod gateway;
mod handler;
mod http;
mod limits;
pub mod master_data;
mod options;
mod points;
mod server;
mod state;
mod store;
#[cfg(test)]
mod test_client;
mod tls;
mod tokens;

pub use clock::{china_datetime, http_date};
pub use faults::{Fault, FaultRule};
pub use options::{
    Behaviour, Certificate, DuplicateMobile, LabelReading, Limit, NotFound, SandboxOptions, Window,
};
pub use state::{Arrival, SandboxStats};
pub use store::{ERR_DUPLICATE, ERR_NOT_FOUND, FIRST_MEMBER_ID};
pub use tokens::{ERR_APP_KEY, ERR_NOT_AUTHORIZED};

use serde_json::Value;
use state::Shared;
use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::Duration;

/// Where the HTTP controls are (the table above): never a Kingdee path, never signed.
pub(crate) const CONTROL_PREFIX: &str = "/__sandbox/";

/// The sandbox's client id (fake).
pub const SANDBOX_CLIENT_ID: &str = "sandbox-client-id";
/// The sandbox's client secret (fake; 32 characters, as Kingdee's encryption needs).
pub const SANDBOX_CLIENT_SECRET: &str = "sandbox-client-secret-not-real32";
/// The outer instance id the sandbox authorizes.
pub const SANDBOX_OUTER_INSTANCE_ID: &str = "sandbox-outer-instance";
/// The sandbox's app key.
pub const SANDBOX_APP_KEY: &str = "sandbox-app-key";
/// The sandbox's app secret, until rotated (fake).
pub const SANDBOX_APP_SECRET: &str = "sandbox-app-secret-not-real";
/// The routing domain of the sandbox's account.
pub const SANDBOX_DOMAIN: &str = "https://sandbox.jdy.invalid";

/// A running gateway emulator. Stops on [`Sandbox::shutdown`] or drop.
pub struct Sandbox {
    shared: Arc<Shared>,
    addr: SocketAddr,
    accept_thread: Mutex<Option<JoinHandle<()>>>,
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox")
            .field("base_url", &self.base_url())
            .finish()
    }
}

impl Sandbox {
    /// Binds 127.0.0.1 and starts serving on a background thread.
    pub fn start(options: SandboxOptions) -> io::Result<Sandbox> {
        let listener = TcpListener::bind(("127.0.0.1", options.port))?;
        let addr = listener.local_addr()?;
        let (tls, ca_file, scheme) = match options.tls {
            Some(kind) => {
                let setup = tls::setup(kind)?;
                let ca_file = tls::write_ca(&setup.ca_pem, addr.port())?;
                (Some(setup.config), Some(ca_file), "https")
            }
            None => (None, None, "http"),
        };
        let shared = Arc::new(Shared::new(options, format!("{scheme}://{addr}"), ca_file));
        let accept_shared = Arc::clone(&shared);
        let handle = thread::Builder::new()
            .name("jdy-sandbox-accept".into())
            .spawn(move || server::accept_loop(accept_shared, listener, tls))?;
        Ok(Sandbox {
            shared,
            addr,
            accept_thread: Mutex::new(Some(handle)),
        })
    }

    /// `http://127.0.0.1:PORT` (`https://` when serving TLS).
    pub fn base_url(&self) -> String {
        self.shared.base_url.clone()
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// The PEM file of the CA that issued an HTTPS sandbox's certificate.
    pub fn ca_file(&self) -> Option<&Path> {
        self.shared.ca_file.as_deref()
    }

    /// Library configuration, direct mode (app key and the current app secret given; the
    /// CA file when serving TLS).
    pub fn client_config(&self) -> Value {
        self.shared.client_config()
    }

    /// Library configuration, authorization mode (app key and secret fetched by the client).
    pub fn client_config_outer(&self) -> Value {
        self.shared.client_config_outer()
    }

    /// What it has seen since start or the last reset.
    pub fn stats(&self) -> SandboxStats {
        self.shared.lock().stats.clone()
    }

    /// The store in id order, each member as saved (plaintext) with its `id` and
    /// `db_modify_time`: the truth, whatever the answers showed.
    pub fn members(&self) -> Vec<Value> {
        self.shared.lock().store.records()
    }

    /// The stored member with this mobile.
    pub fn member_by_mobile(&self, mobile: &str) -> Option<Value> {
        self.shared.lock().store.record_by_mobile(mobile)
    }

    /// The switches in force.
    pub fn behaviour(&self) -> Behaviour {
        self.shared.lock().behaviour.clone()
    }

    /// Changes the switches (the rate-limit windows start afresh).
    pub fn set_behaviour(&self, behaviour: Behaviour) {
        let mut state = self.shared.lock();
        state.behaviour = behaviour;
        state.budget.clear();
        state.token_limit.clear();
    }

    /// The points adjustments applied, in order.
    pub fn points_applied(&self) -> Vec<Value> {
        self.shared.lock().points.applied().to_vec()
    }

    /// Business calls that reached the account's budget, oldest first.
    pub fn arrivals(&self) -> Vec<Arrival> {
        self.shared.lock().arrivals.iter().copied().collect()
    }

    /// Replaces the app secret, as Kingdee's rotation does: tokens issued under the old one
    /// then fail with 1030002006, and a client must re-authorize.
    pub fn rotate_app_secret(&self, new_secret: &str) {
        self.shared.lock().tokens.rotate(new_secret);
    }

    /// Makes every token issued so far expired (4011), to exercise token renewal.
    pub fn expire_tokens(&self) {
        self.shared.lock().tokens.expire_all();
    }

    /// Empty store, zero counters, original app secret and switches, no faults, and the
    /// clock offset and latency of the options. Issued tokens are kept.
    pub fn reset(&self) {
        self.shared.reset();
    }

    /// Adds a fault rule after the pending ones.
    ///
    /// # Panics
    ///
    /// On a rule that cannot be served (see [`Sandbox::try_inject`]): a mistake in the test.
    pub fn inject(&self, rule: FaultRule) {
        if let Err(why) = self.try_inject(rule) {
            panic!("sandbox fault rule refused: {why}");
        }
    }

    /// Adds a fault rule after the pending ones, or says why it cannot be served (`times` 0,
    /// a control path, a status that cannot carry a body, gateway errcode 0, ...).
    pub fn try_inject(&self, rule: FaultRule) -> Result<(), String> {
        rule.check()?;
        self.shared.lock().faults.add([rule]);
        Ok(())
    }

    /// Removes every pending fault rule.
    pub fn clear_faults(&self) {
        self.shared.lock().faults.clear();
    }

    /// The pending fault rules, in matching order, `times` being what is left of each.
    pub fn faults(&self) -> Vec<FaultRule> {
        self.shared.lock().faults.list()
    }

    /// The sandbox clock runs this many ms off the machine's (negative = behind): used for the
    /// timestamp window, token expiry, the `Date` header and modify times. A client whose
    /// clock is 10 minutes fast is emulated by `set_clock_offset_ms(-600_000)`.
    pub fn set_clock_offset_ms(&self, offset_ms: i64) {
        self.shared.clock.set_offset_ms(offset_ms);
    }

    /// Every app-token issued so far, oldest first (tests search logs for them). Kept across
    /// [`Sandbox::reset`]; the oldest are forgotten beyond 10,000.
    pub fn issued_tokens(&self) -> Vec<String> {
        self.shared.lock().tokens.list()
    }

    /// Extra latency added to every business call that is processed, before processing,
    /// e.g. 20 ms for throughput benchmarks.
    pub fn set_latency_ms(&self, ms: u64) {
        self.shared.set_latency_ms(ms);
    }

    /// Stops accepting, closes every connection and joins the threads; the port is free after.
    pub fn shutdown(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        self.shared.stop();
        let handle = self
            .accept_thread
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        let Some(handle) = handle else { return };
        // The accept loop blocks in accept(); a connection of our own wakes it. Retry a while
        // in case a connect is lost, then give up rather than hang the caller.
        for _ in 0..500 {
            if handle.is_finished() {
                break;
            }
            let _ = TcpStream::connect_timeout(&self.addr, Duration::from_millis(200));
            thread::sleep(Duration::from_millis(10));
        }
        if handle.is_finished() {
            let _ = handle.join();
        }
        if let Some(ca) = &self.shared.ca_file {
            tls::remove_ca(ca);
        }
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        self.stop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sandbox_is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<Sandbox>();
    }
}
