//! What the gateway's answers mean: `data` on success, or an error of the right kind with
//! Kingdee's errcode and description, whatever the answer's shape (`errcode`/`description`
//! or `code`/`msg`) and HTTP status (rejections come under HTTP 519, rate limits under 429
//! or as 已被限流).

use crate::error::{Delivery, Error, ErrorKind, Result};
use crate::kingdee::codes::{self, GatewayCode};
use serde_json::Value;
use std::time::Duration;

/// The JSON answer of the server, whatever its HTTP status.
#[derive(Debug, Clone)]
pub(crate) struct Reply {
    pub status: u16,
    pub body: Value,
    /// The `Retry-After` of a 429 or 503, when it gave one in seconds.
    pub retry_after: Option<Duration>,
}

fn text_field(body: &Value, key: &str) -> Option<String> {
    body.get(key).and_then(Value::as_str).map(str::to_string)
}

/// The `errcode` of an answer: a JSON integer, or (from hostile or broken servers) a
/// numeric string. Some of Kingdee's services answer `code`/`msg` instead (notes §6).
pub(crate) fn errcode_of(body: &Value) -> Option<i64> {
    match body.get("errcode").or_else(|| body.get("code"))? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Kingdee's text for an answer: `description`, or `msg` in the other shape.
fn description_of(body: &Value) -> Option<String> {
    text_field(body, "description").or_else(|| text_field(body, "msg"))
}

/// Whether Kingdee's own text says the request was rate limited (已被限流), whatever the
/// status it came with.
fn says_rate_limited(description: Option<&str>) -> bool {
    description.is_some_and(|d| d.contains("限流"))
}

impl Reply {
    /// The answer in `bytes`; an error when it is not a JSON object (a failing gateway or a
    /// proxy in between), rate limited under 429, else a server failure.
    pub fn parse(
        status: u16,
        bytes: &[u8],
        retry_after: Option<Duration>,
        method: &str,
        path: &str,
    ) -> Result<Reply> {
        if let Ok(body @ Value::Object(_)) = serde_json::from_slice::<Value>(bytes) {
            return Ok(Reply {
                status,
                body,
                retry_after,
            });
        }
        let kind = if status == 429 {
            ErrorKind::RateLimited
        } else {
            ErrorKind::Server
        };
        let mut error = Error::new(
            kind,
            format!(
                "{method} {path} answered HTTP {status} with a body that is not a JSON object ({} bytes); the gateway or a proxy in between is failing, try again later",
                bytes.len()
            ),
        )
        .with_status(status)
        .delivered(Delivery::Answered);
        error.retry_after_ms = retry_after.map(|d| d.as_millis() as u32);
        Err(error)
    }

    /// The answer's `data` on success, or the error it reports.
    pub fn into_data(self, what: &str) -> Result<Value> {
        let status = self.status;
        let errcode = errcode_of(&self.body);
        let description = description_of(&self.body);
        let rate_limited = status == 429 || says_rate_limited(description.as_deref());
        match errcode {
            Some(0) if (200..300).contains(&status) => {
                let Value::Object(mut body) = self.body else {
                    return Ok(Value::Null);
                };
                Ok(body.remove("data").unwrap_or(Value::Null))
            }
            Some(code) if code != 0 => {
                let (mut kind, advice) = match GatewayCode::from_number(code) {
                    Some(known) => known.meaning(),
                    None => (ErrorKind::Api, codes::BUSINESS_REFUSAL),
                };
                let advice = if rate_limited {
                    kind = ErrorKind::RateLimited;
                    "the account's request budget is spent for now (rate limited); slow down and try again later"
                } else {
                    advice
                };
                let mut error = Error::new(
                    kind,
                    format!("{what} failed with errcode {code} (HTTP {status}): {advice}"),
                )
                .with_errcode(code, description)
                .with_status(status)
                .delivered(Delivery::Answered);
                error.description_cn =
                    text_field(&self.body, "description_cn").map(String::into_boxed_str);
                error.retry_after_ms = self.retry_after.map(|d| d.as_millis() as u32);
                Err(error)
            }
            _ => {
                let (kind, advice) = match status {
                    _ if rate_limited => (ErrorKind::RateLimited, "too many requests; slow down and try again later"),
                    500..=599 => (ErrorKind::Server, "the server failed; try again later"),
                    200..=299 => (ErrorKind::Server, "the answer carries no errcode; the gateway or a proxy is misbehaving, try again later"),
                    _ => (ErrorKind::Server, "the answer was not understood; try again later"),
                };
                let mut error = Error::new(kind, format!("{what} got HTTP {status}: {advice}"))
                    .with_status(status)
                    .delivered(Delivery::Answered);
                error.description = description;
                error.retry_after_ms = self.retry_after.map(|d| d.as_millis() as u32);
                Err(error)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn reply(status: u16, body: Value) -> Result<Value> {
        Reply {
            status,
            body,
            retry_after: None,
        }
        .into_data("member save")
    }

    #[test]
    fn success_returns_data_as_received() {
        let data = json!({"id": "1", "name": "会员A"});
        let got = reply(
            200,
            json!({"errcode": 0, "description": "success", "data": data}),
        )
        .unwrap();
        assert_eq!(got, data);
    }

    #[test]
    fn gateway_rejections_are_classified() {
        for (status, code, kind, retryable) in [
            (519, 4008, ErrorKind::Auth, false),
            (519, 4003, ErrorKind::Auth, false),
            (519, 4011, ErrorKind::Auth, false),
            (519, 5003, ErrorKind::Server, true),
            (519, 5001, ErrorKind::Api, false),
            (429, 5007, ErrorKind::RateLimited, true),
            (200, 2_000_002_000, ErrorKind::Server, true),
            (200, 1_030_002_006, ErrorKind::Auth, false),
            (200, 123, ErrorKind::Api, false),
        ] {
            let e = reply(
                status,
                json!({"errcode": code, "description": "签名错误", "description_cn": "签名错误"}),
            )
            .unwrap_err();
            assert_eq!((e.kind, e.retryable), (kind, retryable), "{code}");
            assert_eq!(e.errcode, Some(code));
            assert_eq!(e.description.as_deref(), Some("签名错误"));
            assert_eq!(e.http_status, Some(status));
        }
    }

    #[test]
    fn rate_limits_are_recognised_in_every_form() {
        let limited =
            reply(200, json!({"errcode": 1234, "description": "请求已被限流"})).unwrap_err();
        assert_eq!(
            (limited.kind, limited.retryable),
            (ErrorKind::RateLimited, true)
        );
        assert_eq!(limited.description.as_deref(), Some("请求已被限流"));
        let other_shape = reply(200, json!({"code": 77, "msg": "参数错误"})).unwrap_err();
        assert_eq!(other_shape.errcode, Some(77));
        assert_eq!(other_shape.description.as_deref(), Some("参数错误"));
    }

    #[test]
    fn answers_without_errcode_are_server_errors() {
        assert_eq!(
            reply(200, json!({"data": {}})).unwrap_err().kind,
            ErrorKind::Server
        );
        assert_eq!(reply(502, json!({})).unwrap_err().kind, ErrorKind::Server);
        assert_eq!(
            reply(429, json!({})).unwrap_err().kind,
            ErrorKind::RateLimited
        );
        assert_eq!(
            reply(200, json!({"errcode": "0", "data": 1})).unwrap(),
            json!(1)
        );
        assert_eq!(
            reply(200, json!({"errcode": [0]})).unwrap_err().kind,
            ErrorKind::Server
        );
    }
}
