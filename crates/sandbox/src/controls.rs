//! The unsigned `/__sandbox/*` controls, for tests in other languages running
//! `jdy-member sandbox`. Bad bodies answer 400 `{"ok": false, "error": "<what is wrong>"}`,
//! a wrong method 405, an unknown name 404. Control calls are not counted.

use crate::faults::parse_rules;
use crate::http::{Request, Response};
use crate::options::Behaviour;
use crate::state::Shared;
use crate::CONTROL_PREFIX;
use serde::Deserialize;
use serde_json::{json, Value};

const NAMES: [&str; 12] = [
    "stats",
    "members",
    "config",
    "reset",
    "expire_tokens",
    "rotate_app_secret",
    "faults",
    "clock",
    "tokens",
    "latency",
    "behaviour",
    "arrivals",
];

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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SecretBody {
    app_secret: String,
}

fn bad_body(why: &str) -> Response {
    Response::json(400, &json!({"ok": false, "error": why}))
}

/// A control body of type `T`, or what is wrong with it (`shape` shows the expected body).
fn parse<T: serde::de::DeserializeOwned>(body: &[u8], shape: &str) -> Result<T, String> {
    serde_json::from_slice(body).map_err(|e| format!("{e}; the body must be {shape}"))
}

/// Applies a partial `Behaviour` (the keys given) over `current`.
fn merged_behaviour(current: &Behaviour, body: &[u8]) -> Result<Behaviour, String> {
    const SHAPE: &str = r#"an object of switches, e.g. {"duplicate_mobile": "update", "detail_not_found": "errcode", "encryption": false, "account_budget": {"requests": 50, "window_ms": 6000}}"#;
    let changes: Value =
        serde_json::from_slice(body).map_err(|e| format!("{e}; the body must be {SHAPE}"))?;
    let Value::Object(changes) = changes else {
        return Err(format!("the body must be {SHAPE}"));
    };
    let mut merged = serde_json::to_value(current).map_err(|e| e.to_string())?;
    for (key, value) in changes {
        merged[key] = value;
    }
    serde_json::from_value(merged).map_err(|e| format!("{e}; the body must be {SHAPE}"))
}

impl Shared {
    /// A request under `/__sandbox/`: a read (GET) or a change (POST, DELETE).
    pub(crate) fn control(&self, req: &Request) -> Response {
        let name = req.path.strip_prefix(CONTROL_PREFIX).unwrap_or("");
        let answered = match req.method.as_str() {
            "GET" => self.read_control(name),
            "POST" | "DELETE" => self.change_control(&req.method, name, &req.body),
            _ => None,
        };
        match answered {
            Some(response) => response,
            None if NAMES.contains(&name) => Response::json(
                405,
                &json!({"ok": false, "error": "method not allowed on this control path"}),
            ),
            None => Response::json(
                404,
                &json!({"ok": false, "error": "unknown sandbox control path"}),
            ),
        }
    }

    /// `GET /__sandbox/<name>`; None for a name that cannot be read.
    fn read_control(&self, name: &str) -> Option<Response> {
        let value = match name {
            "stats" => serde_json::to_value(self.lock().stats.clone()).unwrap_or(Value::Null),
            "members" => Value::Array(self.lock().store.records()),
            "config" => json!({
                "direct": self.client_config(),
                "outer": self.client_config_outer(),
            }),
            "faults" => serde_json::to_value(self.lock().faults.list()).unwrap_or(Value::Null),
            "behaviour" => serde_json::to_value(&self.lock().behaviour).unwrap_or(Value::Null),
            "arrivals" => serde_json::to_value(&self.lock().arrivals).unwrap_or(Value::Null),
            "tokens" => json!(self.lock().tokens.list()),
            _ => return None,
        };
        Some(Response::json(200, &value))
    }

    /// `POST` or `DELETE /__sandbox/<name>` with `body`; None for a change there is not.
    fn change_control(&self, method: &str, name: &str, body: &[u8]) -> Option<Response> {
        let answer = match (method, name) {
            ("POST", "reset") => {
                self.reset();
                Ok(json!({"ok": true}))
            }
            ("POST", "expire_tokens") => {
                let expired = self.lock().tokens.expire_all();
                Ok(json!({"ok": true, "expired": expired}))
            }
            ("POST", "rotate_app_secret") => self.rotate_app_secret(body),
            ("POST", "faults") => parse_rules(body).map(|rules| {
                let added = rules.len();
                let pending = self.lock().faults.add(rules);
                json!({"ok": true, "added": added, "pending": pending})
            }),
            ("DELETE", "faults") => {
                let cleared = self.lock().faults.clear();
                Ok(json!({"ok": true, "cleared": cleared}))
            }
            ("POST", "clock") => parse::<ClockBody>(body, r#"{"offset_ms": <integer>}"#).map(
                |ClockBody { offset_ms }| {
                    self.clock.set_offset_ms(offset_ms);
                    json!({"ok": true, "offset_ms": offset_ms})
                },
            ),
            ("POST", "latency") => parse::<LatencyBody>(body, r#"{"ms": <non-negative integer>}"#)
                .map(|LatencyBody { ms }| {
                    self.set_latency_ms(ms);
                    json!({"ok": true, "ms": ms})
                }),
            ("POST", "behaviour") => self.change_behaviour(body),
            _ => return None,
        };
        Some(match answer {
            Ok(body) => Response::json(200, &body),
            Err(why) => bad_body(&why),
        })
    }

    fn rotate_app_secret(&self, body: &[u8]) -> Result<Value, String> {
        const SHAPE: &str = r#"{"app_secret": "<non-empty string>"}"#;
        match parse::<SecretBody>(body, SHAPE)? {
            SecretBody { app_secret } if !app_secret.is_empty() => {
                self.lock().tokens.rotate(&app_secret);
                Ok(json!({"ok": true}))
            }
            _ => Err(format!("the body must be {SHAPE}")),
        }
    }

    fn change_behaviour(&self, body: &[u8]) -> Result<Value, String> {
        let mut state = self.lock();
        let behaviour = merged_behaviour(&state.behaviour, body)?;
        state.behaviour = behaviour;
        state.budget.clear();
        state.token_limit.clear();
        Ok(json!({"ok": true, "behaviour": state.behaviour}))
    }
}

#[cfg(test)]
mod tests {
    use crate::test_client::*;
    use crate::{Fault, FaultRule, SandboxStats, SANDBOX_APP_SECRET};
    use jdy_member::api;
    use serde_json::json;

    #[test]
    fn control_endpoints_over_http() {
        let sb = sandbox();
        let token = fetch_token(&sb);
        let mut c = Conn::new(&sb);
        save_member(&mut c, &token, &member_a());

        let stats = c.send(&Req::unsigned("GET", "/__sandbox/stats"));
        assert_eq!(stats.status, 200);
        assert_eq!(stats.json["save_calls"], 1);
        assert_eq!(stats.json["saves_by_mobile"]["13333333333"], 1);
        assert_eq!(stats.json, serde_json::to_value(sb.stats()).unwrap());

        let members = c.send(&Req::unsigned("GET", "/__sandbox/members"));
        assert_eq!(members.json[0]["name"], "会员A");
        assert_eq!(
            members.json[0]["mobile"], "13333333333",
            "the store's view is plaintext"
        );

        let config = c.send(&Req::unsigned("GET", "/__sandbox/config"));
        assert_eq!(config.json["direct"], sb.client_config());
        assert_eq!(config.json["outer"], sb.client_config_outer());

        let expired = c.send(&Req::unsigned("POST", "/__sandbox/expire_tokens"));
        assert_eq!(expired.json["ok"], true);
        c.send(&Req::business("GET", api::MEMBER, &[], &token))
            .assert_gateway(4011);

        assert_eq!(
            control_post(&mut c, "rotate_app_secret", r#"{"app_secret": "via-http"}"#).json["ok"],
            true
        );
        assert_eq!(sb.client_config()["app_secret"], "via-http");
        assert_eq!(control_post(&mut c, "rotate_app_secret", "{}").status, 400);

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
    fn behaviour_switches_over_http() {
        let sb = sandbox();
        let mut c = Conn::new(&sb);
        let set = control_post(
            &mut c,
            "behaviour",
            r#"{"duplicate_mobile": "update", "encryption": false}"#,
        );
        assert_eq!(set.status, 200, "{set:?}");
        assert_eq!(set.json["behaviour"]["duplicate_mobile"], "update");
        assert_eq!(
            set.json["behaviour"]["detail_not_found"], "null",
            "others kept"
        );
        assert_eq!(
            sb.behaviour().duplicate_mobile,
            crate::DuplicateMobile::Update
        );
        for (body, word) in [
            (r#"{"duplicate_mobile": "sometimes"}"#, "sometimes"),
            (r#"{"dupes": 1}"#, "dupes"),
            ("[]", "object of switches"),
        ] {
            let reply = control_post(&mut c, "behaviour", body);
            assert_eq!(reply.status, 400, "{body}");
            assert!(
                reply.json["error"].as_str().unwrap().contains(word),
                "{body}: {reply:?}"
            );
        }
        let got = c.send(&Req::unsigned("GET", "/__sandbox/behaviour"));
        assert_eq!(got.json["encryption"], false);
        sb.reset();
        assert!(
            sb.behaviour().encryption,
            "reset restores the options' switches"
        );
    }

    #[test]
    fn faults_over_http_controls() {
        let sb = sandbox();
        let token = fetch_token(&sb);
        let mut c = Conn::new(&sb);
        let one = r#"{"path": "/jdy/v2/ls/member", "method": "POST",
                      "fault": {"kind": "gateway", "errcode": 5000}}"#;
        let added = control_post(&mut c, "faults", one);
        assert_eq!(added.json, json!({"ok": true, "added": 1, "pending": 1}));
        assert_eq!(
            sb.faults(),
            [FaultRule::on(
                "POST",
                api::MEMBER,
                Fault::Gateway {
                    errcode: 5000,
                    after_processing: false
                }
            )]
        );
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
        assert_eq!(pending[2].times, 3);
        assert_eq!(pending[3].method.as_deref(), Some("GET"));
        assert_eq!(pending[7].fault, Fault::Oversized { bytes: 100 });
        let listed = c.send(&Req::unsigned("GET", "/__sandbox/faults"));
        assert_eq!(listed.json, serde_json::to_value(&pending).unwrap());
        // The first rule fires.
        save_member(&mut c, &token, &member_a()).assert_gateway(5000);
        let cleared = c.send(&Req::unsigned("DELETE", "/__sandbox/faults"));
        assert_eq!(cleared.json, json!({"ok": true, "cleared": 7}));
        assert!(sb.faults().is_empty());
        let bad = control_post(
            &mut c,
            "faults",
            r#"[{"fault": {"kind": "rate_limited"}}, {"fault": {"kind": "delay"}}]"#,
        );
        assert_eq!(bad.status, 400);
        assert!(bad.json["error"].as_str().unwrap().contains("fault rule 1"));
        assert!(sb.faults().is_empty(), "all or nothing");
        assert_eq!(
            c.send(&Req::unsigned("PUT", "/__sandbox/faults")).status,
            405
        );
    }
}
