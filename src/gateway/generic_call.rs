//! The generic signed call: any other JDY endpoint (stores, levels, points, balances,
//! coupons, retail bills, ...) through the same signing, token, request budget, retries,
//! decryption of personal fields and error kinds as the member calls.
//!
//! `{"method": "GET" | "POST", "path": "/jdy/v2/...", "query": {...}, "body": {...},
//! "idempotent": false}`. A GET is retried like any read. A POST is retried only when it
//! certainly did not reach Kingdee, unless the request says `"idempotent": true` (a call
//! carrying Kingdee's `src_bill_id`, which Kingdee applies once): after an ambiguous
//! failure it is reported with `outcome_unknown`, never sent again blindly.

use crate::config::MAX_QUERY_VALUE_CHARS;
use crate::error::{Error, FieldError, Result};
use crate::gateway::transport::Method;
use crate::input::{self, MAX_INPUT_BYTES};
use serde_json::{Map, Value};

const KEYS: [&str; 5] = ["method", "path", "query", "body", "idempotent"];
/// The longest path a call may name.
const MAX_PATH: usize = 200;

/// A checked generic call.
pub(crate) struct CallRequest {
    pub method: Method,
    pub path: String,
    pub params: Vec<(String, String)>,
    /// The JSON body of a POST.
    pub body: Option<String>,
    pub idempotent: bool,
}

/// Why a path may not be called, if it may not: only Kingdee's JDY business APIs under
/// `/jdy/`, no host, no `..`, no query (it goes in `query`), printable ASCII.
fn path_problem(path: &str) -> Option<&'static str> {
    if !path.starts_with("/jdy/") {
        return Some("must start with /jdy/ (a JDY business API, e.g. /jdy/v2/ls/store); the library calls the gateway's own endpoints itself");
    }
    if path.len() > MAX_PATH {
        return Some("is longer than any JDY API path");
    }
    if path.contains("//") || path.split('/').any(|part| part == ".." || part == ".") {
        return Some("must not contain `//`, `.` or `..` segments");
    }
    if !path
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'_' | b'-' | b'.'))
    {
        return Some("may hold only letters, digits and / _ - . (the query goes in `query`)");
    }
    None
}

/// A query value as the text sent: strings, whole numbers and booleans.
fn query_value(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) if n.is_i64() || n.is_u64() => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

impl CallRequest {
    /// Checks a request object; every problem is reported at once.
    pub fn from_map(map: &Map<String, Value>) -> Result<CallRequest> {
        let mut problems = Vec::new();
        for key in map.keys() {
            if !KEYS.contains(&key.as_str()) {
                problems.push(FieldError::new(
                    key.as_str(),
                    input::unknown_key_message(key, &KEYS),
                ));
            }
        }
        let method = match map
            .get("method")
            .and_then(Value::as_str)
            .map(str::to_ascii_uppercase)
            .as_deref()
        {
            Some("GET") => Method::Get,
            Some("POST") => Method::Post,
            _ => {
                problems.push(FieldError::new(
                    "method",
                    "must be \"GET\" or \"POST\", the methods of JDY's open API",
                ));
                Method::Get
            }
        };
        let path = match map.get("path").and_then(Value::as_str) {
            Some(path) => {
                if let Some(problem) = path_problem(path) {
                    problems.push(FieldError::new("path", problem));
                }
                path.to_string()
            }
            None => {
                problems.push(FieldError::new(
                    "path",
                    "is required, e.g. \"/jdy/v2/ls/store\"",
                ));
                String::new()
            }
        };
        let mut params = Vec::new();
        match map.get("query") {
            None | Some(Value::Null) => {}
            Some(Value::Object(query)) => {
                for (key, value) in query {
                    match query_value(value) {
                        Some(text) if key.len() <= 64 && text.chars().count() <= MAX_QUERY_VALUE_CHARS && !text.chars().any(char::is_control) && !key.is_empty() => {
                            params.push((key.clone(), text))
                        }
                        Some(_) => problems.push(FieldError::new(format!("query.{key}"), format!("must be a name of at most 64 characters with a value of at most {MAX_QUERY_VALUE_CHARS} characters, without control characters"))),
                        None => problems.push(FieldError::new(format!("query.{key}"), "must be a string, a whole number or a boolean")),
                    }
                }
            }
            Some(_) => problems.push(FieldError::new(
                "query",
                "must be an object of parameter names and values",
            )),
        }
        let body = match (map.get("body"), method) {
            (None | Some(Value::Null), Method::Post) => Some("{}".to_string()),
            (None | Some(Value::Null), Method::Get) => None,
            (Some(body @ (Value::Object(_) | Value::Array(_))), Method::Post) => {
                let text = body.to_string();
                if text.len() > MAX_INPUT_BYTES {
                    problems.push(FieldError::new(
                        "body",
                        format!("is larger than {MAX_INPUT_BYTES} bytes"),
                    ));
                }
                Some(text)
            }
            (Some(_), Method::Post) => {
                problems.push(FieldError::new("body", "must be a JSON object or array"));
                None
            }
            (Some(_), Method::Get) => {
                problems.push(FieldError::new(
                    "body",
                    "a GET has no body; put its parameters in `query`",
                ));
                None
            }
        };
        let idempotent = match map.get("idempotent") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => {
                problems.push(FieldError::new("idempotent", "must be true or false"));
                false
            }
        };
        if problems.is_empty() {
            Ok(CallRequest {
                method,
                path,
                params,
                body,
                idempotent,
            })
        } else {
            Err(Error::validation("call", problems))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(v: Value) -> Result<CallRequest> {
        CallRequest::from_map(v.as_object().unwrap())
    }

    #[test]
    fn paths_are_held_to_jdys_business_apis() {
        assert!(parse(json!({"method": "get", "path": "/jdy/v2/ls/store", "query": {"page": 1, "name": "南京"}})).is_ok());
        for path in [
            "/jdyconnector/app_management/kingdee_auth_token",
            "https://evil.example/jdy/v2",
            "/jdy/v2/../../etc",
            "/jdy/v2//ls",
            "/jdy/v2/ls/store?page=1",
            "/jdy/v2/ls/st ore",
            "/api/x",
        ] {
            let e = parse(json!({"method": "GET", "path": path})).err().unwrap();
            assert_eq!(e.fields[0].field, "path", "{path}");
        }
    }

    #[test]
    fn every_problem_is_named() {
        let e = parse(json!({"method": "PUT", "query": {"a": [1], "b": "x".repeat(300)}, "body": {"x": 1}, "idempotnet": true})).err().unwrap();
        let fields: Vec<&str> = e.fields.iter().map(|f| f.field.as_str()).collect();
        for expected in ["idempotnet", "method", "path", "query.a", "query.b"] {
            assert!(fields.contains(&expected), "{expected} in {fields:?}");
        }
        let get_body = parse(json!({"method": "GET", "path": "/jdy/v2/ls/store", "body": {}}))
            .err()
            .unwrap();
        assert_eq!(get_body.fields[0].field, "body");
        let post = parse(
            json!({"method": "POST", "path": "/jdy/v2/ls/integral_adjust", "idempotent": true}),
        )
        .unwrap();
        assert_eq!((post.body.as_deref(), post.idempotent), (Some("{}"), true));
    }
}
