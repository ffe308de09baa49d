//! Authorization and app-tokens: the rows `push_app_authorize` answers, the tokens
//! `kingdee_auth_token` issues, and the check of `app-token` on business calls.
//!
//! Unknown upstream, and the sandbox's choices: an unknown `outerInstanceId` answers HTTP
//! 200 with errcode 1030002001; an unknown `app_key` 1030002002; a wrong `app_signature`
//! 1030002006 "app secret check failed". Tokens are 32 random hex characters. A token
//! belongs to the app secret it was issued under: after a rotation it answers
//! 519/1030002006 on business paths; rotating back revives it.

use crate::http::Request;
use crate::{
    SANDBOX_APP_KEY, SANDBOX_APP_SECRET, SANDBOX_CLIENT_ID, SANDBOX_DOMAIN,
    SANDBOX_OUTER_INSTANCE_ID,
};
use jdy_member::codes::GatewayCode;
use jdy_member::signing;
use serde_json::{json, Value};
use std::collections::HashMap;

/// Unknown upstream: the sandbox's code for an unknown `outerInstanceId`.
pub const ERR_NOT_AUTHORIZED: i64 = 1_030_002_001;
/// Unknown upstream: the sandbox's code for an unknown `app_key`.
pub const ERR_APP_KEY: i64 = 1_030_002_002;

/// The expired authorization row: different key, secret and domain, so that a client that
/// takes the first row instead of the valid one fails visibly.
const EXPIRED_APP_KEY: &str = "sandbox-app-key-expired";
const EXPIRED_APP_SECRET: &str = "sandbox-app-secret-expired-not-real";
const EXPIRED_DOMAIN: &str = "https://expired.sandbox.jdy.invalid";
const ACCOUNT_NAME: &str = "沙箱测试账套";
/// Bound on remembered tokens, so a token loop cannot grow memory without limit.
const MAX_TOKENS: usize = 10_000;

/// A token as issued, remembered to tell invalid from expired from rotated.
struct Issued {
    expires_ms: u64,
    app_secret: String,
    serial: u64,
}

/// The app secret and every token issued.
pub(crate) struct Tokens {
    app_secret: String,
    issued: HashMap<String, Issued>,
    serial: u64,
}

impl Tokens {
    pub fn new() -> Tokens {
        Tokens {
            app_secret: SANDBOX_APP_SECRET.to_string(),
            issued: HashMap::new(),
            serial: 0,
        }
    }

    pub fn app_secret(&self) -> &str {
        &self.app_secret
    }

    /// Replaces the app secret, as Kingdee's rotation does.
    pub fn rotate(&mut self, secret: &str) {
        self.app_secret = secret.to_string();
    }

    /// Back to the original secret; issued tokens are kept.
    pub fn reset(&mut self) {
        self.app_secret = SANDBOX_APP_SECRET.to_string();
    }

    /// Makes every token issued so far expired; says how many.
    pub fn expire_all(&mut self) -> usize {
        for token in self.issued.values_mut() {
            token.expires_ms = 0;
        }
        self.issued.len()
    }

    /// Every token issued, oldest first.
    pub fn list(&self) -> Vec<String> {
        let mut tokens: Vec<(&String, u64)> =
            self.issued.iter().map(|(k, t)| (k, t.serial)).collect();
        tokens.sort_by_key(|&(_, serial)| serial);
        tokens.into_iter().map(|(k, _)| k.clone()).collect()
    }

    fn remember(&mut self, token: String, expires_ms: u64) {
        if self.issued.len() >= MAX_TOKENS {
            let oldest = self
                .issued
                .iter()
                .min_by_key(|(_, t)| t.serial)
                .map(|(k, _)| k.clone());
            if let Some(oldest) = oldest {
                self.issued.remove(&oldest);
            }
        }
        self.serial += 1;
        let issued = Issued {
            expires_ms,
            app_secret: self.app_secret.clone(),
            serial: self.serial,
        };
        self.issued.insert(token, issued);
    }

    /// The `app-token` and router checks of a business call, in Kingdee's order; the
    /// token's serial (1 for the first issued) when it passes.
    pub fn check(&self, req: &Request, now: u64) -> Result<u64, i64> {
        let token = match req.header("app-token") {
            Some(token) if !token.is_empty() => token,
            _ => return Err(GatewayCode::TokenEmpty.number()),
        };
        let Some(issued) = self.issued.get(token) else {
            return Err(GatewayCode::TokenInvalid.number());
        };
        if now >= issued.expires_ms {
            return Err(GatewayCode::TokenExpired.number());
        }
        if issued.app_secret != self.app_secret {
            return Err(GatewayCode::AppSecretRotated.number());
        }
        // Unknown upstream: a wrong or missing router answers 4012; compared exactly.
        if req.header("x-gw-router-addr") != Some(SANDBOX_DOMAIN) {
            return Err(GatewayCode::NoPermission.number());
        }
        Ok(issued.serial)
    }

    /// The token endpoint: a token for the right app key and signature, or the business
    /// error (errcode, description) saying why not.
    pub fn issue(
        &mut self,
        req: &Request,
        now: u64,
        ttl_ms: u64,
    ) -> Result<Value, (i64, &'static str)> {
        let params = req.params();
        if params.get("app_key").map(String::as_str) != Some(SANDBOX_APP_KEY) {
            return Err((ERR_APP_KEY, "app_key不存在或未授权"));
        }
        let given = params.get("app_signature").map_or("", String::as_str);
        let expected = signing::app_signature(SANDBOX_APP_KEY, &self.app_secret);
        if !crate::gateway::constant_time_eq(given.as_bytes(), expected.as_bytes()) {
            return Err((
                GatewayCode::AppSecretRotated.number(),
                "app secret check failed",
            ));
        }
        let token = random_token();
        let expires = now.saturating_add(ttl_ms);
        self.remember(token.clone(), expires);
        Ok(json!({
            "app-token": token,
            "access_token": random_token(),
            "expires": expires,
            "uid": "sandbox-uid",
        }))
    }

    /// The authorization rows for the request's `outerInstanceId`: an expired one and the
    /// valid one (`status` a JSON number), or None for an unknown id.
    pub fn authorization_rows(&self, req: &Request) -> Option<Value> {
        let params = req.params();
        if params.get("outerInstanceId").map(String::as_str) != Some(SANDBOX_OUTER_INSTANCE_ID) {
            return None;
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
            "appSecret": self.app_secret,
            "domain": SANDBOX_DOMAIN,
            "accountId": "sandbox-account",
            "accountName": ACCOUNT_NAME,
            "clientId": SANDBOX_CLIENT_ID,
            "outerInstanceId": SANDBOX_OUTER_INSTANCE_ID,
            "status": 1,
        });
        Some(json!([expired, valid]))
    }
}

fn random_token() -> String {
    format!("{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_client::*;
    use crate::{Behaviour, Limit, Sandbox, SandboxOptions};
    use jdy_member::api;

    #[test]
    fn token_answer_has_the_hyphenated_key_and_expiry() {
        let sb = sandbox();
        let before = now_ms();
        let reply = Conn::new(&sb).send(&token_request(SANDBOX_APP_KEY, SANDBOX_APP_SECRET));
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
        let mut c = Conn::new(&sb);
        let authorize = |id: &str| Req::signed("POST", api::AUTHORIZE, &[("outerInstanceId", id)]);
        let reply = c.send(&authorize(SANDBOX_OUTER_INSTANCE_ID));
        assert_eq!((reply.status, reply.errcode()), (200, 0));
        let rows = reply.json["data"].as_array().unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0]["status"], 0);
        assert_ne!(rows[0]["appKey"], SANDBOX_APP_KEY);
        let valid = &rows[1];
        assert_eq!(valid["status"], 1);
        assert_eq!(valid["appKey"], SANDBOX_APP_KEY);
        assert_eq!(valid["appSecret"], SANDBOX_APP_SECRET);
        assert_eq!(valid["domain"], SANDBOX_DOMAIN);
        assert_eq!(valid["accountName"], "沙箱测试账套");
        assert_eq!(valid["clientId"], SANDBOX_CLIENT_ID);
        assert!(valid["accountId"].is_string());

        sb.rotate_app_secret("rotated-secret");
        let reply = c.send(&authorize(SANDBOX_OUTER_INSTANCE_ID));
        assert_eq!(reply.json["data"][1]["appSecret"], "rotated-secret");
        let wrong = c.send(&authorize("someone-else"));
        assert_eq!(
            (wrong.status, wrong.errcode()),
            (200, ERR_NOT_AUTHORIZED as u64)
        );
        assert_eq!(wrong.json["data"], Value::Null);
        let missing = c.send(&Req::signed("POST", api::AUTHORIZE, &[]));
        assert_eq!(missing.errcode(), ERR_NOT_AUTHORIZED as u64);
    }

    #[test]
    fn token_endpoint_business_errors() {
        let sb = sandbox();
        let mut c = Conn::new(&sb);
        let unknown = c.send(&token_request("other-key", SANDBOX_APP_SECRET));
        assert_eq!(
            (unknown.status, unknown.errcode()),
            (200, ERR_APP_KEY as u64)
        );
        let wrong = c.send(&token_request(SANDBOX_APP_KEY, "wrong-secret"));
        assert_eq!((wrong.status, wrong.errcode()), (200, 1_030_002_006));
        assert_eq!(wrong.json["description"], "app secret check failed");
        assert_eq!(wrong.json["data"], Value::Null);
    }

    #[test]
    fn token_rejections_on_business_paths() {
        let sb = sandbox();
        let token = fetch_token(&sb);
        let mut c = Conn::new(&sb);
        let detail = |token: &str| Req::business("GET", api::MEMBER_DETAIL, &[("id", "1")], token);

        c.send(&detail(&token).remove("app-token"))
            .assert_gateway(4009);
        c.send(&detail("")).assert_gateway(4009);
        c.send(&detail("not-a-token")).assert_gateway(4010);
        c.send(&detail(&token).remove("X-GW-Router-Addr"))
            .assert_gateway(4012);
        assert_eq!(c.send(&detail(&token)).errcode(), 0);

        sb.expire_tokens();
        c.send(&detail(&token)).assert_gateway(4011);
        let fresh = fetch_token(&sb);
        assert_eq!(c.send(&detail(&fresh)).errcode(), 0);

        sb.rotate_app_secret("the-new-secret");
        c.send(&detail(&fresh)).assert_gateway(1_030_002_006);
        // The old secret no longer gets a token; the new one does, and it works.
        let old = c.send(&token_request(SANDBOX_APP_KEY, SANDBOX_APP_SECRET));
        assert_eq!(old.errcode(), 1_030_002_006);
        let renewed = c.send(&token_request(SANDBOX_APP_KEY, "the-new-secret"));
        let renewed = renewed.json["data"]["app-token"]
            .as_str()
            .unwrap()
            .to_string();
        assert_eq!(c.send(&detail(&renewed)).errcode(), 0);
        assert_eq!(sb.client_config()["app_secret"], "the-new-secret");

        // Auth checks come before the body is looked at.
        let save = Req::business("POST", api::MEMBER, &[], "not-a-token").json(&member_a());
        c.send(&save).assert_gateway(4010);
        assert!(sb.members().is_empty());
    }

    #[test]
    fn token_lifetime_follows_the_options() {
        let sb = Sandbox::start(SandboxOptions {
            token_ttl_ms: 1,
            ..options()
        })
        .unwrap();
        let token = fetch_token(&sb);
        std::thread::sleep(std::time::Duration::from_millis(5));
        Conn::new(&sb)
            .send(&Req::business(
                "GET",
                api::MEMBER_DETAIL,
                &[("id", "1")],
                &token,
            ))
            .assert_gateway(4011);
    }

    #[test]
    fn the_token_endpoint_allows_two_calls_a_minute() {
        let sb = Sandbox::start(SandboxOptions {
            behaviour: Behaviour {
                token_limit: Some(Limit {
                    requests: 2,
                    window_ms: 60_000,
                }),
                ..Behaviour::unlimited()
            },
            ..SandboxOptions::default()
        })
        .unwrap();
        let mut c = Conn::new(&sb);
        for _ in 0..2 {
            assert_eq!(
                c.send(&token_request(SANDBOX_APP_KEY, SANDBOX_APP_SECRET))
                    .errcode(),
                0
            );
        }
        let third = c.send(&token_request(SANDBOX_APP_KEY, SANDBOX_APP_SECRET));
        assert_eq!(third.status, 429);
        assert!(
            third.json["description"]
                .as_str()
                .unwrap()
                .contains("已被限流"),
            "{third:?}"
        );
        let wait: u64 = third.header("Retry-After").unwrap().parse().unwrap();
        assert!((55..=60).contains(&wait), "{wait}");
        assert_eq!(sb.issued_tokens().len(), 2, "a refused call issues nothing");
    }

    #[test]
    fn issued_tokens_are_listed_oldest_first() {
        let sb = sandbox();
        assert!(sb.issued_tokens().is_empty());
        let first = fetch_token(&sb);
        let second = fetch_token(&sb);
        assert_eq!(sb.issued_tokens(), [first.clone(), second.clone()]);
        let listed = Conn::new(&sb).send(&Req::unsigned("GET", "/__sandbox/tokens"));
        assert_eq!(listed.json, json!([first, second]));
        sb.reset();
        assert_eq!(sb.issued_tokens().len(), 2);
    }
}
