//! `doctor`: what is wrong on this till, found without reading code. Each check gives a
//! verdict and, when it is not ok, what to do: the configuration, DNS, the gateway and
//! TLS, the clock against the gateway's `Date`, the authorization rows, the token, the
//! permission for every API the library uses, and the request budget.

use crate::config::{AppSource, TokenCachePath};
use crate::error::{Error, ErrorKind};
use crate::gateway::authorization;
use crate::gateway::cache_files;
use crate::gateway::engine::Engine;
use crate::gateway::token::Origin;
use crate::kingdee::api;
use crate::kingdee::codes::GatewayCode;
use crate::outbox::store::Outbox;
use serde::Serialize;
use std::net::ToSocketAddrs;
use std::time::Instant;

/// A skew beyond this is worth fixing even though signing corrects for it.
const SKEW_WARN_S: f64 = 5.0;
/// Beyond this the gateway refuses every timestamp the machine's clock would give.
const SKEW_FAIL_S: f64 = 300.0;

/// How a check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Fine.
    Ok,
    /// Works, but should be looked at.
    Warn,
    /// Broken: the advice says what to do.
    Fail,
    /// Could not be checked (an earlier check failed, or it does not apply).
    Skipped,
}

/// One check of [`crate::Client::doctor`].
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    /// What was checked, e.g. `clock` or `permission member list`.
    pub name: String,
    /// How it came out.
    pub verdict: Verdict,
    /// What was found.
    pub detail: String,
    /// What to do, when it is not ok.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub advice: Option<String>,
    /// The kind of error that failed the check, for the checks that depend on it.
    #[serde(skip)]
    cause: Option<ErrorKind>,
}

fn check(name: &str, verdict: Verdict, detail: impl Into<String>, advice: Option<String>) -> Check {
    Check {
        name: name.to_string(),
        verdict,
        detail: detail.into(),
        advice,
        cause: None,
    }
}

fn failed(name: &str, error: &Error) -> Check {
    let mut detail = error.message.clone();
    if let Some(description) = &error.description {
        detail.push_str(&format!(" [{description}]"));
    }
    Check {
        cause: Some(error.kind),
        ..check(name, Verdict::Fail, detail, Some(advice_for(error)))
    }
}

fn advice_for(error: &Error) -> String {
    match (error.kind, error.errcode.and_then(GatewayCode::from_number)) {
        (_, Some(GatewayCode::NoPermission)) => "grant this API to the app in the Kingdee developer console (开发者平台), and check `domain`".into(),
        (_, Some(GatewayCode::Signature | GatewayCode::Credentials(_))) => "check `client_id` and `client_secret` against the Kingdee developer console".into(),
        (_, Some(GatewayCode::Timestamp)) => "set this machine's clock (Windows: w32tm /resync; Linux: timedatectl set-ntp true)".into(),
        (ErrorKind::Network, _) if error.message.contains("TLS") => "if this network inspects TLS, give its CA certificate in `ca_file`; else check the clock and the network".into(),
        (ErrorKind::Network | ErrorKind::Timeout, _) => "check the network, the firewall and `proxy`; the gateway must be reachable on port 443".into(),
        (ErrorKind::RateLimited, _) => "the account's request budget is spent for now; wait a minute, and share one budget between the tills (token_cache_path)".into(),
        (ErrorKind::Config, _) => "correct the configuration as the message says".into(),
        _ => "see the message; Kingdee's own words are in brackets".into(),
    }
}

/// The host and port of `base_url`.
fn host_and_port(base_url: &str) -> Option<(String, u16)> {
    let url = url::Url::parse(base_url).ok()?;
    Some((
        url.host_str()?.trim_matches(['[', ']']).to_string(),
        url.port_or_known_default()?,
    ))
}

fn dns(name: &str, target: &str) -> Check {
    let Some((host, port)) = host_and_port(target) else {
        return check(
            name,
            Verdict::Skipped,
            format!("{target} names no host"),
            None,
        );
    };
    match (host.as_str(), port).to_socket_addrs() {
        Ok(mut addrs) => match addrs.next() {
            Some(addr) => check(
                name,
                Verdict::Ok,
                format!("{host} resolves to {}", addr.ip()),
                None,
            ),
            None => check(
                name,
                Verdict::Fail,
                format!("{host} resolves to nothing"),
                Some("check the network's DNS".into()),
            ),
        },
        Err(e) => check(
            name,
            Verdict::Fail,
            format!("{host} cannot be resolved ({e})"),
            Some("check the network's DNS, or set `proxy` to a proxy that resolves names for this till".into()),
        ),
    }
}

fn configuration(engine: &Engine, outbox: Option<&Outbox>) -> Check {
    let config = engine.config();
    let mode = match &config.app_source {
        AppSource::Direct(app) => format!("direct mode (app key {})", app.app_key),
        AppSource::Authorize { account_id, .. } => format!(
            "authorization mode{}",
            account_id
                .as_ref()
                .map(|a| format!(", account {a}"))
                .unwrap_or_default()
        ),
    };
    let cache = match &config.token_cache {
        TokenCachePath::Off => "token cache off".to_string(),
        TokenCachePath::File(_) | TokenCachePath::PerUser => match cache_files::token_cache_file(config) {
            Ok(Some(path)) => format!("token cache {}", path.display()),
            Ok(None) => "token cache off".to_string(),
            Err(why) => return check("configuration", Verdict::Warn, why, Some("give `token_cache_path` a file in a folder only this user can write to, or the till fetches a token per process".into())),
        },
    };
    let budget = match &config.request_budget {
        Some(b) => format!("request budget {} per {} s", b.requests, b.window.as_secs()),
        None => "request budget off".to_string(),
    };
    let mut detail = format!("{mode}, {}, {cache}, {budget}", config.base_url);
    if config.proxy.is_some() {
        detail.push_str(", through a proxy");
    }
    if let Some(ca) = &config.ca_file {
        detail.push_str(&format!(", extra CA {}", ca.display()));
    }
    if let Some(outbox) = outbox {
        let queued = outbox.status().map(|s| s.queued).unwrap_or(0);
        detail.push_str(&format!(", outbox with {queued} queued"));
    }
    check("configuration", Verdict::Ok, detail, None)
}

fn clock(engine: &Engine) -> Check {
    let skew = engine.clock_offset_ms() as f64 / 1000.0;
    let detail = if skew.abs() < 1.5 {
        "this machine's clock agrees with the gateway's (within the Date header's second)"
            .to_string()
    } else {
        format!(
            "this machine's clock is {:.0} s {} the gateway's",
            skew.abs(),
            if skew > 0.0 { "behind" } else { "ahead of" }
        )
    };
    let advice = Some("set the clock (Windows: w32tm /resync; Linux: timedatectl set-ntp true); requests are signed with the gateway's time meanwhile".to_string());
    match skew.abs() {
        s if s > SKEW_FAIL_S => check(
            "clock",
            Verdict::Fail,
            format!("{detail}: beyond the gateway's 5 minutes"),
            advice,
        ),
        s if s > SKEW_WARN_S => check("clock", Verdict::Warn, detail, advice),
        _ => check("clock", Verdict::Ok, detail, None),
    }
}

fn authorization(engine: &Engine) -> Check {
    let AppSource::Authorize {
        outer_instance_id,
        account_id,
    } = &engine.config().app_source
    else {
        return check(
            "authorization",
            Verdict::Skipped,
            "direct mode: the app key, secret and domain are configured",
            None,
        );
    };
    let deadline = Instant::now() + engine.deadline();
    match engine.authorization_rows(outer_instance_id, deadline) {
        Err(e) => failed("authorization", &e),
        Ok(rows) => {
            let accounts = authorization::authorized_accounts(&rows);
            let valid: Vec<_> = accounts.iter().filter(|a| a.valid).collect();
            let listed: Vec<String> = accounts
                .iter()
                .map(|a| {
                    format!(
                        "{} {} ({})",
                        a.account_id,
                        a.account_name,
                        if a.valid { "valid" } else { "not valid" }
                    )
                })
                .collect();
            let used = match (account_id, valid.as_slice()) {
                (_, []) => None,
                (Some(wanted), _) => valid
                    .iter()
                    .find(|a| &a.account_id == wanted)
                    .map(|a| a.account_id.clone()),
                (None, [one]) => Some(one.account_id.clone()),
                (None, _) => None,
            };
            match used {
                Some(used) => check("authorization", Verdict::Ok, format!("{} account(s): {}; using {used}", accounts.len(), listed.join(", ")), None),
                None if valid.is_empty() => check("authorization", Verdict::Fail, format!("no valid account among {}", listed.join(", ")), Some("authorize the app for the shop's account in Kingdee (the row's status must be 1)".into())),
                None => check("authorization", Verdict::Fail, format!("{} valid accounts: {}", valid.len(), listed.join(", ")), Some("set `account_id` to the account this till saves members into".into())),
            }
        }
    }
}

fn token_check(engine: &Engine) -> Check {
    match engine.token(Instant::now() + engine.deadline()) {
        Err(e) => failed("token", &e),
        Ok(token) => {
            let from = match token.origin {
                Origin::Fetched => "fetched from the token endpoint",
                Origin::File => "taken from the token cache file",
            };
            let hours = token.refresh_in().as_secs_f64() / 3600.0;
            check(
                "token",
                Verdict::Ok,
                format!("app-token {from}; renewed in {hours:.1} h"),
                None,
            )
        }
    }
}

/// The query of a read.
type Params = Vec<(String, String)>;

/// A harmless read of each API the library uses.
fn permissions(engine: &Engine) -> Vec<Check> {
    let page = || {
        vec![
            ("page".to_string(), "1".to_string()),
            ("page_size".to_string(), "1".to_string()),
        ]
    };
    let reads: [(&str, &str, Params); 6] = [
        (
            "permission member detail",
            api::MEMBER_DETAIL,
            vec![("mobile".to_string(), "13000000000".to_string())],
        ),
        ("permission member list", api::MEMBER, page()),
        ("permission store list", api::STORE, page()),
        ("permission member level list", api::MEMBER_LEVEL, page()),
        ("permission customer list", api::CUSTOMER, page()),
        ("permission label list", api::LABEL, page()),
    ];
    reads
        .into_iter()
        .map(|(name, path, params)| {
            // Labels go as given unless the configuration resolves them: no save reads the
            // label list then, so its permission is not needed.
            if path == api::LABEL && !engine.config().labels.resolved() {
                return check(
                    name,
                    Verdict::Skipped,
                    format!("not needed: labels are sent as given (\"labels\": \"as_given\"); GET {path} is read only with \"labels\": \"resolve_to_ids\""),
                    None,
                );
            }
            let result = engine.read(path, &params, name, None, Instant::now() + engine.deadline());
            match result {
                Ok(_) => check(name, Verdict::Ok, format!("GET {path} answered"), None),
                // A member that does not exist is a fine answer to a lookup.
                Err(e) if path == api::MEMBER_DETAIL && e.kind == ErrorKind::Api => check(
                    name,
                    Verdict::Ok,
                    format!("GET {path} answered (no such member)"),
                    None,
                ),
                Err(e) => {
                    let mut named = failed(name, &e);
                    named.detail = format!("GET {path}: {}", named.detail);
                    named
                }
            }
        })
        .collect()
}

fn budget(engine: &Engine, seen: &[Check]) -> Check {
    let limited = seen.iter().any(|c| c.cause == Some(ErrorKind::RateLimited));
    match (engine.budget(), limited) {
        (_, true) => check("request budget", Verdict::Warn, "the gateway rate-limited these checks", Some("other tills or programs share this account's budget; give them one token_cache_path folder on a machine, and spread imports".into())),
        (Some(b), false) => {
            let configured = b.configured();
            check("request budget", Verdict::Ok, format!("{} requests per {} s, now {:.1} per second", configured.requests, configured.window.as_secs(), b.rate_per_s()), None)
        }
        (None, false) => check("request budget", Verdict::Warn, "off: nothing paces this client", Some("keep `request_budget` on unless another layer paces requests; Kingdee allows about 500 a minute per account".into())),
    }
}

/// Every check, in the order a person would look.
pub(crate) fn run(engine: &Engine, outbox: Option<&Outbox>) -> Vec<Check> {
    let mut checks = vec![
        configuration(engine, outbox),
        dns("dns", &engine.config().base_url),
    ];
    if let Some(proxy) = &engine.config().proxy {
        checks.push(dns("dns proxy", proxy));
    }
    // The first signed exchange: it proves the route and TLS, and teaches the clock.
    let reached = match &engine.config().app_source {
        AppSource::Authorize { .. } => authorization(engine),
        AppSource::Direct(_) => token_check(engine),
    };
    // Any answer, even a refusal, proves the gateway reachable; only a failure to talk fails it.
    let gateway_ok = !matches!(reached.cause, Some(ErrorKind::Network | ErrorKind::Timeout));
    checks.push(match (gateway_ok, &reached) {
        (true, _) => check(
            "gateway",
            Verdict::Ok,
            format!(
                "{} answered over {}",
                engine.config().base_url,
                if engine.config().base_url.starts_with("https") {
                    "TLS"
                } else {
                    "plain http (loopback)"
                }
            ),
            None,
        ),
        (false, r) => check("gateway", Verdict::Fail, r.detail.clone(), r.advice.clone()),
    });
    checks.push(clock(engine));
    let mut rest = Vec::new();
    if gateway_ok {
        if matches!(engine.config().app_source, AppSource::Authorize { .. }) {
            rest.push(reached);
            rest.push(token_check(engine));
        } else {
            rest.push(check(
                "authorization",
                Verdict::Skipped,
                "direct mode: the app key, secret and domain are configured",
                None,
            ));
            rest.push(reached);
        }
        if rest.iter().all(|c| c.verdict != Verdict::Fail) {
            rest.extend(permissions(engine));
        } else {
            rest.push(check(
                "permission",
                Verdict::Skipped,
                "needs a token first",
                None,
            ));
        }
    }
    // Another look at the clock after more answers came back.
    if let Some(clock_check) = checks.iter_mut().find(|c| c.name == "clock") {
        *clock_check = clock(engine);
    }
    checks.extend(rest);
    let budget_check = budget(engine, &checks);
    checks.push(budget_check);
    checks
}
