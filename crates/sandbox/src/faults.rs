//! Fault injection: the next matching requests fail as networks and gateways fail, so that
//! tests can provoke every case a client must survive (see the crate docs for the table of
//! what each fault does and whether the request takes effect).

use crate::http::Request;
use crate::CONTROL_PREFIX;
use serde::{Deserialize, Serialize};

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
    pub(crate) fn check(&self) -> Result<(), String> {
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

    pub(crate) fn matches(&self, req: &Request) -> bool {
        self.path.as_ref().is_none_or(|p| *p == req.path)
            && self
                .method
                .as_ref()
                .is_none_or(|m| m.eq_ignore_ascii_case(&req.method))
    }
}

/// The body of `POST /__sandbox/faults`: one rule or an array, every rule checked.
pub(crate) fn parse_rules(body: &[u8]) -> Result<Vec<FaultRule>, String> {
    const SHAPE: &str = r#"a rule {"fault": {"kind": "status", "status": 503}, "path": "/jdy/v2/ls/member", "method": "POST", "times": 1} or an array of rules"#;
    let value: serde_json::Value = serde_json::from_slice(body)
        .map_err(|e| format!("the body is not JSON ({e}); it must be {SHAPE}"))?;
    let (items, single) = match value {
        serde_json::Value::Array(items) => (items, false),
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

/// The pending rules, in matching order.
#[derive(Default)]
pub(crate) struct Faults {
    rules: Vec<FaultRule>,
}

impl Faults {
    /// The first pending rule matching the request, counted down (removed when spent).
    pub fn take(&mut self, req: &Request) -> Option<Fault> {
        let index = self.rules.iter().position(|rule| rule.matches(req))?;
        let rule = self.rules.get_mut(index)?;
        rule.times = rule.times.saturating_sub(1);
        let fault = rule.fault.clone();
        if rule.times == 0 {
            self.rules.remove(index);
        }
        Some(fault)
    }

    pub fn add(&mut self, rules: impl IntoIterator<Item = FaultRule>) -> usize {
        self.rules.extend(rules);
        self.rules.len()
    }

    pub fn list(&self) -> Vec<FaultRule> {
        self.rules.clone()
    }

    /// Removes every rule; says how many there were.
    pub fn clear(&mut self) -> usize {
        std::mem::take(&mut self.rules).len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_rules_are_refused_with_the_reason() {
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
                FaultRule::on("PO ST", "/jdy/v2/ls/member", Fault::RateLimited),
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
            let why = rule.check().unwrap_err();
            assert!(why.contains(word), "{rule:?}: {why}");
        }
        assert!(FaultRule::new(Fault::RateLimited).check().is_ok());
    }

    #[test]
    fn rules_from_json_are_all_or_nothing() {
        let rules = parse_rules(br#"[{"fault": {"kind": "rate_limited"}, "times": 3}, {"fault": {"kind": "delay", "ms": 5}}]"#).unwrap();
        assert_eq!(rules[0].times, 3);
        assert_eq!(
            rules[1].fault,
            Fault::Delay {
                ms: 5,
                after_processing: false
            }
        );
        for (body, word) in [
            ("not json", "not JSON"),
            (r#"{"fault": {"kind": "explode"}}"#, "explode"),
            (r#"{"path": "/x"}"#, "fault"),
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
        ] {
            let why = parse_rules(body.as_bytes()).unwrap_err();
            assert!(why.contains(word), "{body}: {why}");
        }
    }
}
