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
use crate::error::{Error, Result};
use crate::gateway::engine::{ApiRequest, Engine, Policy, Then};
use crate::gateway::retry::{self, NextStep, Op};
use crate::gateway::transport::Method;
use crate::input::MAX_INPUT_BYTES;
use crate::options::Reader;
use serde_json::{Map, Value};
use std::time::Instant;

const KEYS: [&str; 5] = ["method", "path", "query", "body", "idempotent"];
/// The longest path a call may name.
const MAX_PATH: usize = 200;

/// A checked generic call.
pub(crate) struct GenericCall {
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

fn method(r: &mut Reader<'_>) -> Method {
    match r
        .given("method")
        .and_then(Value::as_str)
        .map(str::to_ascii_uppercase)
        .as_deref()
    {
        Some("GET") => Method::Get,
        Some("POST") => Method::Post,
        _ => {
            r.problem(
                "method",
                "must be \"GET\" or \"POST\", the methods of JDY's open API",
            );
            Method::Get
        }
    }
}

fn path(r: &mut Reader<'_>) -> String {
    match r.given("path").and_then(Value::as_str) {
        Some(path) => {
            if let Some(problem) = path_problem(path) {
                r.problem("path", problem);
            }
            path.to_string()
        }
        None => {
            r.problem("path", "is required, e.g. \"/jdy/v2/ls/store\"");
            String::new()
        }
    }
}

fn params(r: &mut Reader<'_>) -> Vec<(String, String)> {
    let mut params = Vec::new();
    match r.given("query") {
        None => {}
        Some(Value::Object(query)) => {
            for (key, value) in query {
                match query_value(value) {
                    Some(text) if key.len() <= 64 && text.chars().count() <= MAX_QUERY_VALUE_CHARS && !text.chars().any(char::is_control) && !key.is_empty() => {
                        params.push((key.clone(), text))
                    }
                    Some(_) => r.problem(format!("query.{key}"), format!("must be a name of at most 64 characters with a value of at most {MAX_QUERY_VALUE_CHARS} characters, without control characters")),
                    None => r.problem(format!("query.{key}"), "must be a string, a whole number or a boolean"),
                }
            }
        }
        Some(_) => r.problem("query", "must be an object of parameter names and values"),
    }
    params
}

fn body(r: &mut Reader<'_>, method: Method) -> Option<String> {
    match (r.given("body"), method) {
        (None, Method::Post) => Some("{}".to_string()),
        (None, Method::Get) => None,
        (Some(body @ (Value::Object(_) | Value::Array(_))), Method::Post) => {
            let text = body.to_string();
            if text.len() > MAX_INPUT_BYTES {
                r.problem("body", format!("is larger than {MAX_INPUT_BYTES} bytes"));
            }
            Some(text)
        }
        (Some(_), Method::Post) => {
            r.problem("body", "must be a JSON object or array");
            None
        }
        (Some(_), Method::Get) => {
            r.problem("body", "a GET has no body; put its parameters in `query`");
            None
        }
    }
}

impl GenericCall {
    /// Checks a request object; every problem is reported at once.
    pub fn from_map(map: &Map<String, Value>) -> Result<GenericCall> {
        let mut r = Reader::new(map);
        r.unknown_keys(&KEYS);
        let method = method(&mut r);
        let path = path(&mut r);
        let params = params(&mut r);
        let body = body(&mut r, method);
        let idempotent = r
            .boolean("idempotent", "must be true or false")
            .unwrap_or(false);
        let call = GenericCall {
            method,
            path,
            params,
            body,
            idempotent,
        };
        r.finish("call", call)
    }
}

/// A POST: retried when it certainly did not reach Kingdee, or when it is idempotent.
struct Post {
    idempotent: bool,
}

impl Policy for Post {
    type Output = Value;

    fn answered(&mut self, data: Value) -> Value {
        data
    }

    fn failed(&mut self, error: Error) -> Then<Value> {
        match retry::next_step(Op::Save, &error) {
            NextStep::Final => Then::Stop(Err(error)),
            NextStep::Retry => Then::Retry(error),
            NextStep::Ambiguous if self.idempotent => Then::Retry(error),
            NextStep::Ambiguous => {
                let mut error = error;
                error.message = format!(
                    "{}; the call may or may not have been applied, and it was not sent again because a POST is not idempotent: check in Kingdee, or mark calls that carry a src_bill_id \"idempotent\": true",
                    error.message
                );
                error.outcome_unknown = true;
                error.retryable = false;
                Then::Stop(Err(error))
            }
        }
    }
}

/// Sends a generic call through `engine`: a GET as a read, a POST retried only when it
/// certainly did not reach Kingdee, or when it is idempotent.
pub(crate) fn send(engine: &Engine, call: &GenericCall) -> Result<Value> {
    let deadline = Instant::now() + engine.deadline();
    if call.method == Method::Get {
        return engine.read(&call.path, &call.params, &call.path, None, deadline);
    }
    let request = ApiRequest {
        method: Method::Post,
        path: &call.path,
        params: &call.params,
        body: call.body.as_deref(),
        what: &call.path,
        mobile: None,
    };
    let mut post = Post {
        idempotent: call.idempotent,
    };
    engine.repeat(&request, &mut post, deadline)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(v: Value) -> Result<GenericCall> {
        GenericCall::from_map(v.as_object().unwrap())
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
