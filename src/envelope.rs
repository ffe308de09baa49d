//! The JSON envelopes every entry point returns, serialised from types so that their shape
//! is fixed: `ok` is always the first key, so every envelope begins with `{"ok":true` or
//! `{"ok":false` (a guarantee of the C ABI: a C, Delphi or VB program may test that prefix
//! without a JSON parser).
//!
//! ```text
//! {"ok":true,"data":...}                       success
//! {"ok":true,"data":...,"recovered":true}      a save whose answer was lost, found stored
//! {"ok":true,"data":...,"queued":true}         a save kept in the outbox (`offline: "queue"`)
//! {"ok":true,"data":...,"references":[...]}    validation: references a save will resolve
//! {"ok":false,"error":{"kind":...,...}}        failure
//! ```

use crate::error::Error;
use serde::{Serialize, Serializer};
use serde_json::Value;

/// The first bytes of every success envelope.
pub const OK_PREFIX: &str = "{\"ok\":true";
/// The first bytes of every failure envelope.
pub const ERR_PREFIX: &str = "{\"ok\":false";

/// What a call answers: data with its marks, or an error.
#[derive(Debug, Clone, PartialEq)]
pub enum Envelope<T = Value> {
    /// Success.
    Ok {
        /// The answer.
        data: T,
        /// A save's answer was lost and the member was found stored as sent.
        recovered: bool,
        /// The member was queued in the outbox instead of sent.
        queued: bool,
        /// For validation: the references given by name or number that a save resolves
        /// (`{"field", "kind", "value"}`).
        references: Vec<Value>,
    },
    /// Failure.
    Err(Error),
}

#[derive(Serialize)]
struct Success<'a, T> {
    ok: bool,
    data: &'a T,
    #[serde(skip_serializing_if = "is_false")]
    recovered: bool,
    #[serde(skip_serializing_if = "is_false")]
    queued: bool,
    #[serde(skip_serializing_if = "<[Value]>::is_empty")]
    references: &'a [Value],
}

#[derive(Serialize)]
struct Failure<'a> {
    ok: bool,
    error: &'a Error,
}

fn is_false(value: &bool) -> bool {
    !*value
}

impl<T: Serialize> Serialize for Envelope<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Envelope::Ok {
                data,
                recovered,
                queued,
                references,
            } => Success {
                ok: true,
                data,
                recovered: *recovered,
                queued: *queued,
                references,
            }
            .serialize(serializer),
            Envelope::Err(error) => Failure { ok: false, error }.serialize(serializer),
        }
    }
}

impl<T> Envelope<T> {
    /// Plain success.
    pub fn ok(data: T) -> Envelope<T> {
        Envelope::marked(data, false, false)
    }

    /// Success with its marks: a save whose answer was lost and that was found stored
    /// (`recovered`), or one kept in the outbox (`queued`).
    pub fn marked(data: T, recovered: bool, queued: bool) -> Envelope<T> {
        Envelope::Ok {
            data,
            recovered,
            queued,
            references: Vec::new(),
        }
    }

    /// The success of an offline validation, with the references a save resolves.
    pub fn validated(data: T, references: Vec<Value>) -> Envelope<T> {
        Envelope::Ok {
            data,
            recovered: false,
            queued: false,
            references,
        }
    }

    /// Success, or the error.
    pub fn from_result(result: Result<T, Error>) -> Envelope<T> {
        match result {
            Ok(data) => Envelope::ok(data),
            Err(error) => Envelope::Err(error),
        }
    }
}

impl<T: Serialize> Envelope<T> {
    /// The envelope as JSON text.
    pub fn to_text(&self) -> String {
        match serde_json::to_string(self) {
            Ok(text) => text,
            // Only a value that cannot be JSON (a map with non-string keys) gets here.
            Err(e) => Envelope::<()>::Err(Error::internal(format!(
                "an answer could not be written as JSON ({e})"
            )))
            .to_text(),
        }
    }
}

/// The success envelope around `data`, as text.
pub fn ok(data: impl Serialize) -> String {
    Envelope::ok(data).to_text()
}

/// The failure envelope for `error`, as text.
pub fn err(error: &Error) -> String {
    Envelope::<()>::Err(error.clone()).to_text()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{ErrorKind, FieldError};

    fn parse(text: &str) -> Value {
        serde_json::from_str(text).unwrap()
    }

    #[test]
    fn ok_comes_first_and_chinese_stays_utf8() {
        let text = ok(serde_json::json!({"name": "会员A", "a": 1}));
        assert!(text.starts_with(OK_PREFIX), "{text}");
        assert!(text.contains("会员A"), "UTF-8 text is not escaped: {text}");
        assert_eq!(parse(&text)["data"]["name"], "会员A");
        let recovered = Envelope::Ok {
            data: 1,
            recovered: true,
            queued: false,
            references: Vec::new(),
        }
        .to_text();
        assert_eq!(recovered, r#"{"ok":true,"data":1,"recovered":true}"#);
        assert_eq!(ok(Value::Null), r#"{"ok":true,"data":null}"#);
    }

    #[test]
    fn error_envelope_has_every_documented_key_in_order() {
        let e = Error::new(ErrorKind::Api, "refused")
            .with_errcode(2000002000, Some("系统错误".into()))
            .with_status(200);
        let text = err(&e);
        assert!(text.starts_with(r#"{"ok":false,"error":{"kind":"api","message":"refused","retryable":false,"errcode":2000002000"#), "{text}");
        let v = parse(&text);
        assert_eq!(v["error"]["description"], "系统错误");
        assert_eq!(v["error"]["http_status"], 200);
        assert!(v["error"].get("fields").is_none());
        assert!(v["error"].get("outcome_unknown").is_none());
        assert!(v["error"].get("delivery").is_none());
    }

    #[test]
    fn validation_envelope_lists_every_field() {
        let e = Error::validation(
            "member",
            vec![
                FieldError::new("mobile", "is required"),
                FieldError::new("birthday", "is not a date"),
            ],
        );
        let v = parse(&err(&e));
        assert_eq!(v["error"]["kind"], "validation");
        assert_eq!(v["error"]["fields"].as_array().unwrap().len(), 2);
        assert_eq!(v["error"]["fields"][1]["field"], "birthday");
        assert!(v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("mobile, birthday"));
    }

    #[test]
    fn transient_kinds_are_retryable_by_default() {
        for (kind, retryable) in [
            (ErrorKind::Network, true),
            (ErrorKind::Timeout, true),
            (ErrorKind::RateLimited, true),
            (ErrorKind::Server, true),
            (ErrorKind::Auth, false),
            (ErrorKind::Validation, false),
            (ErrorKind::InvalidArgument, false),
        ] {
            assert_eq!(Error::new(kind, "x").retryable, retryable, "{kind:?}");
        }
    }
}
