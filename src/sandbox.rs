//! A local emulator of the Kingdee JDY open-API gateway (the "sandbox"), feature `sandbox`.
//!
//! Tests of this crate, and integrators without Kingdee credentials, run against it over real
//! HTTP on loopback. It makes the checks the real gateway makes, in the same order, and answers
//! with the same codes and statuses, so that a client which passes here is right against Kingdee.
//!
//! The socket is ours on purpose (std `TcpListener` + `httparse`, one thread per connection,
//! HTTP/1.1 keep-alive): fault injection works at the byte level, so every request goes through
//! one hook, `Shared::handle`, whose `Outcome` can be an answer, "close without answering" or
//! a streamed oversized answer (see "Fault injection" below).
//!
//! # Choices where Kingdee's behaviour is not known from public sources
//!
//! Each is marked "Unknown upstream" in the code.
//!
//! - Routing comes before authentication: an unknown path answers 519/5001 and a wrong method on
//!   a known path 519/5002 before any signature check (API gateways route first, then run the
//!   route's auth). The status line of a 519 reads `HTTP/1.1 519 Unknown`.
//! - The English and Chinese texts of gateway rejections are ours; only the codes are Kingdee's.
//! - A repeated header: the first occurrence counts.
//! - `X-Api-Nonce` must be 1 to 20 ASCII digits, value 1..=u64::MAX; `X-Api-TimeStamp` ASCII
//!   digits only (no sign, no spaces inside).
//! - Authorization with a missing or unknown `outerInstanceId`: HTTP 200, errcode 1030002001.
//!   The two rows carry `status` as a JSON number (0 expired, 1 valid).
//! - Token call with a missing or unknown `app_key`: HTTP 200, errcode 1030002002. A wrong
//!   `app_signature`: HTTP 200, errcode 1030002006 "app secret check failed".
//! - `app-token` and `access_token` are 32 random hex characters; `uid` is `sandbox-uid`. The
//!   token endpoint is not rate limited (yet).
//! - A token belongs to the app secret it was issued under: after `rotate_app_secret` it answers
//!   519/1030002006 on business paths (before the router check); rotating back to the same
//!   secret revives it. `reset` keeps issued tokens.
//! - A wrong or missing `X-GW-Router-Addr` answers 519/4012 ("no permission"); the real code is
//!   unknown. The value is compared exactly (a trailing `/` is wrong).
//! - Save: `Content-Type` is not checked. Body errors are HTTP 200, errcode 2000002000, with a
//!   Chinese description naming the first broken field (`手机号(mobile)不能为空`). Known string
//!   fields must be strings (null is refused), `label` an array of strings or null; blank
//!   (whitespace-only) `mobile`/`name` count as empty. Code values, dates and the mobile format
//!   are not checked. Unknown fields (including `id`) are ignored and not stored.
//! - Save of an existing mobile (exact match) updates that member and keeps its id: fields in the
//!   body overwrite, fields absent from it keep their stored value; `db_modify_time` is renewed.
//!   The answer's `custom_no` and `enable` are `""` when the member never had them.
//! - Detail: `id` wins over `mobile` when both are given; an empty value counts as absent; not
//!   found is success with `data: null`; neither parameter is errcode 2000002000.
//! - List: `page`/`page_size` that are not positive integers are errcode 2000002000; a
//!   `page_size` above 100 is capped and the answer reports 100. Rows are full members.
//!   `start_modified`/`end_modified` (inclusive) accept epoch milliseconds or
//!   `YYYY-MM-DD[ HH:MM:SS]` in UTC+8; other formats are ignored.
//! - HTTP level: a body needs `Content-Length` (none means empty); `Transfer-Encoding` answers
//!   411; more than 2 MiB answers 413; anything unparsable 400. These count in `rejections` as
//!   `http_400`, `http_411`, `http_413`.
//! - Counters count every request routed to an endpoint, rejected or not. `/__sandbox/*` control
//!   calls are not counted at all.
//!
//! # Fault injection
//!
//! A client must retry only when a request certainly took no effect, and look a member up
//! before saving again after an ambiguous failure. [`Sandbox::inject`] (or
//! `POST /__sandbox/faults`) makes the next matching requests fail as networks and gateways
//! fail, so that tests can provoke each case. A [`FaultRule`] in JSON:
//!
//! ```json
//! {"path": "/jdy/v2/ls/member", "method": "POST", "times": 1,
//!  "fault": {"kind": "status", "status": 503}}
//! ```
//!
//! `path` (exact, no query) and `method` (any case) default to "any"; `times` (default 1) is
//! how many requests the rule affects before it is removed. Rules are tried in insertion order
//! against every request to a Kingdee path, known endpoint or not, never `/__sandbox/*`. The
//! request is read whole and counted (`requests` and its endpoint's counter) first; the fault
//! then applies before any gateway check, so it hits correctly signed requests too. Each firing
//! counts in `faults_fired`; injected answers are not counted in `rejections` (rejections made
//! by the normal handling of an `after_processing` fault are).
//!
//! "Processed" below means the normal handling ran (it may itself reject the request) and its
//! effects stand: a processed save is in `members()` and `saves_by_mobile` whatever the client
//! was told.
//!
//! | `kind` | processed | what the client gets |
//! | --- | --- | --- |
//! | `status` | if `after_processing` | `status` with `body`, served as JSON if it parses as JSON, else `text/html`; default body a short nginx-style HTML page |
//! | `gateway` | if `after_processing` | 519 with the gateway body `{"errcode", "description", "description_cn"}` |
//! | `rate_limited` | no | 429, `Retry-After: 1`, `{"errcode": 429, "description": "too many requests", "description_cn": ..}` |
//! | `drop_before_processing` | no | the connection closes without an answer |
//! | `drop_after_processing` | yes | the connection closes without an answer |
//! | `delay` | yes | the normal answer, `ms` later; the wait is before processing, or after it when `after_processing` |
//! | `not_json` | if `after_processing` | a `text/html` page with `status` (default 200) |
//! | `oversized` | yes | 200, `{"errcode":0,"description":"success","data":{"pad":"xxx…"}}` of exactly `bytes` bytes (never less than that envelope, 55 bytes), streamed; the connection closes after it |
//!
//! Choices (documented guesses, not Kingdee's known behaviour):
//!
//! - The 429 body shape and its errcode 429 are a guess: Kingdee's rate-limit answer is not
//!   publicly documented beyond the status.
//! - Gateway texts for 5000 and 5003-5007 are ours, like the other gateway texts.
//! - `oversized` answers success, so the request is processed first (the answer must not claim
//!   a save that did not happen). Its body carries no member fields.
//! - A wait (a `delay` before processing, or the latency below) watches the connection: when
//!   the client closes it during the wait the request is abandoned, not processed. So a client
//!   that times out on a before-processing delay has certainly not saved, and one that times
//!   out on an after-processing delay certainly has; tests stay deterministic as long as the
//!   client gives up at least ~100 ms before the wait ends. A client that half-closes its
//!   sending side while waiting for the answer counts as gone.
//! - Waits sleep in steps of at most 50 ms without holding the state lock, end at shutdown,
//!   and are cut to one day.
//! - Rules are checked when injected: `times` at least 1, `path` starting with `/` (no query,
//!   not a control path), `method` a plain token, `status` within 200..=999 and not 204 or 304
//!   (those cannot carry a body), gateway `errcode` not 0, unknown keys refused.
//!   [`Sandbox::inject`] panics on a bad rule, [`Sandbox::try_inject`] returns the reason.
//!
//! # Clock and latency
//!
//! The sandbox clock runs [`Sandbox::set_clock_offset_ms`] off the machine's; it serves the
//! timestamp window, token issue and expiry, the `Date` header of every answer,
//! `db_modify_time` and the list's time filters. [`Sandbox::set_latency_ms`] delays every
//! member call (save, detail, list) that is processed, before processing. Both start from
//! [`SandboxOptions`], and [`Sandbox::reset`] restores the values given there (0 by default).
//!
//! # HTTP controls
//!
//! Unsigned, for tests in other languages running `jdy-member sandbox`. Bad bodies answer 400
//! `{"ok": false, "error": "<what is wrong>"}`, a wrong method 405, an unknown name 404.
//!
//! | control | body | answer |
//! | --- | --- | --- |
//! | `GET /__sandbox/stats` | | [`SandboxStats`] |
//! | `GET /__sandbox/members` | | array of stored members, id order |
//! | `GET /__sandbox/config` | | `{"direct": {..}, "outer": {..}}` library configurations |
//! | `POST /__sandbox/reset` | | `{"ok": true}` |
//! | `POST /__sandbox/expire_tokens` | | `{"ok": true, "expired": n}` |
//! | `POST /__sandbox/rotate_app_secret` | `{"app_secret": "s"}` | `{"ok": true}` |
//! | `POST /__sandbox/faults` | one rule, or an array of rules (all or none are added) | `{"ok": true, "added": n, "pending": n}` |
//! | `GET /__sandbox/faults` | | array of pending rules, `times` = what is left |
//! | `DELETE /__sandbox/faults` | | `{"ok": true, "cleared": n}` |
//! | `POST /__sandbox/clock` | `{"offset_ms": n}` (may be negative) | `{"ok": true, "offset_ms": n}` |
//! | `GET /__sandbox/tokens` | | array of issued app-tokens, oldest first |
//! | `POST /__sandbox/latency` | `{"ms": n}` | `{"ok": true, "ms": n}` |

use crate::signing;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, HashMap};
use std::io::{self, ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

pub const SANDBOX_CLIENT_ID: &str = "sandbox-client-id";
pub const SANDBOX_CLIENT_SECRET: &str = "sandbox-client-secret-not-real";
pub const SANDBOX_OUTER_INSTANCE_ID: &str = "sandbox-outer-instance";
pub const SANDBOX_APP_KEY: &str = "sandbox-app-key";
pub const SANDBOX_APP_SECRET: &str = "sandbox-app-secret-not-real";
pub const SANDBOX_DOMAIN: &str = "https://sandbox.jdy.invalid";

/// The expired authorization row: different key, secret and domain, so that a client that
/// takes the first row instead of the valid one fails visibly.
const EXPIRED_APP_KEY: &str = "sandbox-app-key-expired";
const EXPIRED_APP_SECRET: &str = "sandbox-app-secret-expired-not-real";
const EXPIRED_DOMAIN: &str = "https://expired.sandbox.jdy.invalid";
const ACCOUNT_NAME: &str = "沙箱测试账套";

const AUTHORIZE_PATH: &str = "/jdyconnector/app_management/push_app_authorize";
const TOKEN_PATH: &str = "/jdyconnector/app_management/kingdee_auth_token";
const MEMBER_PATH: &str = "/jdy/v2/ls/member";
const DETAIL_PATH: &str = "/jdy/v2/ls/member_detail";
const CONTROL_PREFIX: &str = "/__sandbox/";

/// The first member id, taken from the seed's answer example (19 digits, like Kingdee's).
const FIRST_MEMBER_ID: u64 = 1_534_104_111_400_644_608;
/// Whole request (head and body) limit.
const MAX_REQUEST_BYTES: usize = 2 * 1024 * 1024;
const MAX_HEADERS: usize = 100;
const MAX_PAGE_SIZE: u64 = 100;
const DEFAULT_PAGE_SIZE: u64 = 10;
/// The end of a wait slept precisely rather than spent in a tick-granular socket timeout.
const TICK_SLACK: Duration = Duration::from_millis(10);
/// How often a blocked read wakes up to look at the stop flag.
const POLL_INTERVAL: Duration = Duration::from_millis(50);
/// A connection silent this long is closed, so idle threads do not pile up.
const IDLE_TIMEOUT: Duration = Duration::from_secs(30);
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);
/// After an error answer the rest of the request is read and discarded for a while, so the
/// client sees the answer instead of a reset.
const LINGER: Duration = Duration::from_secs(2);
const LINGER_MAX_BYTES: usize = 8 * 1024 * 1024;
/// Open connections beyond this are closed at once, so a connection flood cannot exhaust
/// threads; far above what a test's connection pool uses.
const MAX_CONNECTIONS: usize = 512;
/// Bound on remembered tokens, so a token loop cannot grow memory without limit.
const MAX_TOKENS: usize = 10_000;
/// Longest wait a delay or the latency makes (longer ones are cut to this).
const MAX_WAIT_MS: u64 = 24 * 60 * 60 * 1000;
/// Chunk of an oversized answer's padding, written at a time.
const PAD_CHUNK: usize = 64 * 1024;
/// The oversized answer around its padding.
const OVERSIZED_HEAD: &str = r#"{"errcode":0,"description":"success","data":{"pad":""#;
const OVERSIZED_TAIL: &str = r#""}}"#;

const ERR_AUTH_VERSION: u64 = 4001;
const ERR_CLIENT_ID: u64 = 4002;
const ERR_TIMESTAMP: u64 = 4006;
const ERR_SIGN_HEADERS: u64 = 4007;
const ERR_SIGNATURE: u64 = 4008;
const ERR_TOKEN_EMPTY: u64 = 4009;
const ERR_TOKEN_INVALID: u64 = 4010;
const ERR_TOKEN_EXPIRED: u64 = 4011;
const ERR_NO_PERMISSION: u64 = 4012;
const ERR_GATEWAY_INTERNAL: u64 = 5000;
const ERR_API_NOT_FOUND: u64 = 5001;
const ERR_METHOD: u64 = 5002;
const ERR_UNAVAILABLE: u64 = 5003;
const ERR_GATEWAY_TIMEOUT: u64 = 5004;
const ERR_CANCELLED: u64 = 5005;
const ERR_CIRCUIT_OPEN: u64 = 5006;
const ERR_OVERLOADED: u64 = 5007;
/// Unknown upstream: our errcode in the (guessed) body of a 429 answer.
const ERR_RATE_LIMITED: u64 = 429;
const ERR_APP_SECRET: u64 = 1_030_002_006;
/// Unknown upstream: our code for an unknown `outerInstanceId`.
const ERR_NOT_AUTHORIZED: u64 = 1_030_002_001;
/// Unknown upstream: our code for an unknown `app_key`.
const ERR_APP_KEY: u64 = 1_030_002_002;
const ERR_SYSTEM: u64 = 2_000_002_000;

/// The member fields of the save spec with their Chinese names (used in error descriptions).
const MEMBER_FIELDS: &[(&str, &str)] = &[
    ("mobile", "手机号"),
    ("name", "姓名"),
    ("address", "行政区域"),
    ("birthday", "生日"),
    ("custom_no", "自定义卡号"),
    ("customer", "关联客户"),
    ("detail_address", "详细地址"),
    ("enable", "状态"),
    ("end_date", "有效结束日期"),
    ("is_delete", "是否删除"),
    ("join_way", "入会方式"),
    ("label", "标签"),
    ("level", "会员级别"),
    ("mbcard_id", "入会推荐人会员卡"),
    ("period", "有效期管理"),
    ("referrere_mp", "入会业务员"),
    ("remark", "备注"),
    ("sale_shop", "消费门店"),
    ("sex_group", "性别"),
    ("shop", "开卡门店"),
    ("source", "会员来源"),
    ("start_date", "有效开始日期"),
];

/// How to start a sandbox.
#[derive(Clone, Debug)]
pub struct SandboxOptions {
    /// Port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// Lifetime of an issued app-token (Kingdee: 24 hours).
    pub token_ttl_ms: u64,
    /// Accepted distance between `X-Api-TimeStamp` and the sandbox clock (Kingdee: 5 minutes).
    pub timestamp_window_ms: u64,
    /// Extra latency of every processed member call (save, detail, list); see
    /// [`Sandbox::set_latency_ms`].
    pub latency_ms: u64,
    /// How far the sandbox clock runs off the machine's; see [`Sandbox::set_clock_offset_ms`].
    pub clock_offset_ms: i64,
}

impl Default for SandboxOptions {
    fn default() -> Self {
        SandboxOptions {
            port: 0,
            token_ttl_ms: 24 * 60 * 60 * 1000,
            timestamp_window_ms: 300_000,
            latency_ms: 0,
            clock_offset_ms: 0,
        }
    }
}

/// What the sandbox has seen since start or the last reset.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct SandboxStats {
    /// Every request to a Kingdee path (control paths excluded), including malformed ones.
    pub requests: u64,
    pub authorize_calls: u64,
    pub token_calls: u64,
    pub save_calls: u64,
    pub detail_calls: u64,
    pub list_calls: u64,
    /// Non-zero errcode (as a string) -> count; HTTP-level failures as `http_<status>`.
    pub rejections: BTreeMap<String, u64>,
    /// Successful saves per mobile: 2 or more means the same member was saved again. A save
    /// processed under a fault counts even if its answer was dropped or replaced.
    pub saves_by_mobile: BTreeMap<String, u64>,
    /// Requests a [`FaultRule`] applied to.
    pub faults_fired: u64,
}

/// A failure to inject into the sandbox's answer to a request (see the module docs for which
/// ones let the request take effect).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Fault {
    /// Answer with this HTTP status and body (default body: a short HTML page) instead of a
    /// normal answer. A body that parses as JSON is served as JSON, any other as `text/html`.
    Status {
        status: u16,
        #[serde(default)]
        body: Option<String>,
        #[serde(default)]
        after_processing: bool,
    },
    /// Answer HTTP 519 with the gateway JSON for `errcode` (as the real gateway does), e.g.
    /// 5000 internal error or 5004 timeout.
    Gateway {
        errcode: u64,
        #[serde(default)]
        after_processing: bool,
    },
    /// HTTP 429 with a JSON body and a `Retry-After: 1` header (body shape is a documented
    /// guess), without processing.
    RateLimited,
    /// Read the whole request, then close the connection without processing or answering.
    DropBeforeProcessing,
    /// Process the request fully (a save takes effect), then close without answering.
    DropAfterProcessing,
    /// Wait `ms` before answering (after processing when `after_processing`, else before).
    /// The request is always processed, unless the client closes the connection during a wait
    /// before processing (then it is abandoned).
    Delay {
        ms: u64,
        #[serde(default)]
        after_processing: bool,
    },
    /// Answer with a non-JSON body (`text/html`) and this status (default 200); the request is
    /// processed only when `after_processing`.
    NotJson {
        #[serde(default)]
        status: Option<u16>,
        #[serde(default)]
        after_processing: bool,
    },
    /// Process the request, then answer 200 with a valid JSON success body of exactly `bytes`
    /// bytes (`{"errcode":0,"description":"success","data":{"pad":"xxxx..."}}`, at least 55),
    /// streamed, and close the connection.
    Oversized { bytes: u64 },
}

fn one() -> u32 {
    1
}

/// Which requests a [`Fault`] applies to, and how many times.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultRule {
    /// Kingdee path to match exactly (no query), e.g. "/jdy/v2/ls/member"; None = every
    /// Kingdee path (never `/__sandbox/*`).
    #[serde(default)]
    pub path: Option<String>,
    /// "GET"/"POST" (any case); None = any.
    #[serde(default)]
    pub method: Option<String>,
    /// How many matching requests it affects, then it is removed (default 1).
    #[serde(default = "one")]
    pub times: u32,
    pub fault: Fault,
}

impl FaultRule {
    /// Once, on any Kingdee path and method.
    pub fn new(fault: Fault) -> FaultRule {
        FaultRule {
            path: None,
            method: None,
            times: 1,
            fault,
        }
    }

    /// Once, on one method and path, e.g. `FaultRule::on("POST", "/jdy/v2/ls/member", ..)`.
    pub fn on(method: &str, path: &str, fault: Fault) -> FaultRule {
        FaultRule {
            path: Some(path.to_string()),
            method: Some(method.to_string()),
            ..FaultRule::new(fault)
        }
    }

    /// The same rule for `times` matching requests.
    pub fn repeat(self, times: u32) -> FaultRule {
        FaultRule { times, ..self }
    }

    /// Why the rule cannot be served, if it cannot.
    fn check(&self) -> Result<(), String> {
        if self.times == 0 {
            return Err("`times` must be at least 1".into());
        }
        if let Some(path) = &self.path {
            if !path.starts_with('/') || path.contains(['?', '#']) {
                return Err(format!(
                    "`path` must be a path starting with `/`, without query: {path:?}"
                ));
            }
            if path.starts_with(CONTROL_PREFIX) || path == "/__sandbox" {
                return Err(format!(
                    "`path` {path:?} is a sandbox control path; faults apply to Kingdee paths only"
                ));
            }
        }
        if let Some(method) = &self.method {
            if method.is_empty() || !method.bytes().all(|b| b.is_ascii_alphabetic()) {
                return Err(format!(
                    "`method` must be like \"GET\" or \"POST\": {method:?}"
                ));
            }
        }
        let status = match &self.fault {
            Fault::Status { status, .. } => Some(*status),
            Fault::NotJson { status, .. } => *status,
            _ => None,
        };
        if let Some(status) = status {
            if !(200..=999).contains(&status) || status == 204 || status == 304 {
                return Err(format!(
                    "`status` {status} cannot carry a body: use 200..=999, not 204 or 304"
                ));
            }
        }
        if let Fault::Gateway { errcode: 0, .. } = self.fault {
            return Err("a gateway fault needs a non-zero `errcode`, e.g. 5000".into());
        }
        Ok(())
    }

    fn matches(&self, req: &Request) -> bool {
        self.path.as_ref().is_none_or(|p| *p == req.path)
            && self
                .method
                .as_ref()
                .is_none_or(|m| m.eq_ignore_ascii_case(&req.method))
    }
}

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
        let shared = Arc::new(Shared {
            clock_offset_ms: AtomicI64::new(options.clock_offset_ms),
            latency_ms: AtomicU64::new(options.latency_ms),
            options,
            base_url: format!("http://{addr}"),
            state: Mutex::new(State::new()),
            stopping: AtomicBool::new(false),
        });
        let accept_shared = Arc::clone(&shared);
        let handle = thread::Builder::new()
            .name("jdy-sandbox-accept".into())
            .spawn(move || accept_loop(accept_shared, listener))?;
        Ok(Sandbox {
            shared,
            addr,
            accept_thread: Mutex::new(Some(handle)),
        })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        self.shared.base_url.clone()
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Library configuration, direct mode (app key and the current app secret given).
    pub fn client_config(&self) -> Value {
        self.shared.client_config()
    }

    /// Library configuration, authorization mode (app key and secret fetched by the client).
    pub fn client_config_outer(&self) -> Value {
        self.shared.client_config_outer()
    }

    pub fn stats(&self) -> SandboxStats {
        self.shared.lock().stats.clone()
    }

    /// The store in id order, each member with its `id` and `db_modify_time`.
    pub fn members(&self) -> Vec<Value> {
        self.shared.lock().member_values()
    }

    pub fn member_by_mobile(&self, mobile: &str) -> Option<Value> {
        let state = self.shared.lock();
        state
            .member_id_by_mobile(mobile)
            .and_then(|id| state.members.get(&id))
            .map(StoredMember::to_value)
    }

    /// Replaces the app secret, as Kingdee's rotation does: tokens issued under the old one
    /// then fail with 1030002006, and a client must re-authorize.
    pub fn rotate_app_secret(&self, new_secret: &str) {
        self.shared.lock().app_secret = new_secret.to_string();
    }

    /// Makes every token issued so far expired (4011), to exercise token renewal.
    pub fn expire_tokens(&self) {
        self.shared.lock().expire_tokens();
    }

    /// Empty store, zero counters, original app secret, no faults, and the clock offset and
    /// latency given in the options. Issued tokens are kept.
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
        self.shared.lock().faults.push(rule);
        Ok(())
    }

    /// Removes every pending fault rule.
    pub fn clear_faults(&self) {
        self.shared.lock().faults.clear();
    }

    /// The pending fault rules, in matching order, `times` being what is left of each.
    pub fn faults(&self) -> Vec<FaultRule> {
        self.shared.lock().faults.clone()
    }

    /// The sandbox clock runs this many ms off the machine's (negative = behind): used for the
    /// timestamp window, token expiry, the `Date` header and db_modify_time. A client whose
    /// clock is 10 minutes fast is emulated by set_clock_offset_ms(-600_000).
    pub fn set_clock_offset_ms(&self, offset_ms: i64) {
        self.shared
            .clock_offset_ms
            .store(offset_ms, Ordering::SeqCst);
    }

    /// Every app-token issued so far, oldest first (tests search logs for them). Kept across
    /// [`Sandbox::reset`]; the oldest are forgotten beyond 10,000.
    pub fn issued_tokens(&self) -> Vec<String> {
        self.shared.lock().issued_tokens()
    }

    /// Extra latency added to every business call (member save/detail/list) that is
    /// processed, before processing, e.g. 20 ms for throughput benchmarks.
    pub fn set_latency_ms(&self, ms: u64) {
        self.shared.latency_ms.store(ms, Ordering::SeqCst);
    }

    /// Stops accepting, closes every connection and joins the threads; the port is free after.
    pub fn shutdown(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        self.shared.stopping.store(true, Ordering::SeqCst);
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
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        self.stop();
    }
}

/// What the threads share.
struct Shared {
    options: SandboxOptions,
    base_url: String,
    state: Mutex<State>,
    stopping: AtomicBool,
    clock_offset_ms: AtomicI64,
    latency_ms: AtomicU64,
}

/// A token as issued, remembered to tell invalid from expired from rotated.
struct IssuedToken {
    expires_ms: u64,
    app_secret: String,
    serial: u64,
}

struct StoredMember {
    modify_ms: u64,
    /// Every stored field plus `id` and `db_modify_time`.
    record: Map<String, Value>,
}

impl StoredMember {
    fn to_value(&self) -> Value {
        Value::Object(self.record.clone())
    }

    fn text(&self, field: &str) -> Option<&str> {
        self.record.get(field).and_then(Value::as_str)
    }
}

struct State {
    members: BTreeMap<u64, StoredMember>,
    by_mobile: HashMap<String, u64>,
    next_id: u64,
    app_secret: String,
    tokens: HashMap<String, IssuedToken>,
    token_serial: u64,
    stats: SandboxStats,
    /// Pending fault rules, in matching order.
    faults: Vec<FaultRule>,
}

impl State {
    fn new() -> State {
        State {
            members: BTreeMap::new(),
            by_mobile: HashMap::new(),
            next_id: FIRST_MEMBER_ID,
            app_secret: SANDBOX_APP_SECRET.to_string(),
            tokens: HashMap::new(),
            token_serial: 0,
            stats: SandboxStats::default(),
            faults: Vec::new(),
        }
    }

    fn reset(&mut self) {
        self.members.clear();
        self.by_mobile.clear();
        self.next_id = FIRST_MEMBER_ID;
        self.app_secret = SANDBOX_APP_SECRET.to_string();
        self.stats = SandboxStats::default();
        self.faults.clear();
    }

    fn issued_tokens(&self) -> Vec<String> {
        let mut tokens: Vec<(&String, u64)> =
            self.tokens.iter().map(|(k, t)| (k, t.serial)).collect();
        tokens.sort_by_key(|&(_, serial)| serial);
        tokens.into_iter().map(|(k, _)| k.clone()).collect()
    }

    /// The first pending rule matching the request, counted down (removed when spent).
    fn take_fault(&mut self, req: &Request) -> Option<Fault> {
        let index = self.faults.iter().position(|rule| rule.matches(req))?;
        let rule = self.faults.get_mut(index)?;
        rule.times = rule.times.saturating_sub(1);
        let fault = rule.fault.clone();
        if rule.times == 0 {
            self.faults.remove(index);
        }
        self.stats.faults_fired += 1;
        Some(fault)
    }

    fn expire_tokens(&mut self) -> usize {
        for token in self.tokens.values_mut() {
            token.expires_ms = 0;
        }
        self.tokens.len()
    }

    fn member_values(&self) -> Vec<Value> {
        self.members.values().map(StoredMember::to_value).collect()
    }

    fn member_id_by_mobile(&self, mobile: &str) -> Option<u64> {
        self.by_mobile.get(mobile).copied()
    }

    fn remember_token(&mut self, token: String, expires_ms: u64) {
        if self.tokens.len() >= MAX_TOKENS {
            let oldest = self
                .tokens
                .iter()
                .min_by_key(|(_, t)| t.serial)
                .map(|(k, _)| k.clone());
            if let Some(oldest) = oldest {
                self.tokens.remove(&oldest);
            }
        }
        self.token_serial += 1;
        let issued = IssuedToken {
            expires_ms,
            app_secret: self.app_secret.clone(),
            serial: self.token_serial,
        };
        self.tokens.insert(token, issued);
    }
}

/// One parsed HTTP request, as the handler sees it.
struct Request {
    method: String,
    path: String,
    /// The raw query string exactly as on the wire (signatures are checked against it).
    query: String,
    /// Lower-case names.
    headers: Vec<(String, Vec<u8>)>,
    body: Vec<u8>,
    keep_alive: bool,
}

impl Request {
    /// First occurrence of a header (name lower-case), trimmed; None if absent or not UTF-8.
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .and_then(|(_, v)| std::str::from_utf8(v).ok())
            .map(str::trim)
    }
}

const JSON_TYPE: &str = "application/json; charset=utf-8";
const HTML_TYPE: &str = "text/html; charset=utf-8";

/// One answer: JSON, unless a fault asks for something else.
struct Response {
    status: u16,
    content_type: &'static str,
    /// Headers beyond Date, Content-Type, Content-Length and Connection.
    extra_headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
    /// Close the connection after this answer.
    close: bool,
}

impl Response {
    fn json(status: u16, body: &Value) -> Response {
        Response {
            status,
            content_type: JSON_TYPE,
            extra_headers: Vec::new(),
            body: serde_json::to_vec(body).unwrap_or_else(|_| b"{}".to_vec()),
            close: false,
        }
    }

    fn html(status: u16, body: String) -> Response {
        Response {
            status,
            content_type: HTML_TYPE,
            extra_headers: Vec::new(),
            body: body.into_bytes(),
            close: false,
        }
    }

    /// A `status` fault: the given body (JSON if it parses as JSON), or an HTML error page as
    /// a proxy in front of the gateway would send.
    fn status_fault(status: u16, body: Option<String>) -> Response {
        match body {
            Some(body) if serde_json::from_str::<Value>(&body).is_ok() => Response {
                body: body.into_bytes(),
                ..Response::json(status, &Value::Null)
            },
            Some(body) => Response::html(status, body),
            None => {
                let title = format!("{status} {}", reason_phrase(status));
                Response::html(
                    status,
                    format!(
                        "<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
                    ),
                )
            }
        }
    }

    /// A `not_json` fault: a page such as a captive portal or a proxy's login page.
    fn not_json(status: u16) -> Response {
        Response::html(
            status,
            "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>金蝶精斗云</title></head>\n<body><p>jdy sandbox: this page is not JSON</p></body></html>\n".to_string(),
        )
    }

    /// A `rate_limited` fault. Unknown upstream: the body shape and its errcode.
    fn rate_limited() -> Response {
        let mut response = Response::json(
            429,
            &json!({
                "errcode": ERR_RATE_LIMITED,
                "description": "too many requests",
                "description_cn": "请求过于频繁,请稍后再试",
            }),
        );
        response.extra_headers.push(("Retry-After", "1".into()));
        response
    }

    /// An HTTP-level failure (not a Kingdee answer): the connection closes after it.
    fn http_error(status: u16, message: &str) -> Response {
        Response {
            close: true,
            ..Response::json(status, &json!({"status": status, "error": message}))
        }
    }
}

/// What the handler decided for one request: the fault hook.
enum Outcome {
    Respond(Response),
    /// Close the connection without answering.
    Close,
    /// Answer 200 with a JSON body of this many bytes, streamed, then close.
    Oversized(u64),
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Route {
    Authorize,
    Token,
    Save,
    List,
    Detail,
}

impl Route {
    /// Unknown upstream: routing happens before authentication.
    fn find(method: &str, path: &str) -> Result<Route, u64> {
        let route = match (path, method) {
            (AUTHORIZE_PATH, "POST") => Route::Authorize,
            (TOKEN_PATH, "GET") => Route::Token,
            (MEMBER_PATH, "POST") => Route::Save,
            (MEMBER_PATH, "GET") => Route::List,
            (DETAIL_PATH, "GET") => Route::Detail,
            (AUTHORIZE_PATH | TOKEN_PATH | MEMBER_PATH | DETAIL_PATH, _) => return Err(ERR_METHOD),
            _ => return Err(ERR_API_NOT_FOUND),
        };
        Ok(route)
    }

    /// The member calls, which the latency applies to.
    fn is_business(self) -> bool {
        matches!(self, Route::Save | Route::List | Route::Detail)
    }

    fn count(self, stats: &mut SandboxStats) {
        let counter = match self {
            Route::Authorize => &mut stats.authorize_calls,
            Route::Token => &mut stats.token_calls,
            Route::Save => &mut stats.save_calls,
            Route::List => &mut stats.list_calls,
            Route::Detail => &mut stats.detail_calls,
        };
        *counter += 1;
    }
}

impl Shared {
    /// The state, even if a thread panicked while holding it (the data stays consistent
    /// enough for a test double, and one bad request must not take the sandbox down).
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn is_stopping(&self) -> bool {
        self.stopping.load(Ordering::SeqCst)
    }

    /// The sandbox clock (a later clock-offset fault shifts it here).
    fn now_ms(&self) -> u64 {
        shift_ms(now_ms(), self.clock_offset_ms.load(Ordering::SeqCst))
    }

    fn reset(&self) {
        self.lock().reset();
        self.clock_offset_ms
            .store(self.options.clock_offset_ms, Ordering::SeqCst);
        self.latency_ms
            .store(self.options.latency_ms, Ordering::SeqCst);
    }

    /// Waits `ms` in short steps without holding the state lock. False when the sandbox is
    /// stopping or the client has closed the connection meanwhile (its answer is not wanted).
    fn wait(&self, ms: u64, conn: Option<&TcpStream>) -> bool {
        let start = Instant::now();
        let total = Duration::from_millis(ms.min(MAX_WAIT_MS));
        let mut probe = [0u8; 1];
        let mut gone = false;
        loop {
            if self.is_stopping() {
                gone = true;
                break;
            }
            let elapsed = start.elapsed();
            if elapsed >= total {
                break;
            }
            let left = total - elapsed;
            // Socket read timeouts run on the kernel tick (4 ms at HZ=250, 10 ms at HZ=100)
            // and overshoot by up to a tick: a 20 ms peek returns after 24 ms. The last
            // stretch is slept with the precise timer of thread::sleep instead.
            let (Some(conn), true) = (conn, left > TICK_SLACK) else {
                thread::sleep(left.min(POLL_INTERVAL));
                continue;
            };
            let step = (left - TICK_SLACK).min(POLL_INTERVAL);
            // Peeking waits up to the read timeout and tells a closed connection (EOF, reset)
            // from a silent one; bytes already waiting (a pipelined request) say nothing.
            if conn.set_read_timeout(Some(step)).is_err() {
                thread::sleep(step);
                continue;
            }
            match conn.peek(&mut probe) {
                Ok(0) => gone = true,
                Ok(_) => thread::sleep(step),
                Err(e)
                    if matches!(
                        e.kind(),
                        ErrorKind::WouldBlock | ErrorKind::TimedOut | ErrorKind::Interrupted
                    ) => {}
                Err(_) => gone = true,
            }
            if gone {
                break;
            }
        }
        if let Some(conn) = conn {
            let _ = conn.set_read_timeout(Some(POLL_INTERVAL));
        }
        !gone
    }

    fn client_config(&self) -> Value {
        let secret = self.lock().app_secret.clone();
        json!({
            "client_id": SANDBOX_CLIENT_ID,
            "client_secret": SANDBOX_CLIENT_SECRET,
            "app_key": SANDBOX_APP_KEY,
            "app_secret": secret,
            "domain": SANDBOX_DOMAIN,
            "base_url": self.base_url,
        })
    }

    fn client_config_outer(&self) -> Value {
        json!({
            "client_id": SANDBOX_CLIENT_ID,
            "client_secret": SANDBOX_CLIENT_SECRET,
            "outer_instance_id": SANDBOX_OUTER_INSTANCE_ID,
            "base_url": self.base_url,
        })
    }

    /// Every request passes here: the place where fault injection decides per request.
    /// `conn` is the client's connection, watched while a wait runs.
    fn handle(&self, req: &Request, conn: Option<&TcpStream>) -> Outcome {
        if self.is_stopping() {
            return Outcome::Close;
        }
        if req.path.starts_with(CONTROL_PREFIX) {
            return Outcome::Respond(self.control(req));
        }
        let route = Route::find(&req.method, &req.path);
        let fault = {
            let mut state = self.lock();
            state.stats.requests += 1;
            if let Ok(route) = route {
                route.count(&mut state.stats);
            }
            state.take_fault(req)
        };
        let process = || self.process(req, route, conn);
        let Some(fault) = fault else {
            return process().map_or(Outcome::Close, Outcome::Respond);
        };
        // For the faults that replace the answer: process first if asked, then answer.
        let replace = |after_processing: bool, response: Response| {
            if after_processing && process().is_none() {
                return Outcome::Close;
            }
            Outcome::Respond(response)
        };
        match fault {
            Fault::Status {
                status,
                body,
                after_processing,
            } => replace(after_processing, Response::status_fault(status, body)),
            Fault::Gateway {
                errcode,
                after_processing,
            } => replace(
                after_processing,
                Response::json(519, &gateway_body(errcode)),
            ),
            Fault::RateLimited => Outcome::Respond(Response::rate_limited()),
            Fault::NotJson {
                status,
                after_processing,
            } => replace(after_processing, Response::not_json(status.unwrap_or(200))),
            Fault::DropBeforeProcessing => Outcome::Close,
            Fault::DropAfterProcessing => {
                let _ = process();
                Outcome::Close
            }
            Fault::Delay {
                ms,
                after_processing: false,
            } => {
                if !self.wait(ms, conn) {
                    return Outcome::Close;
                }
                process().map_or(Outcome::Close, Outcome::Respond)
            }
            Fault::Delay {
                ms,
                after_processing: true,
            } => match process() {
                Some(response) if self.wait(ms, conn) => Outcome::Respond(response),
                _ => Outcome::Close,
            },
            Fault::Oversized { bytes } => match process() {
                Some(_) => Outcome::Oversized(bytes),
                None => Outcome::Close,
            },
        }
    }

    /// The normal handling, after the latency of member calls; None when the client left or
    /// the sandbox stops during that wait (the request is then not processed).
    fn process(
        &self,
        req: &Request,
        route: Result<Route, u64>,
        conn: Option<&TcpStream>,
    ) -> Option<Response> {
        let latency = self.latency_ms.load(Ordering::SeqCst);
        if latency > 0 && route.is_ok_and(Route::is_business) && !self.wait(latency, conn) {
            return None;
        }
        Some(self.kingdee(req, route))
    }

    fn count_http_failure(&self, status: u16) {
        let mut state = self.lock();
        state.stats.requests += 1;
        *state
            .stats
            .rejections
            .entry(format!("http_{status}"))
            .or_insert(0) += 1;
    }

    /// A Kingdee-path request, already counted by `handle`.
    fn kingdee(&self, req: &Request, route: Result<Route, u64>) -> Response {
        let now = self.now_ms();
        let mut guard = self.lock();
        let state = &mut *guard;
        let route = match route {
            Ok(route) => route,
            Err(code) => return gateway_reject(state, code),
        };
        if let Err(code) = self.check_gateway(req, now) {
            return gateway_reject(state, code);
        }
        match route {
            Route::Authorize => authorize(state, req),
            Route::Token => self.issue_token(state, req, now),
            Route::Save => with_app_token(state, req, now, |s| save(s, req, now)),
            Route::List => with_app_token(state, req, now, |s| list(s, req)),
            Route::Detail => with_app_token(state, req, now, |s| detail(s, req)),
        }
    }

    /// The five gateway checks, in Kingdee's order.
    fn check_gateway(&self, req: &Request, now: u64) -> Result<(), u64> {
        if req.header("x-api-auth-version") != Some(signing::AUTH_VERSION) {
            return Err(ERR_AUTH_VERSION);
        }
        if req.header("x-api-clientid") != Some(SANDBOX_CLIENT_ID) {
            return Err(ERR_CLIENT_ID);
        }
        if !sign_headers_valid(req.header("x-api-signheaders").unwrap_or("")) {
            return Err(ERR_SIGN_HEADERS);
        }
        let timestamp = req.header("x-api-timestamp").unwrap_or("");
        let Some(ts) = parse_digits(timestamp, 19) else {
            return Err(ERR_TIMESTAMP);
        };
        if ts.abs_diff(now) > self.options.timestamp_window_ms {
            return Err(ERR_TIMESTAMP);
        }
        let nonce = req.header("x-api-nonce").unwrap_or("");
        if !matches!(parse_digits(nonce, 20), Some(n) if n > 0) {
            return Err(ERR_SIGNATURE);
        }
        let to_sign = signing::string_to_sign(
            &req.method,
            &req.path,
            &signing::signed_line_from_wire(&req.query),
            nonce,
            timestamp,
        );
        let expected = signing::signature(SANDBOX_CLIENT_SECRET, &to_sign);
        let given = req.header("x-api-signature").unwrap_or("");
        if !constant_time_eq(given.as_bytes(), expected.as_bytes()) {
            return Err(ERR_SIGNATURE);
        }
        Ok(())
    }

    fn issue_token(&self, state: &mut State, req: &Request, now: u64) -> Response {
        let params = query_params(&req.query);
        if params.get("app_key").map(String::as_str) != Some(SANDBOX_APP_KEY) {
            return business_error(state, ERR_APP_KEY, "app_key不存在或未授权");
        }
        let given = params.get("app_signature").map_or("", String::as_str);
        let expected = signing::app_signature(SANDBOX_APP_KEY, &state.app_secret);
        if !constant_time_eq(given.as_bytes(), expected.as_bytes()) {
            return reply(
                state,
                200,
                json!({"errcode": ERR_APP_SECRET, "description": "app secret check failed", "data": null}),
            );
        }
        let token = random_token();
        let expires = now.saturating_add(self.options.token_ttl_ms);
        state.remember_token(token.clone(), expires);
        success(
            state,
            json!({
                "app-token": token,
                "access_token": random_token(),
                "expires": expires,
                "uid": "sandbox-uid",
            }),
        )
    }

    /// The unsigned `/__sandbox/*` controls, for tests in other languages.
    fn control(&self, req: &Request) -> Response {
        let name = req.path.strip_prefix(CONTROL_PREFIX).unwrap_or("");
        let ok = |body: Value| Response::json(200, &body);
        match (req.method.as_str(), name) {
            ("GET", "stats") => {
                ok(serde_json::to_value(self.lock().stats.clone()).unwrap_or(Value::Null))
            }
            ("GET", "members") => ok(Value::Array(self.lock().member_values())),
            ("GET", "config") => ok(json!({
                "direct": self.client_config(),
                "outer": self.client_config_outer(),
            })),
            ("POST", "reset") => {
                self.reset();
                ok(json!({"ok": true}))
            }
            ("POST", "expire_tokens") => {
                let expired = self.lock().expire_tokens();
                ok(json!({"ok": true, "expired": expired}))
            }
            ("POST", "rotate_app_secret") => {
                let secret = serde_json::from_slice::<Value>(&req.body)
                    .ok()
                    .and_then(|v| {
                        v.get("app_secret")
                            .and_then(Value::as_str)
                            .map(String::from)
                    });
                match secret {
                    Some(secret) if !secret.is_empty() => {
                        self.lock().app_secret = secret;
                        ok(json!({"ok": true}))
                    }
                    _ => Response::json(
                        400,
                        &json!({"ok": false, "error": "body must be {\"app_secret\": \"<non-empty string>\"}"}),
                    ),
                }
            }
            ("POST", "faults") => match parse_fault_rules(&req.body) {
                Ok(rules) => {
                    let added = rules.len();
                    let mut state = self.lock();
                    state.faults.extend(rules);
                    ok(json!({"ok": true, "added": added, "pending": state.faults.len()}))
                }
                Err(why) => bad_control_body(&why),
            },
            ("GET", "faults") => {
                ok(serde_json::to_value(&self.lock().faults).unwrap_or(Value::Null))
            }
            ("DELETE", "faults") => {
                let mut state = self.lock();
                let cleared = state.faults.len();
                state.faults.clear();
                ok(json!({"ok": true, "cleared": cleared}))
            }
            ("POST", "clock") => {
                match parse_control::<ClockBody>(&req.body, r#"{"offset_ms": <integer>}"#) {
                    Ok(ClockBody { offset_ms }) => {
                        self.clock_offset_ms.store(offset_ms, Ordering::SeqCst);
                        ok(json!({"ok": true, "offset_ms": offset_ms}))
                    }
                    Err(why) => bad_control_body(&why),
                }
            }
            ("POST", "latency") => {
                match parse_control::<LatencyBody>(&req.body, r#"{"ms": <non-negative integer>}"#) {
                    Ok(LatencyBody { ms }) => {
                        self.latency_ms.store(ms, Ordering::SeqCst);
                        ok(json!({"ok": true, "ms": ms}))
                    }
                    Err(why) => bad_control_body(&why),
                }
            }
            ("GET", "tokens") => ok(json!(self.lock().issued_tokens())),
            (
                _,
                "stats" | "members" | "config" | "reset" | "expire_tokens" | "rotate_app_secret"
                | "faults" | "clock" | "tokens" | "latency",
            ) => Response::json(
                405,
                &json!({"ok": false, "error": "method not allowed on this control path"}),
            ),
            _ => Response::json(
                404,
                &json!({"ok": false, "error": "unknown sandbox control path"}),
            ),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClockBody {
    offset_ms: i64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LatencyBody {
    ms: u64,
}

fn bad_control_body(why: &str) -> Response {
    Response::json(400, &json!({"ok": false, "error": why}))
}

/// A control body of type `T`, or what is wrong with it (`shape` shows the expected body).
fn parse_control<T: serde::de::DeserializeOwned>(body: &[u8], shape: &str) -> Result<T, String> {
    serde_json::from_slice(body).map_err(|e| format!("{e}; the body must be {shape}"))
}

/// The body of `POST /__sandbox/faults`: one rule or an array, every rule checked.
fn parse_fault_rules(body: &[u8]) -> Result<Vec<FaultRule>, String> {
    const SHAPE: &str = r#"a rule {"fault": {"kind": "status", "status": 503}, "path": "/jdy/v2/ls/member", "method": "POST", "times": 1} or an array of rules"#;
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| format!("the body is not JSON ({e}); it must be {SHAPE}"))?;
    let (items, single) = match value {
        Value::Array(items) => (items, false),
        other => (vec![other], true),
    };
    let mut rules = Vec::with_capacity(items.len());
    for (index, item) in items.into_iter().enumerate() {
        let which = if single {
            "fault rule".to_string()
        } else {
            format!("fault rule {index}")
        };
        let rule: FaultRule =
            serde_json::from_value(item).map_err(|e| format!("{which}: {e}; expected {SHAPE}"))?;
        rule.check().map_err(|e| format!("{which}: {e}"))?;
        rules.push(rule);
    }
    Ok(rules)
}

/// Builds an answer and counts a non-zero errcode as a rejection.
fn reply(state: &mut State, status: u16, body: Value) -> Response {
    if let Some(code) = body.get("errcode").and_then(Value::as_u64) {
        if code != 0 {
            *state.stats.rejections.entry(code.to_string()).or_insert(0) += 1;
        }
    }
    Response::json(status, &body)
}

fn success(state: &mut State, data: Value) -> Response {
    reply(
        state,
        200,
        json!({"errcode": 0, "description": "success", "data": data}),
    )
}

fn business_error(state: &mut State, code: u64, description: &str) -> Response {
    reply(
        state,
        200,
        json!({"errcode": code, "description": description, "data": null}),
    )
}

/// A gateway rejection: HTTP 519 with Kingdee's three-key body.
fn gateway_reject(state: &mut State, code: u64) -> Response {
    reply(state, 519, gateway_body(code))
}

/// Kingdee's three-key gateway body for `code`.
fn gateway_body(code: u64) -> Value {
    let (english, chinese) = match code {
        ERR_AUTH_VERSION => ("auth version invalid, expected 2.0", "认证版本无效"),
        ERR_CLIENT_ID => ("client id missing or invalid", "ClientID缺失或无效"),
        ERR_TIMESTAMP => ("timestamp invalid or expired", "时间戳无效或已过期"),
        ERR_SIGN_HEADERS => ("sign headers invalid", "签名头无效"),
        ERR_SIGNATURE => ("signature invalid", "签名无效"),
        ERR_TOKEN_EMPTY => ("app-token is empty", "app-token为空"),
        ERR_TOKEN_INVALID => ("app-token invalid", "app-token无效"),
        ERR_TOKEN_EXPIRED => ("app-token expired", "app-token已过期"),
        ERR_NO_PERMISSION => ("no permission for this api", "无权限访问该接口"),
        ERR_API_NOT_FOUND => ("api not found", "接口不存在"),
        ERR_METHOD => ("method not allowed", "请求方法不允许"),
        ERR_APP_SECRET => ("app secret check failed", "应用密钥校验失败"),
        ERR_GATEWAY_INTERNAL => ("gateway internal error", "网关内部错误"),
        ERR_UNAVAILABLE => ("service unavailable", "服务不可用"),
        ERR_GATEWAY_TIMEOUT => ("service timeout", "服务调用超时"),
        ERR_CANCELLED => ("request cancelled", "请求已取消"),
        ERR_CIRCUIT_OPEN => ("circuit breaker open", "服务熔断"),
        ERR_OVERLOADED => ("service overloaded", "服务过载"),
        _ => ("gateway error", "网关错误"),
    };
    json!({"errcode": code, "description": english, "description_cn": chinese})
}

/// Business paths: the token and router checks, then the endpoint.
fn with_app_token(
    state: &mut State,
    req: &Request,
    now: u64,
    endpoint: impl FnOnce(&mut State) -> Response,
) -> Response {
    match check_app_token(state, req, now) {
        Ok(()) => endpoint(state),
        Err(code) => gateway_reject(state, code),
    }
}

fn check_app_token(state: &State, req: &Request, now: u64) -> Result<(), u64> {
    let token = match req.header("app-token") {
        Some(token) if !token.is_empty() => token,
        _ => return Err(ERR_TOKEN_EMPTY),
    };
    let Some(issued) = state.tokens.get(token) else {
        return Err(ERR_TOKEN_INVALID);
    };
    if now >= issued.expires_ms {
        return Err(ERR_TOKEN_EXPIRED);
    }
    if issued.app_secret != state.app_secret {
        return Err(ERR_APP_SECRET);
    }
    if req.header("x-gw-router-addr") != Some(SANDBOX_DOMAIN) {
        return Err(ERR_NO_PERMISSION);
    }
    Ok(())
}

fn authorize(state: &mut State, req: &Request) -> Response {
    let params = query_params(&req.query);
    if params.get("outerInstanceId").map(String::as_str) != Some(SANDBOX_OUTER_INSTANCE_ID) {
        return business_error(
            state,
            ERR_NOT_AUTHORIZED,
            "外部实例未授权或不存在(outerInstanceId)",
        );
    }
    let expired = json!({
        "appKey": EXPIRED_APP_KEY,
        "appSecret": EXPIRED_APP_SECRET,
        "domain": EXPIRED_DOMAIN,
        "accountId": "sandbox-account-expired",
        "accountName": format!("{ACCOUNT_NAME}(已过期)"),
        "clientId": SANDBOX_CLIENT_ID,
        "outerInstanceId": SANDBOX_OUTER_INSTANCE_ID,
        "status": 0,
    });
    let valid = json!({
        "appKey": SANDBOX_APP_KEY,
        "appSecret": state.app_secret,
        "domain": SANDBOX_DOMAIN,
        "accountId": "sandbox-account",
        "accountName": ACCOUNT_NAME,
        "clientId": SANDBOX_CLIENT_ID,
        "outerInstanceId": SANDBOX_OUTER_INSTANCE_ID,
        "status": 1,
    });
    success(state, json!([expired, valid]))
}

/// Checks a save body against the seed's field rules; returns the known fields to store.
fn validate_member(body: &[u8]) -> Result<Map<String, Value>, String> {
    let value: Value =
        serde_json::from_slice(body).map_err(|_| "请求体不是合法的JSON".to_string())?;
    let Value::Object(object) = value else {
        return Err("请求体必须是JSON对象".to_string());
    };
    let mut fields = Map::new();
    for &(field, label) in MEMBER_FIELDS {
        let required = field == "mobile" || field == "name";
        match (field, object.get(field)) {
            (_, None) | (_, Some(Value::Null)) if required => {
                return Err(format!("{label}({field})不能为空"))
            }
            (_, None) => {}
            ("label", Some(value @ Value::Null)) => {
                fields.insert(field.to_string(), value.clone());
            }
            ("label", Some(value @ Value::Array(items))) if items.iter().all(Value::is_string) => {
                fields.insert(field.to_string(), value.clone());
            }
            ("label", Some(_)) => return Err(format!("{label}({field})必须是字符串数组或null")),
            (_, Some(Value::String(text))) => {
                if required && text.trim().is_empty() {
                    return Err(format!("{label}({field})不能为空"));
                }
                fields.insert(field.to_string(), Value::String(text.clone()));
            }
            (_, Some(_)) => return Err(format!("{label}({field})必须是字符串")),
        }
    }
    Ok(fields)
}

fn save(state: &mut State, req: &Request, now: u64) -> Response {
    let fields = match validate_member(&req.body) {
        Ok(fields) => fields,
        Err(description) => return business_error(state, ERR_SYSTEM, &description),
    };
    let mobile = fields
        .get("mobile")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let modify_time = china_datetime(now);
    let existing = state
        .member_id_by_mobile(&mobile)
        .filter(|id| state.members.contains_key(id));
    let id = match existing {
        Some(id) => id,
        None => {
            let id = state.next_id;
            state.next_id += 1;
            state.by_mobile.insert(mobile.clone(), id);
            let mut record = Map::new();
            record.insert("id".into(), Value::String(id.to_string()));
            state.members.insert(
                id,
                StoredMember {
                    modify_ms: now,
                    record,
                },
            );
            id
        }
    };
    let mut data = Value::Null;
    if let Some(member) = state.members.get_mut(&id) {
        member.record.extend(fields);
        member
            .record
            .insert("db_modify_time".into(), Value::String(modify_time));
        member.modify_ms = now;
        let text = |field: &str| Value::String(member.text(field).unwrap_or("").to_string());
        data = json!({
            "id": text("id"),
            "custom_no": text("custom_no"),
            "db_modify_time": text("db_modify_time"),
            "enable": text("enable"),
            "mobile": text("mobile"),
            "name": text("name"),
        });
    }
    *state.stats.saves_by_mobile.entry(mobile).or_insert(0) += 1;
    success(state, data)
}

fn detail(state: &mut State, req: &Request) -> Response {
    let params = query_params(&req.query);
    let given = |key: &str| params.get(key).filter(|v| !v.is_empty());
    let id = if let Some(id) = given("id") {
        id.parse::<u64>().ok()
    } else if let Some(mobile) = given("mobile") {
        state.member_id_by_mobile(mobile)
    } else {
        return business_error(state, ERR_SYSTEM, "id和mobile不能同时为空");
    };
    let data = id
        .and_then(|id| state.members.get(&id))
        .map_or(Value::Null, StoredMember::to_value);
    success(state, data)
}

/// A `start_modified`/`end_modified` bound.
enum TimeBound {
    EpochMs(u64),
    /// `YYYY-MM-DD HH:MM:SS` in UTC+8, compared as text.
    Text(String),
}

impl TimeBound {
    fn parse(text: &str, end: bool) -> Option<TimeBound> {
        if let Some(ms) = parse_digits(text, 19) {
            return Some(TimeBound::EpochMs(ms));
        }
        let bytes = text.as_bytes();
        let date_like = bytes.len() >= 10
            && bytes[4] == b'-'
            && bytes[7] == b'-'
            && bytes[..4]
                .iter()
                .chain(&bytes[5..7])
                .chain(&bytes[8..10])
                .all(u8::is_ascii_digit);
        match bytes.len() {
            10 if date_like => Some(TimeBound::Text(format!(
                "{text} {}",
                if end { "23:59:59" } else { "00:00:00" }
            ))),
            19 if date_like => Some(TimeBound::Text(text.to_string())),
            _ => None,
        }
    }

    fn allows(&self, member: &StoredMember, end: bool) -> bool {
        match self {
            TimeBound::EpochMs(ms) if end => member.modify_ms <= *ms,
            TimeBound::EpochMs(ms) => member.modify_ms >= *ms,
            TimeBound::Text(bound) => {
                let time = member.text("db_modify_time").unwrap_or("");
                if end {
                    time <= bound.as_str()
                } else {
                    time >= bound.as_str()
                }
            }
        }
    }
}

fn list(state: &mut State, req: &Request) -> Response {
    let params = query_params(&req.query);
    let given = |key: &str| {
        params
            .get(key)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    };
    let positive = |key: &str, default: u64| match given(key) {
        None => Ok(default),
        Some(text) => match parse_digits(text, 19) {
            Some(n) if n > 0 => Ok(n),
            _ => Err(format!("{key}必须是正整数")),
        },
    };
    let (page, page_size) = match (
        positive("page", 1),
        positive("page_size", DEFAULT_PAGE_SIZE),
    ) {
        (Ok(page), Ok(size)) => (page, size.min(MAX_PAGE_SIZE)),
        (Err(description), _) | (_, Err(description)) => {
            return business_error(state, ERR_SYSTEM, &description)
        }
    };
    let id = given("id");
    let number = given("number");
    let name = given("name");
    let enable = given("enable");
    let start = given("start_modified").and_then(|t| TimeBound::parse(t, false));
    let end = given("end_modified").and_then(|t| TimeBound::parse(t, true));
    let matches: Vec<&StoredMember> = state
        .members
        .values()
        .filter(|m| id.is_none_or(|id| m.text("id") == Some(id)))
        .filter(|m| number.is_none_or(|n| m.text("custom_no") == Some(n)))
        .filter(|m| name.is_none_or(|n| m.text("name").is_some_and(|v| v.contains(n))))
        .filter(|m| enable.is_none_or(|e| m.text("enable") == Some(e)))
        .filter(|m| start.as_ref().is_none_or(|b| b.allows(m, false)))
        .filter(|m| end.as_ref().is_none_or(|b| b.allows(m, true)))
        .collect();
    let count = matches.len() as u64;
    let skip = usize::try_from((page - 1).saturating_mul(page_size)).unwrap_or(usize::MAX);
    let rows: Vec<Value> = matches
        .iter()
        .skip(skip)
        .take(usize::try_from(page_size).unwrap_or(usize::MAX))
        .map(|m| m.to_value())
        .collect();
    success(
        state,
        json!({
            "count": count,
            "page": page,
            "page_size": page_size,
            "total_page": count.div_ceil(page_size),
            "rows": rows,
        }),
    )
}

/// `X-Api-SignHeaders` must name exactly the timestamp and the nonce, any order and case.
fn sign_headers_valid(value: &str) -> bool {
    let mut names: Vec<String> = value
        .split(',')
        .map(|n| n.trim().to_ascii_lowercase())
        .collect();
    names.sort();
    names == ["x-api-nonce", "x-api-timestamp"]
}

/// ASCII digits only (no sign, no spaces), at most `max_digits`, fitting a u64.
fn parse_digits(text: &str, max_digits: usize) -> Option<u64> {
    if text.is_empty() || text.len() > max_digits || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

/// Form-decoded query parameters; the first occurrence of a key wins.
fn query_params(query: &str) -> HashMap<String, String> {
    let mut params = HashMap::new();
    for (key, value) in form_urlencoded::parse(query.as_bytes()) {
        params
            .entry(key.into_owned())
            .or_insert_with(|| value.into_owned());
    }
    params
}

fn random_token() -> String {
    format!("{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..))
}

/// `ms` moved by a signed offset, saturating.
fn shift_ms(ms: u64, offset_ms: i64) -> u64 {
    if offset_ms >= 0 {
        ms.saturating_add(offset_ms.unsigned_abs())
    } else {
        ms.saturating_sub(offset_ms.unsigned_abs())
    }
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

fn datetime_utc(ms: u64) -> time::OffsetDateTime {
    let secs = i64::try_from(ms / 1000).unwrap_or(0);
    time::OffsetDateTime::from_unix_timestamp(secs).unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
}

/// `YYYY-MM-DD HH:MM:SS` in UTC+8, Kingdee's `db_modify_time` form.
fn china_datetime(ms: u64) -> String {
    let t = datetime_utc(ms).to_offset(time::macros::offset!(+8));
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// RFC 7231 IMF-fixdate, formatted by hand (the `time` crate's formatting feature is off).
fn http_date(ms: u64) -> String {
    const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let t = datetime_utc(ms);
    let day = DAYS
        .get(usize::from(t.weekday().number_days_from_monday()))
        .unwrap_or(&"Mon");
    let month = MONTHS
        .get(usize::from(u8::from(t.month())).saturating_sub(1))
        .unwrap_or(&"Jan");
    format!(
        "{day}, {:02} {month} {:04} {:02}:{:02}:{:02} GMT",
        t.day(),
        t.year(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

fn reason_phrase(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        411 => "Length Required",
        401 => "Unauthorized",
        403 => "Forbidden",
        408 => "Request Timeout",
        413 => "Content Too Large",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        // Unknown upstream: Kingdee's reason phrase for its non-standard 519.
        _ => "Unknown",
    }
}

fn accept_loop(shared: Arc<Shared>, listener: TcpListener) {
    let mut workers: Vec<JoinHandle<()>> = Vec::new();
    for incoming in listener.incoming() {
        if shared.is_stopping() {
            break;
        }
        match incoming {
            Ok(stream) => {
                workers.retain(|w| !w.is_finished());
                if workers.len() >= MAX_CONNECTIONS {
                    drop(stream);
                    continue;
                }
                let conn_shared = Arc::clone(&shared);
                let spawned = thread::Builder::new()
                    .name("jdy-sandbox-conn".into())
                    .spawn(move || serve_connection(conn_shared, stream));
                if let Ok(worker) = spawned {
                    workers.push(worker);
                }
            }
            // Out of descriptors and the like: do not spin.
            Err(_) => thread::sleep(Duration::from_millis(10)),
        }
    }
    drop(listener);
    for worker in workers {
        let _ = worker.join();
    }
}

enum ReadOutcome {
    Request(Request),
    /// An HTTP-level failure: answer this status and close.
    Malformed(u16, &'static str),
    Closed,
}

fn serve_connection(shared: Arc<Shared>, mut stream: TcpStream) {
    let _ = stream.set_read_timeout(Some(POLL_INTERVAL));
    // Short, so that a write to a client that does not read still sees the stop flag;
    // `send_all` gives up after WRITE_TIMEOUT without progress.
    let _ = stream.set_write_timeout(Some(POLL_INTERVAL));
    let _ = stream.set_nodelay(true);
    let mut buf = Vec::new();
    loop {
        match read_request(&shared, &mut stream, &mut buf) {
            ReadOutcome::Closed => return,
            ReadOutcome::Malformed(status, why) => {
                shared.count_http_failure(status);
                let response = Response::http_error(status, why);
                if write_response(&shared, &mut stream, &response, false, true).is_ok() {
                    linger_close(&shared, &mut stream);
                }
                return;
            }
            ReadOutcome::Request(req) => {
                // A panic in a handler must not kill the connection thread silently.
                let outcome =
                    panic::catch_unwind(AssertUnwindSafe(|| shared.handle(&req, Some(&stream))))
                        .unwrap_or_else(|_| {
                            Outcome::Respond(Response::http_error(500, "sandbox internal error"))
                        });
                let head_only = req.method == "HEAD";
                match outcome {
                    Outcome::Close => return,
                    Outcome::Oversized(bytes) => {
                        let _ = write_oversized(&shared, &mut stream, bytes, head_only);
                        return;
                    }
                    Outcome::Respond(response) => {
                        let close = response.close || !req.keep_alive || shared.is_stopping();
                        if write_response(&shared, &mut stream, &response, head_only, close)
                            .is_err()
                            || close
                        {
                            return;
                        }
                    }
                }
            }
        }
    }
}

struct Head {
    method: String,
    target: String,
    version: u8,
    headers: Vec<(String, Vec<u8>)>,
    len: usize,
}

impl Head {
    fn has_token(&self, name: &str, token: &str) -> bool {
        self.headers
            .iter()
            .filter(|(n, _)| n == name)
            .filter_map(|(_, v)| std::str::from_utf8(v).ok())
            .flat_map(|v| v.split(','))
            .any(|t| t.trim().eq_ignore_ascii_case(token))
    }

    fn keep_alive(&self) -> bool {
        if self.version >= 1 {
            !self.has_token("connection", "close")
        } else {
            self.has_token("connection", "keep-alive")
        }
    }

    fn body_length(&self) -> Result<usize, (u16, &'static str)> {
        if self.headers.iter().any(|(n, _)| n == "transfer-encoding") {
            return Err((
                411,
                "Transfer-Encoding is not supported; send Content-Length",
            ));
        }
        let mut length: Option<usize> = None;
        for (_, value) in self.headers.iter().filter(|(n, _)| n == "content-length") {
            let text = std::str::from_utf8(value).unwrap_or("").trim();
            if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
                return Err((400, "invalid Content-Length"));
            }
            // Digits too many for usize: certainly too large.
            let value = text.parse::<usize>().unwrap_or(usize::MAX);
            if length.is_some_and(|previous| previous != value) {
                return Err((400, "conflicting Content-Length headers"));
            }
            length = Some(value);
        }
        Ok(length.unwrap_or(0))
    }
}

fn parse_head(buf: &[u8]) -> Result<Option<Head>, &'static str> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut parsed = httparse::Request::new(&mut headers);
    match parsed.parse(buf) {
        Ok(httparse::Status::Partial) => Ok(None),
        Ok(httparse::Status::Complete(len)) => {
            let (Some(method), Some(target), Some(version)) =
                (parsed.method, parsed.path, parsed.version)
            else {
                return Err("incomplete request line");
            };
            Ok(Some(Head {
                method: method.to_string(),
                target: target.to_string(),
                version,
                headers: parsed
                    .headers
                    .iter()
                    .filter(|h| !h.name.is_empty())
                    .map(|h| (h.name.to_ascii_lowercase(), h.value.to_vec()))
                    .collect(),
                len,
            }))
        }
        Err(httparse::Error::TooManyHeaders) => Err("too many headers"),
        Err(_) => Err("malformed HTTP request"),
    }
}

/// Path and raw query of a request target (origin form, or absolute form from a proxy).
fn split_target(target: &str) -> Option<(String, String)> {
    let origin = if target.starts_with('/') {
        target
    } else {
        let rest = target
            .strip_prefix("http://")
            .or_else(|| target.strip_prefix("https://"))?;
        rest.find('/').map_or("/", |i| &rest[i..])
    };
    let origin = origin.split('#').next().unwrap_or("");
    let (path, query) = origin.split_once('?').unwrap_or((origin, ""));
    Some((path.to_string(), query.to_string()))
}

/// Reads one request from the connection; `buf` keeps bytes of the next one (pipelining).
fn read_request(shared: &Shared, stream: &mut TcpStream, buf: &mut Vec<u8>) -> ReadOutcome {
    let mut last_activity = Instant::now();
    let mut head: Option<(Head, usize)> = None;
    let mut sent_continue = false;
    let mut chunk = [0u8; 16 * 1024];
    loop {
        if head.is_none() && !buf.is_empty() {
            match parse_head(buf) {
                Ok(Some(parsed)) => {
                    let body_len = match parsed.body_length() {
                        Ok(n) => n,
                        Err((status, why)) => return ReadOutcome::Malformed(status, why),
                    };
                    match parsed.len.checked_add(body_len) {
                        Some(total) if total <= MAX_REQUEST_BYTES => head = Some((parsed, total)),
                        _ => return ReadOutcome::Malformed(413, "request larger than 2 MiB"),
                    }
                }
                Ok(None) if buf.len() >= MAX_REQUEST_BYTES => {
                    return ReadOutcome::Malformed(413, "request larger than 2 MiB")
                }
                Ok(None) => {}
                Err(why) => return ReadOutcome::Malformed(400, why),
            }
        }
        if let Some((parsed, total)) = &head {
            if buf.len() >= *total {
                let Some((path, query)) = split_target(&parsed.target) else {
                    return ReadOutcome::Malformed(400, "unsupported request target");
                };
                let body = buf[parsed.len..*total].to_vec();
                buf.drain(..*total);
                return ReadOutcome::Request(Request {
                    method: parsed.method.clone(),
                    path,
                    query,
                    headers: parsed.headers.clone(),
                    body,
                    keep_alive: parsed.keep_alive(),
                });
            }
            if !sent_continue && parsed.has_token("expect", "100-continue") {
                sent_continue = true;
                if stream.write_all(b"HTTP/1.1 100 Continue\r\n\r\n").is_err() {
                    return ReadOutcome::Closed;
                }
            }
        }
        match stream.read(&mut chunk) {
            Ok(0) => return ReadOutcome::Closed,
            Ok(n) => {
                buf.extend_from_slice(&chunk[..n]);
                last_activity = Instant::now();
            }
            Err(e)
                if matches!(
                    e.kind(),
                    ErrorKind::WouldBlock | ErrorKind::TimedOut | ErrorKind::Interrupted
                ) =>
            {
                if shared.is_stopping() || last_activity.elapsed() >= IDLE_TIMEOUT {
                    return ReadOutcome::Closed;
                }
            }
            Err(_) => return ReadOutcome::Closed,
        }
    }
}

fn write_response(
    shared: &Shared,
    stream: &mut TcpStream,
    response: &Response,
    head_only: bool,
    close: bool,
) -> io::Result<()> {
    let mut head = format!(
        "HTTP/1.1 {} {}\r\nDate: {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: {}\r\n",
        response.status,
        reason_phrase(response.status),
        http_date(shared.now_ms()),
        response.content_type,
        response.body.len(),
        if close { "close" } else { "keep-alive" },
    );
    for (name, value) in &response.extra_headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    let mut bytes = head.into_bytes();
    if !head_only {
        bytes.extend_from_slice(&response.body);
    }
    send_all(shared, stream, &bytes)
}

/// A 200 JSON success answer of exactly `bytes` bytes (at least the envelope), written in
/// chunks so that a huge one is never built in memory; the connection closes after it.
fn write_oversized(
    shared: &Shared,
    stream: &mut TcpStream,
    bytes: u64,
    head_only: bool,
) -> io::Result<()> {
    let envelope = (OVERSIZED_HEAD.len() + OVERSIZED_TAIL.len()) as u64;
    let total = bytes.max(envelope);
    let head = format!(
        "HTTP/1.1 200 OK\r\nDate: {}\r\nContent-Type: {JSON_TYPE}\r\nContent-Length: {total}\r\nConnection: close\r\n\r\n",
        http_date(shared.now_ms()),
    );
    send_all(shared, stream, head.as_bytes())?;
    if head_only {
        return Ok(());
    }
    send_all(shared, stream, OVERSIZED_HEAD.as_bytes())?;
    let pad = [b'x'; PAD_CHUNK];
    let mut left = total - envelope;
    while left > 0 {
        let n = usize::try_from(left).map_or(PAD_CHUNK, |left| left.min(PAD_CHUNK));
        send_all(shared, stream, pad.get(..n).unwrap_or(&pad))?;
        left = left.saturating_sub(n as u64);
    }
    send_all(shared, stream, OVERSIZED_TAIL.as_bytes())
}

/// Writes everything, giving up when the sandbox stops or the client reads nothing for
/// WRITE_TIMEOUT (the socket's own timeout is short, so the stop flag is seen promptly).
fn send_all(shared: &Shared, stream: &mut TcpStream, mut bytes: &[u8]) -> io::Result<()> {
    let mut last_progress = Instant::now();
    while !bytes.is_empty() {
        match stream.write(bytes) {
            Ok(0) => return Err(ErrorKind::WriteZero.into()),
            Ok(n) => {
                bytes = bytes.get(n..).unwrap_or_default();
                last_progress = Instant::now();
            }
            Err(e)
                if matches!(
                    e.kind(),
                    ErrorKind::WouldBlock | ErrorKind::TimedOut | ErrorKind::Interrupted
                ) =>
            {
                if shared.is_stopping() || last_progress.elapsed() >= WRITE_TIMEOUT {
                    return Err(e);
                }
            }
            Err(e) => return Err(e),
        }
    }
    stream.flush()
}

/// Half-closes and discards what the client still sends, so it reads our answer instead of
/// a connection reset (closing with unread data makes the kernel send RST).
fn linger_close(shared: &Shared, stream: &mut TcpStream) {
    let _ = stream.shutdown(Shutdown::Write);
    let deadline = Instant::now() + LINGER;
    let mut drained = 0usize;
    let mut chunk = [0u8; 16 * 1024];
    while Instant::now() < deadline && drained < LINGER_MAX_BYTES && !shared.is_stopping() {
        match stream.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => drained += n,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(_) => break,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signing::{gateway_headers, new_nonce, Query};

    fn sandbox() -> Sandbox {
        Sandbox::start(SandboxOptions::default()).unwrap()
    }

    /// A raw HTTP/1.1 connection; `buf` keeps bytes past the last answer.
    struct Client {
        stream: TcpStream,
        buf: Vec<u8>,
    }

    #[derive(Debug)]
    struct Reply {
        status: u16,
        headers: Vec<(String, String)>,
        raw: Vec<u8>,
        json: Value,
    }

    impl Reply {
        fn header(&self, name: &str) -> Option<&str> {
            self.headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.as_str())
        }

        fn errcode(&self) -> u64 {
            self.json["errcode"].as_u64().unwrap()
        }

        /// Asserts a gateway rejection with its three-key body.
        fn assert_gateway(&self, code: u64) {
            assert_eq!(self.status, 519, "{self:?}");
            assert_eq!(self.errcode(), code, "{self:?}");
            let object = self.json.as_object().unwrap();
            assert_eq!(object.len(), 3, "{self:?}");
            assert!(object["description"].as_str().unwrap().is_ascii());
            assert!(!object["description_cn"].as_str().unwrap().is_empty());
        }
    }

    impl Client {
        fn new(sb: &Sandbox) -> Client {
            let stream = TcpStream::connect(("127.0.0.1", sb.port())).unwrap();
            stream
                .set_read_timeout(Some(Duration::from_secs(10)))
                .unwrap();
            Client {
                stream,
                buf: Vec::new(),
            }
        }

        fn send(&mut self, req: &Req) -> Reply {
            self.send_raw(&req.bytes())
        }

        fn send_raw(&mut self, bytes: &[u8]) -> Reply {
            self.stream.write_all(bytes).unwrap();
            self.read_reply()
        }

        fn read_more(&mut self) -> usize {
            let mut chunk = [0u8; 8192];
            let n = self.stream.read(&mut chunk).unwrap();
            self.buf.extend_from_slice(&chunk[..n]);
            n
        }

        fn read_reply(&mut self) -> Reply {
            loop {
                let mut headers = [httparse::EMPTY_HEADER; 32];
                let mut response = httparse::Response::new(&mut headers);
                if let httparse::Status::Complete(len) = response.parse(&self.buf).unwrap() {
                    let status = response.code.unwrap();
                    let headers: Vec<(String, String)> = response
                        .headers
                        .iter()
                        .map(|h| {
                            (
                                h.name.to_string(),
                                String::from_utf8(h.value.to_vec()).unwrap(),
                            )
                        })
                        .collect();
                    let length: usize = headers
                        .iter()
                        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
                        .unwrap()
                        .1
                        .parse()
                        .unwrap();
                    while self.buf.len() < len + length {
                        assert!(self.read_more() > 0, "connection closed mid-body");
                    }
                    let raw = self.buf[len..len + length].to_vec();
                    self.buf.drain(..len + length);
                    // Null for the non-JSON answers some faults give.
                    let json = serde_json::from_slice(&raw).unwrap_or(Value::Null);
                    return Reply {
                        status,
                        headers,
                        raw,
                        json,
                    };
                }
                assert!(self.read_more() > 0, "connection closed before an answer");
            }
        }

        /// True when the server has closed the connection.
        fn closed(&mut self) -> bool {
            let mut chunk = [0u8; 64];
            matches!(self.stream.read(&mut chunk), Ok(0) | Err(_))
        }
    }

    /// A request under construction; signed with the sandbox credentials by default.
    struct Req {
        method: String,
        path: String,
        query: String,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    }

    impl Req {
        fn unsigned(method: &str, path: &str) -> Req {
            Req {
                method: method.into(),
                path: path.into(),
                query: String::new(),
                headers: Vec::new(),
                body: Vec::new(),
            }
        }

        fn signed_at(method: &str, path: &str, params: &[(&str, &str)], ts: u64) -> Req {
            let query = Query::from_params(params);
            let headers = gateway_headers(
                SANDBOX_CLIENT_ID,
                SANDBOX_CLIENT_SECRET,
                method,
                path,
                &query,
                &new_nonce(),
                ts,
            );
            Req {
                query: query.wire,
                headers: headers
                    .iter()
                    .map(|(n, v)| (n.to_string(), v.clone()))
                    .collect(),
                ..Req::unsigned(method, path)
            }
        }

        fn signed(method: &str, path: &str, params: &[(&str, &str)]) -> Req {
            Req::signed_at(method, path, params, now_ms())
        }

        /// A signed business call with token and router headers.
        fn business(method: &str, path: &str, params: &[(&str, &str)], token: &str) -> Req {
            Req::signed(method, path, params)
                .set("app-token", token)
                .set("X-GW-Router-Addr", SANDBOX_DOMAIN)
        }

        fn set(mut self, name: &str, value: &str) -> Req {
            self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
            self.headers.push((name.into(), value.into()));
            self
        }

        fn remove(mut self, name: &str) -> Req {
            self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
            self
        }

        fn json(mut self, body: &Value) -> Req {
            self.body = serde_json::to_vec(body).unwrap();
            self.set("Content-Type", "application/json")
        }

        fn bytes(&self) -> Vec<u8> {
            let mut text = format!("{} {}", self.method, self.path);
            if !self.query.is_empty() {
                text.push('?');
                text.push_str(&self.query);
            }
            text.push_str(" HTTP/1.1\r\nHost: 127.0.0.1\r\n");
            for (name, value) in &self.headers {
                text.push_str(&format!("{name}: {value}\r\n"));
            }
            text.push_str(&format!("Content-Length: {}\r\n\r\n", self.body.len()));
            let mut bytes = text.into_bytes();
            bytes.extend_from_slice(&self.body);
            bytes
        }
    }

    fn token_request(app_key: &str, secret: &str) -> Req {
        let sig = signing::app_signature(app_key, secret);
        Req::signed(
            "GET",
            TOKEN_PATH,
            &[("app_key", app_key), ("app_signature", &sig)],
        )
    }

    fn fetch_token(sb: &Sandbox) -> String {
        let reply = Client::new(sb).send(&token_request(SANDBOX_APP_KEY, SANDBOX_APP_SECRET));
        assert_eq!(reply.status, 200, "{reply:?}");
        assert_eq!(reply.errcode(), 0, "{reply:?}");
        reply.json["data"]["app-token"]
            .as_str()
            .unwrap()
            .to_string()
    }

    fn member_a() -> Value {
        json!({
            "address": "410", "birthday": "2022-08-01", "custom_no": "1", "customer": "001",
            "detail_address": "XXX", "enable": "1", "end_date": "2022-01-01", "is_delete": "0",
            "join_way": "1", "label": null, "level": "1", "mbcard_id": "1",
            "mobile": "13333333333", "name": "会员A", "period": "1", "referrere_mp": "1",
            "remark": "备注", "sale_shop": "1", "sex_group": "1", "shop": "850693217107061760",
            "source": "1", "start_date": "2022-01-01"
        })
    }

    fn save_member(client: &mut Client, token: &str, member: &Value) -> Reply {
        client.send(&Req::business("POST", MEMBER_PATH, &[], token).json(member))
    }

    #[test]
    fn sandbox_is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<Sandbox>();
    }

    #[test]
    fn token_save_detail_list_round_trip() {
        let sb = sandbox();
        let token = fetch_token(&sb);
        let mut client = Client::new(&sb);

        let saved = save_member(&mut client, &token, &member_a());
        assert_eq!(saved.status, 200);
        assert_eq!(saved.json["errcode"], 0);
        assert_eq!(saved.json["description"], "success");
        let data = saved.json["data"].as_object().unwrap();
        let mut keys: Vec<&str> = data.keys().map(String::as_str).collect();
        keys.sort();
        assert_eq!(
            keys,
            [
                "custom_no",
                "db_modify_time",
                "enable",
                "id",
                "mobile",
                "name"
            ]
        );
        assert_eq!(data["id"], "1534104111400644608");
        assert_eq!(data["custom_no"], "1");
        assert_eq!(data["enable"], "1");
        assert_eq!(data["mobile"], "13333333333");
        assert_eq!(data["name"], "会员A");
        assert!(saved.raw.windows(7).any(|w| w == "会员A".as_bytes()));
        let time = data["db_modify_time"].as_str().unwrap();
        assert_eq!(time.len(), 19);
        assert_eq!(&time[4..5], "-");
        assert_eq!(&time[10..11], " ");
        let expected_time = china_datetime(now_ms());
        assert_eq!(&time[..13], &expected_time[..13]);

        let by_id = client.send(&Req::business(
            "GET",
            DETAIL_PATH,
            &[("id", "1534104111400644608")],
            &token,
        ));
        assert_eq!(by_id.errcode(), 0);
        let member = &by_id.json["data"];
        assert_eq!(member["name"], "会员A");
        assert_eq!(member["remark"], "备注");
        assert_eq!(member["shop"], "850693217107061760");
        assert_eq!(member["label"], Value::Null);
        assert_eq!(member["db_modify_time"], time);
        assert!(by_id.raw.windows(7).any(|w| w == "会员A".as_bytes()));

        let by_mobile = client.send(&Req::business(
            "GET",
            DETAIL_PATH,
            &[("mobile", "13333333333")],
            &token,
        ));
        assert_eq!(by_mobile.json["data"], by_id.json["data"]);

        let listed = client.send(&Req::business(
            "GET",
            MEMBER_PATH,
            &[("name", "会员")],
            &token,
        ));
        assert_eq!(listed.errcode(), 0);
        let page = &listed.json["data"];
        assert_eq!(page["count"], 1);
        assert_eq!(page["page"], 1);
        assert_eq!(page["page_size"], 10);
        assert_eq!(page["total_page"], 1);
        assert_eq!(page["rows"][0]["name"], "会员A");

        assert_eq!(sb.members().len(), 1);
        assert_eq!(
            sb.member_by_mobile("13333333333").unwrap()["id"],
            "1534104111400644608"
        );
        assert!(sb.member_by_mobile("10000000000").is_none());
    }

    #[test]
    fn token_answer_has_the_hyphenated_key_and_expiry() {
        let sb = sandbox();
        let before = now_ms();
        let reply = Client::new(&sb).send(&token_request(SANDBOX_APP_KEY, SANDBOX_APP_SECRET));
        let data = &reply.json["data"];
        assert_eq!(data["app-token"].as_str().unwrap().len(), 32);
        assert!(data["access_token"].is_string());
        assert!(data["uid"].is_string());
        let expires = data["expires"].as_u64().unwrap();
        let day = 24 * 60 * 60 * 1000;
        assert!(expires >= before + day && expires <= now_ms() + day);
    }

    #[test]
    fn authorization_returns_an_expired_and_a_valid_row() {
        let sb = sandbox();
        let mut client = Client::new(&sb);
        let reply = client.send(&Req::signed(
            "POST",
            AUTHORIZE_PATH,
            &[("outerInstanceId", SANDBOX_OUTER_INSTANCE_ID)],
        ));
        assert_eq!(reply.status, 200);
        assert_eq!(reply.errcode(), 0);
        let rows = reply.json["data"].as_array().unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0]["status"], 0);
        assert_ne!(rows[0]["appKey"], SANDBOX_APP_KEY);
        assert_ne!(rows[0]["appSecret"], SANDBOX_APP_SECRET);
        let valid = &rows[1];
        assert_eq!(valid["status"], 1);
        assert_eq!(valid["appKey"], SANDBOX_APP_KEY);
        assert_eq!(valid["appSecret"], SANDBOX_APP_SECRET);
        assert_eq!(valid["domain"], SANDBOX_DOMAIN);
        assert_eq!(valid["accountName"], "沙箱测试账套");
        assert_eq!(valid["clientId"], SANDBOX_CLIENT_ID);
        assert_eq!(valid["outerInstanceId"], SANDBOX_OUTER_INSTANCE_ID);
        assert!(valid["accountId"].is_string());

        sb.rotate_app_secret("rotated-secret");
        let reply = client.send(&Req::signed(
            "POST",
            AUTHORIZE_PATH,
            &[("outerInstanceId", SANDBOX_OUTER_INSTANCE_ID)],
        ));
        assert_eq!(reply.json["data"][1]["appSecret"], "rotated-secret");

        let wrong = client.send(&Req::signed(
            "POST",
            AUTHORIZE_PATH,
            &[("outerInstanceId", "someone-else")],
        ));
        assert_eq!(wrong.status, 200);
        assert_eq!(wrong.errcode(), ERR_NOT_AUTHORIZED);
        assert_eq!(wrong.json["data"], Value::Null);
        let missing = client.send(&Req::signed("POST", AUTHORIZE_PATH, &[]));
        assert_eq!(missing.errcode(), ERR_NOT_AUTHORIZED);
    }

    #[test]
    fn gateway_rejections_in_order() {
        let sb = sandbox();
        let mut c = Client::new(&sb);
        let token = || token_request(SANDBOX_APP_KEY, SANDBOX_APP_SECRET);

        c.send(&token().remove("X-Api-Auth-Version"))
            .assert_gateway(ERR_AUTH_VERSION);
        c.send(&token().set("X-Api-Auth-Version", "1.0"))
            .assert_gateway(ERR_AUTH_VERSION);
        c.send(&token().remove("X-Api-ClientID"))
            .assert_gateway(ERR_CLIENT_ID);
        c.send(&token().set("X-Api-ClientID", "205022"))
            .assert_gateway(ERR_CLIENT_ID);
        c.send(&token().set("X-Api-SignHeaders", "X-Api-TimeStamp"))
            .assert_gateway(ERR_SIGN_HEADERS);
        c.send(&token().set(
            "X-Api-SignHeaders",
            "X-Api-TimeStamp,X-Api-Nonce,X-Api-ClientID",
        ))
        .assert_gateway(ERR_SIGN_HEADERS);
        c.send(&token().remove("X-Api-SignHeaders"))
            .assert_gateway(ERR_SIGN_HEADERS);
        // Order and case of the list do not matter.
        let sig = signing::app_signature(SANDBOX_APP_KEY, SANDBOX_APP_SECRET);
        let ok = c.send(&token().set("x-api-signheaders", "x-api-nonce , X-API-TIMESTAMP"));
        assert_eq!(ok.status, 200, "{ok:?}");

        let stale = Req::signed_at(
            "GET",
            TOKEN_PATH,
            &[("app_key", SANDBOX_APP_KEY), ("app_signature", &sig)],
            now_ms() - 301_000,
        );
        c.send(&stale).assert_gateway(ERR_TIMESTAMP);
        let future = Req::signed_at(
            "GET",
            TOKEN_PATH,
            &[("app_key", SANDBOX_APP_KEY), ("app_signature", &sig)],
            now_ms() + 301_000,
        );
        c.send(&future).assert_gateway(ERR_TIMESTAMP);
        c.send(&token().set("X-Api-TimeStamp", "soon"))
            .assert_gateway(ERR_TIMESTAMP);
        c.send(&token().remove("X-Api-TimeStamp"))
            .assert_gateway(ERR_TIMESTAMP);

        c.send(&token().set("X-Api-Nonce", "0"))
            .assert_gateway(ERR_SIGNATURE);
        c.send(&token().set("X-Api-Nonce", "-5"))
            .assert_gateway(ERR_SIGNATURE);
        let mut wrong = token();
        let bad_sig = signing::signature("not-the-secret", "anything");
        wrong = wrong.set("X-Api-Signature", &bad_sig);
        c.send(&wrong).assert_gateway(ERR_SIGNATURE);
        // The signature covers the query: change it after signing.
        let mut tampered = token();
        tampered.query = tampered.query.replace("app_key=", "app_key=x");
        c.send(&tampered).assert_gateway(ERR_SIGNATURE);
        // ...and the method and path.
        let mut moved = Req::signed("GET", DETAIL_PATH, &[("id", "1")]);
        moved.path = MEMBER_PATH.into();
        c.send(&moved).assert_gateway(ERR_SIGNATURE);

        let stats = sb.stats();
        assert_eq!(stats.rejections["4001"], 2);
        assert_eq!(stats.rejections["4002"], 2);
        assert_eq!(stats.rejections["4007"], 3);
        assert_eq!(stats.rejections["4006"], 4);
        assert_eq!(stats.rejections["4008"], 5);
    }

    #[test]
    fn checks_run_in_gateway_order() {
        let sb = sandbox();
        let token = fetch_token(&sb);
        let mut c = Client::new(&sb);
        let stale_ts = (now_ms() - 600_000).to_string();
        // Each request breaks every check from one point on; the first broken one answers.
        let broken = |from: usize| {
            let mut req = Req::business("GET", DETAIL_PATH, &[("id", "1")], &token);
            let steps: [(&str, &str); 8] = [
                ("X-Api-Auth-Version", "3.0"),
                ("X-Api-ClientID", "nobody"),
                ("X-Api-SignHeaders", "X-Api-Nonce"),
                ("X-Api-TimeStamp", stale_ts.as_str()),
                ("X-Api-Signature", "AAAA"),
                ("app-token", "unknown-token"),
                ("X-GW-Router-Addr", "https://tf.jdy.com"),
                ("X-Unused", ""),
            ];
            for (name, value) in &steps[from..] {
                req = req.set(name, value);
            }
            req
        };
        let expected = [
            ERR_AUTH_VERSION,
            ERR_CLIENT_ID,
            ERR_SIGN_HEADERS,
            ERR_TIMESTAMP,
            ERR_SIGNATURE,
            ERR_TOKEN_INVALID,
            ERR_NO_PERMISSION,
        ];
        for (from, code) in expected.into_iter().enumerate() {
            c.send(&broken(from)).assert_gateway(code);
        }
        assert_eq!(c.send(&broken(7)).errcode(), 0);
        // An expired token is reported before a wrong router, and before a rotated secret.
        sb.expire_tokens();
        sb.rotate_app_secret("rotated");
        c.send(&broken(6)).assert_gateway(ERR_TOKEN_EXPIRED);
    }

    #[test]
    fn timestamp_window_follows_the_options() {
        let sb = Sandbox::start(SandboxOptions {
            timestamp_window_ms: 1_000,
            ..SandboxOptions::default()
        })
        .unwrap();
        let sig = signing::app_signature(SANDBOX_APP_KEY, SANDBOX_APP_SECRET);
        let params = [
            ("app_key", SANDBOX_APP_KEY),
            ("app_signature", sig.as_str()),
        ];
        let mut c = Client::new(&sb);
        c.send(&Req::signed_at(
            "GET",
            TOKEN_PATH,
            &params,
            now_ms() - 5_000,
        ))
        .assert_gateway(ERR_TIMESTAMP);
        let fine = c.send(&Req::signed_at("GET", TOKEN_PATH, &params, now_ms()));
        assert_eq!(fine.errcode(), 0);
    }

    #[test]
    fn token_endpoint_business_errors() {
        let sb = sandbox();
        let mut c = Client::new(&sb);
        let unknown = c.send(&token_request("other-key", SANDBOX_APP_SECRET));
        assert_eq!(unknown.status, 200);
        assert_eq!(unknown.errcode(), ERR_APP_KEY);
        let wrong = c.send(&token_request(SANDBOX_APP_KEY, "wrong-secret"));
        assert_eq!(wrong.status, 200);
        assert_eq!(wrong.errcode(), ERR_APP_SECRET);
        assert_eq!(wrong.json["description"], "app secret check failed");
        assert_eq!(wrong.json["data"], Value::Null);
    }

    #[test]
    fn token_rejections_on_business_paths() {
        let sb = sandbox();
        let token = fetch_token(&sb);
        let mut c = Client::new(&sb);
        let detail = |token: &str| Req::business("GET", DETAIL_PATH, &[("id", "1")], token);

        c.send(&detail(&token).remove("app-token"))
            .assert_gateway(ERR_TOKEN_EMPTY);
        c.send(&detail("")).assert_gateway(ERR_TOKEN_EMPTY);
        c.send(&detail("not-a-token"))
            .assert_gateway(ERR_TOKEN_INVALID);
        c.send(&detail(&token).remove("X-GW-Router-Addr"))
            .assert_gateway(ERR_NO_PERMISSION);
        c.send(&detail(&token).set("X-GW-Router-Addr", "https://tf.jdy.com"))
            .assert_gateway(ERR_NO_PERMISSION);
        assert_eq!(c.send(&detail(&token)).errcode(), 0);

        sb.expire_tokens();
        c.send(&detail(&token)).assert_gateway(ERR_TOKEN_EXPIRED);
        let fresh = fetch_token(&sb);
        assert_eq!(c.send(&detail(&fresh)).errcode(), 0);

        sb.rotate_app_secret("the-new-secret");
        c.send(&detail(&fresh)).assert_gateway(ERR_APP_SECRET);
        // The old secret no longer gets a token; the new one does, and it works.
        let old = c.send(&token_request(SANDBOX_APP_KEY, SANDBOX_APP_SECRET));
        assert_eq!(old.errcode(), ERR_APP_SECRET);
        let renewed = c.send(&token_request(SANDBOX_APP_KEY, "the-new-secret"));
        let renewed = renewed.json["data"]["app-token"]
            .as_str()
            .unwrap()
            .to_string();
        assert_eq!(c.send(&detail(&renewed)).errcode(), 0);
        assert_eq!(sb.client_config()["app_secret"], "the-new-secret");

        // Auth checks come before the body is looked at.
        let save = Req::business("POST", MEMBER_PATH, &[], "not-a-token").json(&member_a());
        c.send(&save).assert_gateway(ERR_TOKEN_INVALID);
        assert!(sb.members().is_empty());
    }

    #[test]
    fn token_lifetime_follows_the_options() {
        let sb = Sandbox::start(SandboxOptions {
            token_ttl_ms: 1,
            ..SandboxOptions::default()
        })
        .unwrap();
        let token = fetch_token(&sb);
        thread::sleep(Duration::from_millis(5));
        Client::new(&sb)
            .send(&Req::business("GET", DETAIL_PATH, &[("id", "1")], &token))
            .assert_gateway(ERR_TOKEN_EXPIRED);
    }

    #[test]
    fn save_upserts_by_mobile_and_keeps_the_id() {
        let sb = sandbox();
        let token = fetch_token(&sb);
        let mut c = Client::new(&sb);
        let first = save_member(&mut c, &token, &member_a());
        let mut changed = json!({"mobile": "13333333333", "name": "会员A改", "enable": "0"});
        let second = save_member(&mut c, &token, &changed);
        assert_eq!(second.errcode(), 0);
        assert_eq!(second.json["data"]["id"], first.json["data"]["id"]);
        assert_eq!(second.json["data"]["name"], "会员A改");
        assert_eq!(second.json["data"]["enable"], "0");
        // Fields absent from the update keep their value.
        assert_eq!(second.json["data"]["custom_no"], "1");
        let stored = sb.member_by_mobile("13333333333").unwrap();
        assert_eq!(stored["remark"], "备注");
        assert_eq!(sb.members().len(), 1);

        changed["mobile"] = json!("13900000000");
        let other = save_member(&mut c, &token, &changed);
        assert_eq!(other.json["data"]["id"], "1534104111400644609");
        let bare = save_member(&mut c, &token, &json!({"mobile": "1", "name": "n"}));
        assert_eq!(bare.json["data"]["custom_no"], "");
        assert_eq!(bare.json["data"]["enable"], "");

        let stats = sb.stats();
        assert_eq!(stats.saves_by_mobile["13333333333"], 2);
        assert_eq!(stats.saves_by_mobile["13900000000"], 1);
        assert_eq!(stats.save_calls, 4);
    }

    #[test]
    fn save_field_rules() {
        let sb = sandbox();
        let token = fetch_token(&sb);
        let mut c = Client::new(&sb);
        let cases = [
            (json!({"name": "n"}), "mobile"),
            (json!({"mobile": "", "name": "n"}), "mobile"),
            (json!({"mobile": "  ", "name": "n"}), "mobile"),
            (json!({"mobile": 13333333333u64, "name": "n"}), "mobile"),
            (json!({"mobile": "1"}), "name"),
            (json!({"mobile": "1", "name": null}), "name"),
            (json!({"mobile": "1", "name": "n", "enable": 1}), "enable"),
            (
                json!({"mobile": "1", "name": "n", "remark": null}),
                "remark",
            ),
            (json!({"mobile": "1", "name": "n", "label": "vip"}), "label"),
            (json!({"mobile": "1", "name": "n", "label": [1]}), "label"),
            (json!(["mobile", "name"]), "JSON"),
        ];
        for (body, field) in cases {
            let reply = save_member(&mut c, &token, &body);
            assert_eq!(reply.status, 200, "{body}");
            assert_eq!(reply.errcode(), ERR_SYSTEM, "{body}");
            assert_eq!(reply.json["data"], Value::Null);
            let description = reply.json["description"].as_str().unwrap();
            assert!(description.contains(field), "{body}: {description}");
        }
        let mut not_json = Req::business("POST", MEMBER_PATH, &[], &token);
        not_json.body = b"{mobile: 1".to_vec();
        assert_eq!(c.send(&not_json).errcode(), ERR_SYSTEM);
        let mut empty = Req::business("POST", MEMBER_PATH, &[], &token);
        empty.body.clear();
        assert_eq!(c.send(&empty).errcode(), ERR_SYSTEM);
        assert!(sb.members().is_empty());
        assert_eq!(sb.stats().rejections["2000002000"], 13);

        // Labels as strings or null are fine; unknown fields are ignored and not stored.
        let ok =
            json!({"mobile": "1", "name": "n", "label": ["vip", "老客"], "color": 7, "id": "9"});
        let reply = save_member(&mut c, &token, &ok);
        assert_eq!(reply.errcode(), 0);
        let stored = sb.member_by_mobile("1").unwrap();
        assert_eq!(stored["label"], json!(["vip", "老客"]));
        assert!(stored.get("color").is_none());
        assert_eq!(stored["id"], "1534104111400644608");
    }

    #[test]
    fn detail_not_found_and_missing_parameters() {
        let sb = sandbox();
        let token = fetch_token(&sb);
        let mut c = Client::new(&sb);
        let missing = c.send(&Req::business("GET", DETAIL_PATH, &[("id", "42")], &token));
        assert_eq!(missing.errcode(), 0);
        assert_eq!(missing.json["data"], Value::Null);
        let by_mobile = c.send(&Req::business(
            "GET",
            DETAIL_PATH,
            &[("mobile", "1")],
            &token,
        ));
        assert_eq!(by_mobile.json["data"], Value::Null);
        let neither = c.send(&Req::business("GET", DETAIL_PATH, &[], &token));
        assert_eq!(neither.status, 200);
        assert_eq!(neither.errcode(), ERR_SYSTEM);
        let empty = c.send(&Req::business("GET", DETAIL_PATH, &[("id", "")], &token));
        assert_eq!(empty.errcode(), ERR_SYSTEM);
    }

    #[test]
    fn list_pages_filters_and_caps_page_size() {
        let sb = sandbox();
        let token = fetch_token(&sb);
        let mut c = Client::new(&sb);
        for i in 0..105u32 {
            let member = json!({
                "mobile": format!("1380000{i:04}"),
                "name": if i % 2 == 0 { format!("偶数{i}") } else { format!("odd{i}") },
                "custom_no": format!("C{i}"),
                "enable": if i < 100 { "1" } else { "0" },
            });
            assert_eq!(save_member(&mut c, &token, &member).errcode(), 0);
        }
        let list = |c: &mut Client, params: &[(&str, &str)]| {
            c.send(&Req::business("GET", MEMBER_PATH, params, &token))
        };

        let capped = list(&mut c, &[("page_size", "500")]);
        let data = &capped.json["data"];
        assert_eq!(data["count"], 105);
        assert_eq!(data["page_size"], 100);
        assert_eq!(data["total_page"], 2);
        assert_eq!(data["rows"].as_array().unwrap().len(), 100);
        assert_eq!(data["rows"][0]["id"], "1534104111400644608");

        let second = list(&mut c, &[("page_size", "500"), ("page", "2")]);
        let rows = second.json["data"]["rows"].as_array().unwrap();
        assert_eq!(rows.len(), 5);
        assert_eq!(rows[4]["custom_no"], "C104");

        let default = list(&mut c, &[]);
        assert_eq!(default.json["data"]["rows"].as_array().unwrap().len(), 10);
        assert_eq!(default.json["data"]["total_page"], 11);
        let beyond = list(&mut c, &[("page", "99")]);
        assert!(beyond.json["data"]["rows"].as_array().unwrap().is_empty());

        let by_name = list(&mut c, &[("name", "偶数"), ("page_size", "100")]);
        assert_eq!(by_name.json["data"]["count"], 53);
        let by_number = list(&mut c, &[("number", "C7")]);
        assert_eq!(by_number.json["data"]["count"], 1);
        assert_eq!(by_number.json["data"]["rows"][0]["name"], "odd7");
        let by_id = list(&mut c, &[("id", "1534104111400644610")]);
        assert_eq!(by_id.json["data"]["rows"][0]["custom_no"], "C2");
        let disabled = list(&mut c, &[("enable", "0")]);
        assert_eq!(disabled.json["data"]["count"], 5);
        let today = &china_datetime(now_ms())[..10];
        let modified = list(
            &mut c,
            &[("start_modified", today), ("end_modified", today)],
        );
        assert_eq!(modified.json["data"]["count"], 105);
        let future = (now_ms() + 60_000).to_string();
        let none = list(&mut c, &[("start_modified", &future)]);
        assert_eq!(none.json["data"]["count"], 0);

        for bad in ["0", "-1", "x"] {
            let reply = list(&mut c, &[("page", bad)]);
            assert_eq!(reply.errcode(), ERR_SYSTEM, "page={bad}");
            let reply = list(&mut c, &[("page_size", bad)]);
            assert_eq!(reply.errcode(), ERR_SYSTEM, "page_size={bad}");
        }
    }

    #[test]
    fn unknown_path_and_wrong_method() {
        let sb = sandbox();
        let mut c = Client::new(&sb);
        c.send(&Req::signed("GET", "/jdy/v2/ls/nothing", &[]))
            .assert_gateway(ERR_API_NOT_FOUND);
        c.send(&Req::unsigned("GET", "/"))
            .assert_gateway(ERR_API_NOT_FOUND);
        c.send(&Req::signed("DELETE", MEMBER_PATH, &[]))
            .assert_gateway(ERR_METHOD);
        c.send(&Req::signed("POST", TOKEN_PATH, &[]))
            .assert_gateway(ERR_METHOD);
        c.send(&Req::signed("GET", AUTHORIZE_PATH, &[]))
            .assert_gateway(ERR_METHOD);
        let stats = sb.stats();
        assert_eq!(stats.rejections["5001"], 2);
        assert_eq!(stats.rejections["5002"], 3);
        assert_eq!(stats.requests, 5);
    }

    #[test]
    fn keep_alive_serves_several_requests_on_one_connection() {
        let sb = sandbox();
        let mut c = Client::new(&sb);
        let first = c.send(&token_request(SANDBOX_APP_KEY, SANDBOX_APP_SECRET));
        assert_eq!(first.header("Connection"), Some("keep-alive"));
        let token = first.json["data"]["app-token"]
            .as_str()
            .unwrap()
            .to_string();
        let second = c.send(&Req::business("GET", DETAIL_PATH, &[("id", "1")], &token));
        assert_eq!(second.errcode(), 0);

        // Two pipelined requests in one write.
        let mut both = Req::business("GET", DETAIL_PATH, &[("id", "1")], &token).bytes();
        both.extend(Req::business("GET", MEMBER_PATH, &[], &token).bytes());
        let a = c.send_raw(&both);
        let b = c.read_reply();
        assert_eq!(a.json["data"], Value::Null);
        assert_eq!(b.json["data"]["count"], 0);

        // `Connection: close` is honoured.
        let last = c.send(
            &Req::business("GET", DETAIL_PATH, &[("id", "1")], &token).set("Connection", "close"),
        );
        assert_eq!(last.header("Connection"), Some("close"));
        assert!(c.closed());
        assert_eq!(sb.stats().requests, 5);
    }

    #[test]
    fn every_answer_has_json_type_length_and_date() {
        let sb = sandbox();
        let mut c = Client::new(&sb);
        let reply = c.send(&Req::unsigned("GET", "/missing"));
        assert_eq!(
            reply.header("Content-Type"),
            Some("application/json; charset=utf-8")
        );
        assert_eq!(
            reply.header("Content-Length"),
            Some(reply.raw.len().to_string().as_str())
        );
        let date = reply.header("Date").unwrap();
        assert_eq!(date.len(), 29, "{date}");
        assert!(date.ends_with(" GMT"));
        assert_eq!(&date[3..5], ", ");
        assert_eq!(http_date(784_111_777_000), "Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(china_datetime(1_667_271_694_000), "2022-11-01 11:01:34");
    }

    #[test]
    fn oversized_request_gets_413() {
        let sb = sandbox();
        // Declared too large: answered from the head alone.
        let mut c = Client::new(&sb);
        let reply = c.send_raw(
            b"POST /jdy/v2/ls/member HTTP/1.1\r\nHost: x\r\nContent-Length: 3000000\r\n\r\n",
        );
        assert_eq!(reply.status, 413);
        assert_eq!(reply.header("Connection"), Some("close"));

        // Actually sent: the client can write it all and still read the answer.
        let mut c = Client::new(&sb);
        let mut writer = c.stream.try_clone().unwrap();
        let sender = thread::spawn(move || {
            let mut bytes =
                b"POST /jdy/v2/ls/member HTTP/1.1\r\nContent-Length: 2200000\r\n\r\n".to_vec();
            bytes.resize(bytes.len() + 2_200_000, b'x');
            let _ = writer.write_all(&bytes);
        });
        let reply = c.read_reply();
        assert_eq!(reply.status, 413);
        sender.join().unwrap();

        // A head that never ends.
        let mut c = Client::new(&sb);
        let mut writer = c.stream.try_clone().unwrap();
        let sender = thread::spawn(move || {
            let mut bytes = b"GET / HTTP/1.1\r\nX-Long: ".to_vec();
            bytes.resize(MAX_REQUEST_BYTES + 10, b'a');
            let _ = writer.write_all(&bytes);
        });
        assert_eq!(c.read_reply().status, 413);
        sender.join().unwrap();
        assert_eq!(sb.stats().rejections["http_413"], 3);
    }

    #[test]
    fn malformed_requests_get_400_or_411_and_do_not_hurt_the_sandbox() {
        let sb = sandbox();
        let garbage: [&[u8]; 4] = [
            b"\x00\x01\x02 nonsense\r\n\r\n",
            b"GET / HTTP/1.1\r\nContent-Length: abc\r\n\r\n",
            b"GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
            b"GET nowhere HTTP/1.1\r\n\r\n",
        ];
        for bytes in garbage {
            let mut c = Client::new(&sb);
            let reply = c.send_raw(bytes);
            assert_eq!(reply.status, 400, "{:?}", String::from_utf8_lossy(bytes));
            assert!(c.closed());
        }
        let mut c = Client::new(&sb);
        let reply = c.send_raw(
            b"POST /jdy/v2/ls/member HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        );
        assert_eq!(reply.status, 411);

        // Non-UTF-8 header values and a half request closed early: no panic, still serving.
        let mut c = Client::new(&sb);
        let reply = c.send_raw(b"GET /x HTTP/1.1\r\nX-Api-Auth-Version: \xff\xfe\r\n\r\n");
        reply.assert_gateway(ERR_API_NOT_FOUND);
        let mut half = TcpStream::connect(("127.0.0.1", sb.port())).unwrap();
        half.write_all(b"POST /jdy/v2/ls/member HTTP/1.1\r\nContent-Length: 10\r\n\r\nab")
            .unwrap();
        drop(half);
        assert_eq!(fetch_token(&sb).len(), 32);
        let stats = sb.stats();
        assert_eq!(stats.rejections["http_400"], 4);
        assert_eq!(stats.rejections["http_411"], 1);
    }

    #[test]
    fn expect_continue_is_answered() {
        let sb = sandbox();
        let token = fetch_token(&sb);
        let mut c = Client::new(&sb);
        let mut req = Req::business("POST", MEMBER_PATH, &[], &token)
            .json(&member_a())
            .set("Expect", "100-continue");
        let body = std::mem::take(&mut req.body);
        let mut head = req.bytes();
        head.truncate(head.len() - "Content-Length: 0\r\n\r\n".len());
        head.extend(format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes());
        c.stream.write_all(&head).unwrap();
        while !c.buf.ends_with(b"\r\n\r\n") {
            assert!(c.read_more() > 0);
        }
        assert!(c.buf.starts_with(b"HTTP/1.1 100 Continue\r\n\r\n"));
        c.buf.clear();
        let reply = c.send_raw(&body);
        assert_eq!(reply.errcode(), 0);
    }

    #[test]
    fn stats_count_every_kind_of_call() {
        let sb = sandbox();
        let mut c = Client::new(&sb);
        c.send(&Req::signed(
            "POST",
            AUTHORIZE_PATH,
            &[("outerInstanceId", SANDBOX_OUTER_INSTANCE_ID)],
        ));
        let token = fetch_token(&sb);
        save_member(&mut c, &token, &member_a());
        save_member(&mut c, &token, &json!({"mobile": "2"}));
        c.send(&Req::business("GET", DETAIL_PATH, &[("id", "1")], &token));
        c.send(&Req::business("GET", MEMBER_PATH, &[], &token));
        c.send(&Req::business("GET", MEMBER_PATH, &[], "bad"));
        let stats = sb.stats();
        let mut rejections = BTreeMap::new();
        rejections.insert("2000002000".to_string(), 1);
        rejections.insert("4010".to_string(), 1);
        let mut saves = BTreeMap::new();
        saves.insert("13333333333".to_string(), 1);
        assert_eq!(
            stats,
            SandboxStats {
                requests: 7,
                authorize_calls: 1,
                token_calls: 1,
                save_calls: 2,
                detail_calls: 1,
                list_calls: 2,
                rejections,
                saves_by_mobile: saves,
                faults_fired: 0,
            }
        );

        sb.rotate_app_secret("changed");
        sb.reset();
        assert_eq!(sb.stats(), SandboxStats::default());
        assert!(sb.members().is_empty());
        assert_eq!(sb.client_config()["app_secret"], SANDBOX_APP_SECRET);
        // Tokens survive a reset; ids start over.
        let again = save_member(&mut c, &token, &member_a());
        assert_eq!(again.json["data"]["id"], "1534104111400644608");
    }

    #[test]
    fn client_configs_describe_this_sandbox() {
        let sb = sandbox();
        let direct = sb.client_config();
        assert_eq!(direct["client_id"], SANDBOX_CLIENT_ID);
        assert_eq!(direct["client_secret"], SANDBOX_CLIENT_SECRET);
        assert_eq!(direct["app_key"], SANDBOX_APP_KEY);
        assert_eq!(direct["app_secret"], SANDBOX_APP_SECRET);
        assert_eq!(direct["domain"], SANDBOX_DOMAIN);
        assert_eq!(direct["base_url"], sb.base_url());
        assert_eq!(sb.base_url(), format!("http://127.0.0.1:{}", sb.port()));
        let outer = sb.client_config_outer();
        assert_eq!(outer["outer_instance_id"], SANDBOX_OUTER_INSTANCE_ID);
        assert_eq!(outer["base_url"], sb.base_url());
        assert!(outer.get("app_secret").is_none());
    }

    #[test]
    fn control_endpoints_over_http() {
        let sb = sandbox();
        let token = fetch_token(&sb);
        let mut c = Client::new(&sb);
        save_member(&mut c, &token, &member_a());

        let stats = c.send(&Req::unsigned("GET", "/__sandbox/stats"));
        assert_eq!(stats.status, 200);
        assert_eq!(stats.json["save_calls"], 1);
        assert_eq!(stats.json["saves_by_mobile"]["13333333333"], 1);
        assert_eq!(stats.json, serde_json::to_value(sb.stats()).unwrap());

        let members = c.send(&Req::unsigned("GET", "/__sandbox/members"));
        assert_eq!(members.json[0]["name"], "会员A");

        let config = c.send(&Req::unsigned("GET", "/__sandbox/config"));
        assert_eq!(config.json["direct"], sb.client_config());
        assert_eq!(config.json["outer"], sb.client_config_outer());

        let expired = c.send(&Req::unsigned("POST", "/__sandbox/expire_tokens"));
        assert_eq!(expired.json["ok"], true);
        c.send(&Req::business("GET", MEMBER_PATH, &[], &token))
            .assert_gateway(ERR_TOKEN_EXPIRED);

        let mut rotate = Req::unsigned("POST", "/__sandbox/rotate_app_secret");
        rotate.body = br#"{"app_secret": "via-http"}"#.to_vec();
        assert_eq!(c.send(&rotate).json["ok"], true);
        assert_eq!(sb.client_config()["app_secret"], "via-http");
        rotate.body = b"{}".to_vec();
        assert_eq!(c.send(&rotate).status, 400);

        let reset = c.send(&Req::unsigned("POST", "/__sandbox/reset"));
        assert_eq!(reset.json["ok"], true);
        assert!(sb.members().is_empty());
        assert_eq!(sb.client_config()["app_secret"], SANDBOX_APP_SECRET);

        assert_eq!(
            c.send(&Req::unsigned("POST", "/__sandbox/stats")).status,
            405
        );
        assert_eq!(
            c.send(&Req::unsigned("GET", "/__sandbox/nothing")).status,
            404
        );
        // Control calls are not counted.
        assert_eq!(sb.stats(), SandboxStats::default());
    }

    #[test]
    fn shutdown_frees_the_port() {
        let sb = sandbox();
        let port = sb.port();
        let mut idle = Client::new(&sb);
        let token = fetch_token(&sb);
        assert_eq!(token.len(), 32);
        let started = Instant::now();
        sb.shutdown();
        assert!(started.elapsed() < Duration::from_secs(5));
        assert!(idle.closed());
        assert!(TcpStream::connect(("127.0.0.1", port)).is_err());
        let again = Sandbox::start(SandboxOptions {
            port,
            ..SandboxOptions::default()
        })
        .unwrap();
        assert_eq!(again.port(), port);
        drop(again);
        TcpListener::bind(("127.0.0.1", port)).unwrap();
    }

    // ---- Fault injection, clock, latency ----

    fn save_rule(fault: Fault) -> FaultRule {
        FaultRule::on("POST", MEMBER_PATH, fault)
    }

    fn saves_of(sb: &Sandbox, mobile: &str) -> u64 {
        sb.stats().saves_by_mobile.get(mobile).copied().unwrap_or(0)
    }

    /// Polls `condition` for up to two seconds.
    fn eventually(condition: impl Fn() -> bool) -> bool {
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(2) {
            if condition() {
                return true;
            }
            thread::sleep(Duration::from_millis(10));
        }
        condition()
    }

    fn member(mobile: &str) -> Value {
        json!({"mobile": mobile, "name": "故障测试"})
    }

    /// Sends the request and expects the connection to close without any answer byte.
    fn expect_no_answer(client: &mut Client, req: &Req) {
        client.stream.write_all(&req.bytes()).unwrap();
        let mut rest = Vec::new();
        let _ = client.stream.read_to_end(&mut rest);
        assert!(
            rest.is_empty(),
            "expected a closed connection, got {:?}",
            String::from_utf8_lossy(&rest)
        );
    }

    fn control_post(c: &mut Client, name: &str, body: &str) -> Reply {
        let mut req = Req::unsigned("POST", &format!("/__sandbox/{name}"));
        req.body = body.as_bytes().to_vec();
        c.send(&req)
    }

    fn text(reply: &Reply) -> String {
        String::from_utf8(reply.raw.clone()).unwrap()
    }

    #[test]
    fn status_fault_replaces_the_answer_and_counts_down() {
        let sb = sandbox();
        let token = fetch_token(&sb);
        let mut c = Client::new(&sb);
        sb.inject(
            save_rule(Fault::Status {
                status: 503,
                body: None,
                after_processing: false,
            })
            .repeat(2),
        );
        for left in [1, 0] {
            let reply = save_member(&mut c, &token, &member_a());
            assert_eq!(reply.status, 503);
            assert_eq!(reply.header("Content-Type"), Some(HTML_TYPE));
            assert_eq!(reply.header("Connection"), Some("keep-alive"));
            assert!(text(&reply).contains("<h1>503 Service Unavailable</h1>"));
            assert_eq!(reply.json, Value::Null);
            assert_eq!(
                sb.faults().first().map(|r| r.times),
                (left > 0).then_some(left)
            );
        }
        assert!(sb.members().is_empty());
        // Spent: the next save on the same connection is normal.
        assert_eq!(save_member(&mut c, &token, &member_a()).errcode(), 0);
        assert_eq!(saves_of(&sb, "13333333333"), 1);

        // After processing, with a JSON body: the save stands, the answer is replaced.
        sb.inject(save_rule(Fault::Status {
            status: 500,
            body: Some(r#"{"oops": true}"#.into()),
            after_processing: true,
        }));
        let replaced = save_member(&mut c, &token, &member("13900000001"));
        assert_eq!(replaced.status, 500);
        assert_eq!(replaced.header("Content-Type"), Some(JSON_TYPE));
        assert_eq!(replaced.json, json!({"oops": true}));
        assert_eq!(saves_of(&sb, "13900000001"), 1);
        assert!(sb.member_by_mobile("13900000001").is_some());

        // Any other body is served as it is, as HTML.
        sb.inject(save_rule(Fault::Status {
            status: 502,
            body: Some("upstream went away".into()),
            after_processing: false,
        }));
        let plain = save_member(&mut c, &token, &member("13900000002"));
        assert_eq!(plain.status, 502);
        assert_eq!(plain.header("Content-Type"), Some(HTML_TYPE));
        assert_eq!(plain.raw, b"upstream went away");
        assert_eq!(saves_of(&sb, "13900000002"), 0);

        let stats = sb.stats();
        assert_eq!(stats.faults_fired, 4);
        assert_eq!(stats.save_calls, 5);
        assert_eq!(stats.requests, 6);
        assert!(stats.rejections.is_empty(), "{:?}", stats.rejections);
    }

    #[test]
    fn gateway_fault_answers_519_before_or_after_processing() {
        let sb = sandbox();
        let token = fetch_token(&sb);
        let mut c = Client::new(&sb);
        sb.inject(save_rule(Fault::Gateway {
            errcode: 5000,
            after_processing: false,
        }));
        let reply = save_member(&mut c, &token, &member_a());
        reply.assert_gateway(5000);
        assert_eq!(reply.json["description"], "gateway internal error");
        assert!(sb.members().is_empty());

        sb.inject(save_rule(Fault::Gateway {
            errcode: 5004,
            after_processing: true,
        }));
        save_member(&mut c, &token, &member_a()).assert_gateway(5004);
        assert_eq!(saves_of(&sb, "13333333333"), 1);

        // The gateway fails for everyone, correctly signed or not.
        sb.inject(FaultRule::new(Fault::Gateway {
            errcode: 5003,
            after_processing: false,
        }));
        c.send(&Req::unsigned("GET", DETAIL_PATH))
            .assert_gateway(5003);
        c.send(&Req::unsigned("GET", DETAIL_PATH))
            .assert_gateway(ERR_AUTH_VERSION);

        let stats = sb.stats();
        assert_eq!(stats.faults_fired, 3);
        // Injected answers are not rejections; the real check of the last request is.
        let mut rejections = BTreeMap::new();
        rejections.insert("4001".to_string(), 1);
        assert_eq!(stats.rejections, rejections);
    }

    #[test]
    fn rate_limited_fault_answers_429_with_retry_after() {
        let sb = sandbox();
        let token = fetch_token(&sb);
        let mut c = Client::new(&sb);
        sb.inject(save_rule(Fault::RateLimited));
        let reply = save_member(&mut c, &token, &member_a());
        assert_eq!(reply.status, 429);
        assert_eq!(reply.header("Retry-After"), Some("1"));
        assert_eq!(reply.header("Content-Type"), Some(JSON_TYPE));
        assert_eq!(reply.errcode(), 429);
        assert!(reply.json["description"].is_string());
        assert!(reply.json["description_cn"].is_string());
        assert!(sb.members().is_empty());
        assert_eq!(save_member(&mut c, &token, &member_a()).errcode(), 0);
        assert_eq!(sb.stats().faults_fired, 1);
    }

    #[test]
    fn drop_before_processing_closes_and_saves_nothing() {
        let sb = sandbox();
        let token = fetch_token(&sb);
        sb.inject(save_rule(Fault::DropBeforeProcessing));
        let save = Req::business("POST", MEMBER_PATH, &[], &token).json(&member_a());
        expect_no_answer(&mut Client::new(&sb), &save);
        assert!(sb.members().is_empty());
        let stats = sb.stats();
        assert_eq!(stats.save_calls, 1);
        assert!(stats.saves_by_mobile.is_empty());
        assert_eq!(stats.faults_fired, 1);
        // The retry is served normally.
        let retry = save_member(&mut Client::new(&sb), &token, &member_a());
        assert_eq!(retry.errcode(), 0);
        assert_eq!(saves_of(&sb, "13333333333"), 1);
    }

    #[test]
    fn drop_after_processing_closes_but_the_save_stands() {
        let sb = sandbox();
        let token = fetch_token(&sb);
        sb.inject(save_rule(Fault::DropAfterProcessing));
        let save = Req::business("POST", MEMBER_PATH, &[], &token).json(&member_a());
        expect_no_answer(&mut Client::new(&sb), &save);
        assert_eq!(saves_of(&sb, "13333333333"), 1);
        // A careful client looks the member up and finds it.
        let found = Client::new(&sb).send(&Req::business(
            "GET",
            DETAIL_PATH,
            &[("mobile", "13333333333")],
            &token,
        ));
        assert_eq!(found.json["data"]["name"], "会员A");
        assert_eq!(sb.members().len(), 1);
    }

    #[test]
    fn delay_before_and_after_processing_does_not_block_others() {
        let sb = sandbox();
        let token = fetch_token(&sb);
        sb.inject(save_rule(Fault::Delay {
            ms: 1_000,
            after_processing: false,
        }));
        thread::scope(|scope| {
            let slow = scope.spawn(|| {
                let started = Instant::now();
                let reply = save_member(&mut Client::new(&sb), &token, &member("13900000010"));
                (reply, started.elapsed())
            });
            thread::sleep(Duration::from_millis(200));
            // Not processed yet, and another connection is served meanwhile.
            assert!(sb.member_by_mobile("13900000010").is_none());
            let quick = Client::new(&sb).send(&Req::business("GET", MEMBER_PATH, &[], &token));
            assert_eq!(quick.errcode(), 0);
            assert!(!slow.is_finished());
            let (reply, elapsed) = slow.join().unwrap();
            assert_eq!(reply.errcode(), 0);
            assert!(elapsed >= Duration::from_millis(1_000), "{elapsed:?}");
        });
        assert_eq!(saves_of(&sb, "13900000010"), 1);

        sb.inject(save_rule(Fault::Delay {
            ms: 600,
            after_processing: true,
        }));
        thread::scope(|scope| {
            let slow = scope.spawn(|| {
                let started = Instant::now();
                let reply = save_member(&mut Client::new(&sb), &token, &member("13900000011"));
                (reply, started.elapsed())
            });
            thread::sleep(Duration::from_millis(200));
            // Already processed while the answer waits.
            assert!(sb.member_by_mobile("13900000011").is_some());
            assert!(!slow.is_finished());
            let (reply, elapsed) = slow.join().unwrap();
            assert_eq!(reply.json["data"]["mobile"], "13900000011");
            assert!(elapsed >= Duration::from_millis(600), "{elapsed:?}");
        });
        assert_eq!(sb.stats().faults_fired, 2);
    }

    #[test]
    fn a_client_giving_up_during_a_delay_does_not_disturb_the_sandbox() {
        let sb = sandbox();
        let token = fetch_token(&sb);
        let give_up = |mobile: &str| {
            let mut c = Client::new(&sb);
            let save = Req::business("POST", MEMBER_PATH, &[], &token).json(&member(mobile));
            c.stream.write_all(&save.bytes()).unwrap();
            thread::sleep(Duration::from_millis(100));
        };
        // Before processing: the request is abandoned, never saved.
        sb.inject(save_rule(Fault::Delay {
            ms: 800,
            after_processing: false,
        }));
        give_up("13900000020");
        thread::sleep(Duration::from_millis(1_000));
        assert_eq!(saves_of(&sb, "13900000020"), 0);
        assert_eq!(sb.stats().save_calls, 1);

        // After processing: saved at once, the late answer goes nowhere.
        sb.inject(save_rule(Fault::Delay {
            ms: 800,
            after_processing: true,
        }));
        give_up("13900000021");
        assert!(eventually(|| saves_of(&sb, "13900000021") == 1));
        thread::sleep(Duration::from_millis(1_000));

        // Still serving, on old and new connections.
        assert_eq!(fetch_token(&sb).len(), 32);
        let again = save_member(&mut Client::new(&sb), &token, &member("13900000020"));
        assert_eq!(again.errcode(), 0);
        assert_eq!(sb.members().len(), 2);
    }

    #[test]
    fn shutdown_is_prompt_while_a_delay_waits() {
        let sb = sandbox();
        let token = fetch_token(&sb);
        sb.inject(FaultRule::new(Fault::Delay {
            ms: 60_000,
            after_processing: true,
        }));
        let mut c = Client::new(&sb);
        let save = Req::business("POST", MEMBER_PATH, &[], &token).json(&member_a());
        c.stream.write_all(&save.bytes()).unwrap();
        assert!(eventually(|| saves_of(&sb, "13333333333") == 1));
        let started = Instant::now();
        sb.shutdown();
        assert!(started.elapsed() < Duration::from_secs(5));
        assert!(c.closed());
    }

    #[test]
    fn not_json_fault_answers_html() {
        let sb = sandbox();
        let token = fetch_token(&sb);
        let mut c = Client::new(&sb);
        sb.inject(save_rule(Fault::NotJson {
            status: None,
            after_processing: false,
        }));
        let reply = save_member(&mut c, &token, &member_a());
        assert_eq!(reply.status, 200);
        assert_eq!(reply.header("Content-Type"), Some(HTML_TYPE));
        assert!(serde_json::from_slice::<Value>(&reply.raw).is_err());
        assert!(text(&reply).starts_with("<!DOCTYPE html>"));
        assert!(sb.members().is_empty());

        sb.inject(save_rule(Fault::NotJson {
            status: Some(502),
            after_processing: true,
        }));
        let reply = save_member(&mut c, &token, &member_a());
        assert_eq!(reply.status, 502);
        assert!(serde_json::from_slice::<Value>(&reply.raw).is_err());
        assert_eq!(saves_of(&sb, "13333333333"), 1);
        assert_eq!(save_member(&mut c, &token, &member_a()).errcode(), 0);
    }

    #[test]
    fn oversized_fault_streams_a_valid_json_answer_of_the_size_asked() {
        let sb = sandbox();
        let token = fetch_token(&sb);
        sb.inject(save_rule(Fault::Oversized { bytes: 3_000_000 }));
        let mut c = Client::new(&sb);
        let reply = save_member(&mut c, &token, &member_a());
        assert_eq!(reply.status, 200);
        assert_eq!(reply.header("Content-Length"), Some("3000000"));
        assert_eq!(reply.header("Connection"), Some("close"));
        assert_eq!(reply.raw.len(), 3_000_000);
        assert_eq!(reply.errcode(), 0);
        assert_eq!(
            reply.json["data"]["pad"].as_str().unwrap().len(),
            3_000_000 - 55
        );
        assert!(c.closed());
        // Processed: the answer claims success.
        assert_eq!(saves_of(&sb, "13333333333"), 1);

        // Never smaller than the envelope.
        sb.inject(FaultRule::new(Fault::Oversized { bytes: 10 }));
        let small = Client::new(&sb).send(&Req::business("GET", MEMBER_PATH, &[], &token));
        assert_eq!(
            small.raw,
            br#"{"errcode":0,"description":"success","data":{"pad":""}}"#
        );
        assert_eq!(sb.stats().faults_fired, 2);
    }

    #[test]
    fn rules_match_by_path_and_method_in_insertion_order() {
        let sb = sandbox();
        let token = fetch_token(&sb);
        let mut c = Client::new(&sb);
        let status = |status: u16| Fault::Status {
            status,
            body: None,
            after_processing: false,
        };
        sb.inject(FaultRule::on("get", DETAIL_PATH, status(503)));
        assert_eq!(save_member(&mut c, &token, &member_a()).errcode(), 0);
        let list = c.send(&Req::business("GET", MEMBER_PATH, &[], &token));
        assert_eq!(list.errcode(), 0);
        assert_eq!(sb.faults().len(), 1);
        let detail = c.send(&Req::business("GET", DETAIL_PATH, &[("id", "1")], &token));
        assert_eq!(detail.status, 503);
        assert!(sb.faults().is_empty());

        // Any path: unknown Kingdee paths too, never the controls.
        sb.inject(FaultRule::new(status(500)));
        sb.inject(FaultRule::new(status(501)));
        let stats = c.send(&Req::unsigned("GET", "/__sandbox/stats"));
        assert_eq!(stats.status, 200);
        assert_eq!(stats.json["faults_fired"], 1);
        assert_eq!(sb.faults().len(), 2);
        assert_eq!(c.send(&Req::unsigned("GET", "/nowhere")).status, 500);
        assert_eq!(
            c.send(&token_request(SANDBOX_APP_KEY, SANDBOX_APP_SECRET))
                .status,
            501
        );
        assert_eq!(sb.stats().faults_fired, 3);
        assert_eq!(sb.stats().token_calls, 2);
    }

    #[test]
    fn bad_rules_are_refused() {
        let sb = sandbox();
        let bad = [
            (FaultRule::new(Fault::RateLimited).repeat(0), "times"),
            (
                FaultRule::on("POST", "/__sandbox/stats", Fault::RateLimited),
                "control",
            ),
            (FaultRule::on("POST", "member", Fault::RateLimited), "path"),
            (
                FaultRule::on("POST", "/jdy/v2/ls/member?x=1", Fault::RateLimited),
                "query",
            ),
            (
                FaultRule::on("PO ST", MEMBER_PATH, Fault::RateLimited),
                "method",
            ),
            (
                FaultRule::new(Fault::Status {
                    status: 100,
                    body: None,
                    after_processing: false,
                }),
                "status",
            ),
            (
                FaultRule::new(Fault::NotJson {
                    status: Some(204),
                    after_processing: false,
                }),
                "204",
            ),
            (
                FaultRule::new(Fault::Gateway {
                    errcode: 0,
                    after_processing: false,
                }),
                "errcode",
            ),
        ];
        for (rule, word) in bad {
            let why = sb.try_inject(rule.clone()).unwrap_err();
            assert!(why.contains(word), "{rule:?}: {why}");
        }
        assert!(sb.faults().is_empty());
        let refused = panic::catch_unwind(AssertUnwindSafe(|| {
            sb.inject(FaultRule::new(Fault::RateLimited).repeat(0))
        }));
        assert!(refused.is_err());
        assert!(sb.try_inject(FaultRule::new(Fault::RateLimited)).is_ok());
    }

    #[test]
    fn faults_over_http_controls() {
        let sb = sandbox();
        let token = fetch_token(&sb);
        let mut c = Client::new(&sb);

        let one = r#"{"path": "/jdy/v2/ls/member", "method": "POST",
                      "fault": {"kind": "gateway", "errcode": 5000}}"#;
        let added = control_post(&mut c, "faults", one);
        assert_eq!(added.status, 200, "{added:?}");
        assert_eq!(added.json, json!({"ok": true, "added": 1, "pending": 1}));
        assert_eq!(
            sb.faults(),
            [FaultRule::on(
                "POST",
                MEMBER_PATH,
                Fault::Gateway {
                    errcode: 5000,
                    after_processing: false
                }
            )]
        );

        // Every kind, in one array.
        let all = r#"[
            {"fault": {"kind": "status", "status": 503, "body": "down", "after_processing": true}},
            {"fault": {"kind": "rate_limited"}, "times": 3},
            {"fault": {"kind": "drop_before_processing"}, "method": "GET"},
            {"fault": {"kind": "drop_after_processing"}},
            {"fault": {"kind": "delay", "ms": 10}},
            {"fault": {"kind": "not_json"}},
            {"fault": {"kind": "oversized", "bytes": 100}}
        ]"#;
        let added = control_post(&mut c, "faults", all);
        assert_eq!(added.json, json!({"ok": true, "added": 7, "pending": 8}));
        let pending = sb.faults();
        assert_eq!(
            pending[1].fault,
            Fault::Status {
                status: 503,
                body: Some("down".into()),
                after_processing: true
            }
        );
        assert_eq!(pending[2].times, 3);
        assert_eq!(pending[3].method.as_deref(), Some("GET"));
        assert_eq!(pending[4].fault, Fault::DropAfterProcessing);
        assert_eq!(
            pending[5].fault,
            Fault::Delay {
                ms: 10,
                after_processing: false
            }
        );
        assert_eq!(
            pending[6].fault,
            Fault::NotJson {
                status: None,
                after_processing: false
            }
        );
        assert_eq!(pending[7].fault, Fault::Oversized { bytes: 100 });
        let listed = c.send(&Req::unsigned("GET", "/__sandbox/faults"));
        assert_eq!(listed.json, serde_json::to_value(&pending).unwrap());
        assert_eq!(listed.json[0]["fault"]["kind"], "gateway");
        assert_eq!(listed.json[0]["times"], 1);

        // The first rule fires.
        save_member(&mut c, &token, &member_a()).assert_gateway(5000);
        let cleared = c.send(&Req::unsigned("DELETE", "/__sandbox/faults"));
        assert_eq!(cleared.json, json!({"ok": true, "cleared": 7}));
        assert!(sb.faults().is_empty());
        assert_eq!(save_member(&mut c, &token, &member_a()).errcode(), 0);

        let bad = [
            ("not json", "not JSON"),
            (r#"{"fault": {"kind": "explode"}}"#, "explode"),
            (r#"{"path": "/x"}"#, "fault"),
            (r#"{"fault": {"kind": "status"}}"#, "status"),
            (
                r#"{"fault": {"kind": "rate_limited"}, "times": 0}"#,
                "times",
            ),
            (
                r#"{"fault": {"kind": "status", "status": 100}}"#,
                "cannot carry a body",
            ),
            (
                r#"{"fault": {"kind": "rate_limited"}, "path": "/__sandbox/stats"}"#,
                "control",
            ),
            (
                r#"{"fault": {"kind": "delay", "ms": 5, "after": true}}"#,
                "after",
            ),
            (
                r#"{"fault": {"kind": "rate_limited"}, "tiems": 2}"#,
                "tiems",
            ),
            (
                r#"[{"fault": {"kind": "rate_limited"}}, {"fault": {"kind": "delay"}}]"#,
                "fault rule 1",
            ),
        ];
        for (body, word) in bad {
            let reply = control_post(&mut c, "faults", body);
            assert_eq!(reply.status, 400, "{body}");
            assert_eq!(reply.json["ok"], false);
            let error = reply.json["error"].as_str().unwrap();
            assert!(error.contains(word), "{body}: {error}");
        }
        // All or nothing.
        assert!(sb.faults().is_empty());
        let put = c.send(&Req::unsigned("PUT", "/__sandbox/faults"));
        assert_eq!(put.status, 405);
        assert_eq!(sb.stats().faults_fired, 1);
    }

    #[test]
    fn clock_offset_moves_the_timestamp_window_the_date_and_modify_times() {
        let sb = sandbox();
        sb.set_clock_offset_ms(-600_000);
        let sig = signing::app_signature(SANDBOX_APP_KEY, SANDBOX_APP_SECRET);
        let params = [
            ("app_key", SANDBOX_APP_KEY),
            ("app_signature", sig.as_str()),
        ];
        let mut c = Client::new(&sb);
        // A client 10 minutes ahead of the gateway is refused...
        c.send(&Req::signed_at("GET", TOKEN_PATH, &params, now_ms()))
            .assert_gateway(ERR_TIMESTAMP);
        // ...one signing with the gateway's time is not.
        let sandbox_now = || now_ms() - 600_000;
        let reply = c.send(&Req::signed_at("GET", TOKEN_PATH, &params, sandbox_now()));
        assert_eq!(reply.errcode(), 0, "{reply:?}");
        let day = 24 * 60 * 60 * 1000;
        let expires = reply.json["data"]["expires"].as_u64().unwrap();
        assert!(expires.abs_diff(sandbox_now() + day) < 5_000);
        let date = reply.header("Date").unwrap().to_string();
        let around = |ms: u64, show: fn(u64) -> String| -> Vec<String> {
            (0..6).map(|s| show(ms + 1_000 - s * 1_000)).collect()
        };
        assert!(around(sandbox_now(), http_date).contains(&date), "{date}");
        let token = reply.json["data"]["app-token"]
            .as_str()
            .unwrap()
            .to_string();

        let save = Req::signed_at("POST", MEMBER_PATH, &[], sandbox_now())
            .set("app-token", &token)
            .set("X-GW-Router-Addr", SANDBOX_DOMAIN)
            .json(&member_a());
        let saved = c.send(&save);
        assert_eq!(saved.errcode(), 0, "{saved:?}");
        let modified = saved.json["data"]["db_modify_time"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(
            around(sandbox_now(), china_datetime).contains(&modified),
            "{modified}"
        );

        // Over HTTP: a day and an hour ahead, the token has expired.
        let moved = control_post(&mut c, "clock", r#"{"offset_ms": 90000000}"#);
        assert_eq!(moved.json, json!({"ok": true, "offset_ms": 90_000_000}));
        let late = Req::signed_at("GET", DETAIL_PATH, &[("id", "1")], now_ms() + 90_000_000)
            .set("app-token", &token)
            .set("X-GW-Router-Addr", SANDBOX_DOMAIN);
        c.send(&late).assert_gateway(ERR_TOKEN_EXPIRED);
        for body in [r#"{"offset": 1}"#, r#"{"offset_ms": "soon"}"#, ""] {
            let reply = control_post(&mut c, "clock", body);
            assert_eq!(reply.status, 400, "{body}");
            assert!(reply.json["error"].as_str().unwrap().contains("offset_ms"));
        }
        sb.set_clock_offset_ms(0);
        assert_eq!(fetch_token(&sb).len(), 32);
    }

    #[test]
    fn latency_delays_member_calls_only() {
        let sb = Sandbox::start(SandboxOptions {
            latency_ms: 400,
            ..SandboxOptions::default()
        })
        .unwrap();
        let timed = |req: &Req| {
            let started = Instant::now();
            let reply = Client::new(&sb).send(req);
            (reply, started.elapsed())
        };
        let (reply, elapsed) = timed(&token_request(SANDBOX_APP_KEY, SANDBOX_APP_SECRET));
        assert!(elapsed < Duration::from_millis(350), "{elapsed:?}");
        let token = reply.json["data"]["app-token"]
            .as_str()
            .unwrap()
            .to_string();
        let detail = Req::business("GET", DETAIL_PATH, &[("id", "1")], &token);
        let (reply, elapsed) = timed(&detail);
        assert_eq!(reply.errcode(), 0);
        assert!(elapsed >= Duration::from_millis(400), "{elapsed:?}");

        sb.set_latency_ms(0);
        let (_, elapsed) = timed(&detail);
        assert!(elapsed < Duration::from_millis(350), "{elapsed:?}");

        let mut c = Client::new(&sb);
        let set = control_post(&mut c, "latency", r#"{"ms": 250}"#);
        assert_eq!(set.json, json!({"ok": true, "ms": 250}));
        let started = Instant::now();
        let saved = save_member(&mut c, &token, &member_a());
        assert!(started.elapsed() >= Duration::from_millis(250));
        assert_eq!(saved.errcode(), 0);
        for body in [r#"{"ms": -1}"#, r#"{"latency": 5}"#, "[]"] {
            let reply = control_post(&mut c, "latency", body);
            assert_eq!(reply.status, 400, "{body}");
            assert!(reply.json["error"].as_str().unwrap().contains("ms"));
        }

        // reset goes back to the options' latency.
        sb.set_latency_ms(0);
        sb.reset();
        let (_, elapsed) = timed(&detail);
        assert!(elapsed >= Duration::from_millis(400), "{elapsed:?}");
    }

    #[test]
    fn issued_tokens_are_listed_oldest_first() {
        let sb = sandbox();
        assert!(sb.issued_tokens().is_empty());
        let first = fetch_token(&sb);
        let second = fetch_token(&sb);
        assert_eq!(sb.issued_tokens(), [first.clone(), second.clone()]);
        let listed = Client::new(&sb).send(&Req::unsigned("GET", "/__sandbox/tokens"));
        assert_eq!(listed.json, json!([first, second]));
        sb.reset();
        assert_eq!(sb.issued_tokens().len(), 2);
        let post = Client::new(&sb).send(&Req::unsigned("POST", "/__sandbox/tokens"));
        assert_eq!(post.status, 405);
    }

    #[test]
    fn reset_clears_faults_clock_and_latency() {
        let sb = sandbox();
        let token = fetch_token(&sb);
        let mut c = Client::new(&sb);
        sb.inject(FaultRule::new(Fault::RateLimited).repeat(5));
        assert_eq!(save_member(&mut c, &token, &member_a()).status, 429);
        assert_eq!(sb.stats().faults_fired, 1);
        sb.set_clock_offset_ms(-600_000);
        sb.set_latency_ms(2_000);

        sb.reset();
        assert!(sb.faults().is_empty());
        assert_eq!(sb.stats(), SandboxStats::default());
        let started = Instant::now();
        // Signed with the machine's time: the offset is gone; fast: the latency is gone.
        assert_eq!(save_member(&mut c, &token, &member_a()).errcode(), 0);
        assert!(started.elapsed() < Duration::from_millis(1_500));

        // Over HTTP too.
        control_post(&mut c, "faults", r#"{"fault": {"kind": "rate_limited"}}"#);
        control_post(&mut c, "clock", r#"{"offset_ms": 600000}"#);
        assert_eq!(control_post(&mut c, "reset", "").json["ok"], true);
        assert!(sb.faults().is_empty());
        assert_eq!(save_member(&mut c, &token, &member_a()).errcode(), 0);
    }
}
