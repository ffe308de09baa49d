//! How a sandbox starts, and the behaviours of Kingdee's that are not documented: each is a
//! named switch, so that tests can play every plausible form of it (see the crate docs'
//! parity table).

use jdy_member::api;
use serde::{Deserialize, Serialize};

/// At most `requests` per `window_ms`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limit {
    /// Requests allowed per window.
    pub requests: u32,
    /// The window, in ms.
    pub window_ms: u64,
}

/// What a save of a mobile that is already stored does. Unknown upstream.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DuplicateMobile {
    /// Refused with a business errcode and a 组合值与其他表单重复-style description, as other
    /// JDY saves refuse duplicates (notes §6): the default, being the only form on record.
    Refuse,
    /// Updates the stored member and keeps its id.
    Update,
}

/// How member_detail says "no such member". Unknown upstream.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotFound {
    /// Success with `data: null` (the default).
    Null,
    /// A business errcode (`1000000003 会员不存在`), HTTP 200.
    Errcode,
    /// Success with `data: {}`.
    Empty,
}

/// What a member's `label` holds. Unknown upstream: the seed types it as a list of strings
/// and calls it 标签, without the word id the other references carry (notes §6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LabelReading {
    /// Label names, stored exactly as given: the default, being the reading under which a
    /// client that sends what it was given loses nothing (under `ids` such a client is
    /// refused, and told; under `names` a client that rewrote names to ids would store
    /// meaningless labels, and nobody would be told).
    Names,
    /// Ids of the label list (`GET /jdy/v2/bd/label`); a save with any other label is
    /// refused, naming it (`标签不存在: VIP`).
    Ids,
}

/// How the gateway counts its rate limits. Unknown upstream.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Window {
    /// Any window of that length (the default: the stricter reading).
    Sliding,
    /// Windows that start at multiples of the length.
    Fixed,
}

/// The gateway's behaviours that public sources do not settle, and the documented limits
/// tests may scale. Switchable while running (`Sandbox::set_behaviour`,
/// `POST /__sandbox/behaviour`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Behaviour {
    /// Save of an existing mobile.
    pub duplicate_mobile: DuplicateMobile,
    /// Detail of a missing member.
    pub detail_not_found: NotFound,
    /// Personal fields (mobile, address, detail_address) of every answer encrypted as notes
    /// §6 describe; documented, default on.
    pub encryption: bool,
    /// The account's budget over every business call (documented: about 500 a minute);
    /// None turns it off.
    pub account_budget: Option<Limit>,
    /// The token endpoint's limit (documented: about 2 a minute); None turns it off.
    pub token_limit: Option<Limit>,
    /// Sliding or fixed windows for both limits.
    pub window: Window,
    /// Whether a 429 says when to come back (`Retry-After`). Unknown upstream.
    pub retry_after: bool,
    /// Business paths this app has no permission for (519/4012), as when an API was not
    /// granted to the app in Kingdee's developer console.
    pub denied_paths: Vec<String>,
    /// Business paths the gateway does not know (519/5001), as when an API is not offered
    /// to this account or app at all.
    pub missing_paths: Vec<String>,
    /// What a member's `label` holds.
    pub labels: LabelReading,
}

impl Default for Behaviour {
    fn default() -> Self {
        Behaviour {
            duplicate_mobile: DuplicateMobile::Refuse,
            detail_not_found: NotFound::Null,
            encryption: true,
            account_budget: Some(Limit {
                requests: api::ACCOUNT_BUDGET_REQUESTS,
                window_ms: u64::from(api::ACCOUNT_BUDGET_WINDOW_S) * 1000,
            }),
            token_limit: Some(Limit {
                requests: api::TOKEN_CALLS_PER_MINUTE,
                window_ms: 60_000,
            }),
            window: Window::Sliding,
            retry_after: true,
            denied_paths: Vec::new(),
            missing_paths: Vec::new(),
            labels: LabelReading::Names,
        }
    }
}

impl Behaviour {
    /// Every combination of the unknown switches (duplicates × not-found × encryption),
    /// with the given limits: what a client must be right under.
    pub fn every_unknown(base: &Behaviour) -> Vec<Behaviour> {
        let mut all = Vec::new();
        for duplicate_mobile in [DuplicateMobile::Refuse, DuplicateMobile::Update] {
            for detail_not_found in [NotFound::Null, NotFound::Errcode, NotFound::Empty] {
                for encryption in [true, false] {
                    all.push(Behaviour {
                        duplicate_mobile,
                        detail_not_found,
                        encryption,
                        ..base.clone()
                    });
                }
            }
        }
        all
    }

    /// The defaults without the rate limits (for tests that count other things).
    pub fn unlimited() -> Behaviour {
        Behaviour {
            account_budget: None,
            token_limit: None,
            ..Behaviour::default()
        }
    }
}

/// A TLS certificate the sandbox serves, good or deliberately bad.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Certificate {
    /// Issued by the sandbox's CA for 127.0.0.1 and localhost.
    Valid,
    /// Issued by the sandbox's CA for another host name.
    WrongHost,
    /// Issued by the sandbox's CA, expired yesterday.
    Expired,
}

/// How to start a sandbox.
#[derive(Clone, Debug)]
pub struct SandboxOptions {
    /// Port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// Lifetime of an issued app-token (Kingdee: 24 hours).
    pub token_ttl_ms: u64,
    /// Accepted distance between `X-Api-TimeStamp` and the sandbox clock (Kingdee: 5 minutes).
    pub timestamp_window_ms: u64,
    /// Extra latency of every processed business call; see `Sandbox::set_latency_ms`.
    pub latency_ms: u64,
    /// How far the sandbox clock runs off the machine's; see `Sandbox::set_clock_offset_ms`.
    pub clock_offset_ms: i64,
    /// The switches and limits.
    pub behaviour: Behaviour,
    /// Serve HTTPS with this certificate instead of plain HTTP.
    pub tls: Option<Certificate>,
}

impl Default for SandboxOptions {
    fn default() -> Self {
        SandboxOptions {
            port: 0,
            token_ttl_ms: api::TOKEN_LIFETIME_MS,
            timestamp_window_ms: api::TIMESTAMP_WINDOW_MS,
            latency_ms: 0,
            clock_offset_ms: 0,
            behaviour: Behaviour::default(),
            tls: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_model_the_notes_and_every_unknown_is_enumerated() {
        let b = Behaviour::default();
        assert_eq!(
            b.account_budget,
            Some(Limit {
                requests: 500,
                window_ms: 60_000
            })
        );
        assert_eq!(
            b.token_limit,
            Some(Limit {
                requests: 2,
                window_ms: 60_000
            })
        );
        assert!(b.encryption);
        assert_eq!(
            b.labels,
            LabelReading::Names,
            "the reading that loses nothing"
        );
        let all = Behaviour::every_unknown(&b);
        assert_eq!(all.len(), 12);
        let parsed: Behaviour =
            serde_json::from_str(r#"{"duplicate_mobile": "update", "account_budget": null}"#)
                .unwrap();
        assert_eq!(parsed.duplicate_mobile, DuplicateMobile::Update);
        assert_eq!(parsed.account_budget, None);
        let parsed: Behaviour =
            serde_json::from_str(r#"{"labels": "ids", "missing_paths": ["/jdy/v2/bd/label"]}"#)
                .unwrap();
        assert_eq!(parsed.labels, LabelReading::Ids);
        assert_eq!(parsed.missing_paths, ["/jdy/v2/bd/label"]);
        assert!(serde_json::from_str::<Behaviour>(r#"{"labels": "numbers"}"#).is_err());
        assert!(parsed.encryption, "unnamed switches keep their defaults");
        assert!(serde_json::from_str::<Behaviour>(r#"{"duplicates": "update"}"#).is_err());
    }
}
