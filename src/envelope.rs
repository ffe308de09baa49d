//! The JSON envelopes every entry point returns:
//! `{"ok":true,"data":...}` or `{"ok":false,"error":{...}}`.

use crate::client::Saved;
use crate::error::Error;
use serde_json::Value;

/// The success envelope around `data`.
pub fn ok(data: Value) -> String {
    ok_value(data).to_string()
}

/// The success envelope around `data`, as a JSON value.
pub fn ok_value(data: Value) -> Value {
    serde_json::json!({"ok": true, "data": data})
}

/// The success envelope of a save: marked `"recovered": true` when the save's answer was
/// lost and the member was found stored as sent.
pub fn saved(saved: &Saved) -> Value {
    let mut envelope = serde_json::json!({"ok": true, "data": saved.data});
    if saved.recovered {
        envelope["recovered"] = Value::Bool(true);
    }
    envelope
}

/// The failure envelope for `error`.
pub fn err(error: &Error) -> String {
    serde_json::json!({"ok": false, "error": error.to_json()}).to_string()
}

/// The envelope for a result.
pub fn from_result(result: Result<Value, Error>) -> String {
    match result {
        Ok(data) => ok(data),
        Err(error) => err(&error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{ErrorKind, FieldError};

    #[test]
    fn ok_envelope_keeps_chinese_as_utf8() {
        let text = ok(serde_json::json!({"name": "会员A"}));
        assert!(text.contains("会员A"), "UTF-8 text is not escaped: {text}");
        let back: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back["ok"], true);
        assert_eq!(back["data"]["name"], "会员A");
    }

    #[test]
    fn error_envelope_has_every_documented_key() {
        let e = Error::new(ErrorKind::Api, "refused")
            .with_errcode(2000002000, Some("系统错误".into()))
            .with_status(200);
        let v: Value = serde_json::from_str(&err(&e)).unwrap();
        assert_eq!(v["ok"], false);
        assert_eq!(v["error"]["kind"], "api");
        assert_eq!(v["error"]["errcode"], 2000002000i64);
        assert_eq!(v["error"]["description"], "系统错误");
        assert_eq!(v["error"]["retryable"], false);
        assert_eq!(v["error"]["http_status"], 200);
        assert!(v["error"].get("fields").is_none());
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
        let v: Value = serde_json::from_str(&err(&e)).unwrap();
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
