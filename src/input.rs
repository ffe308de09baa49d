//! Turning caller-supplied JSON text into objects, with the limits every entry point shares.

use crate::error::{Error, Result};
use serde_json::{Map, Value};

/// Inputs larger than this are refused before parsing: no member or query comes close,
/// and a till must not be made to parse a runaway buffer.
pub const MAX_INPUT_BYTES: usize = 1 << 20;

/// Parses `json` as a JSON object. `what` names the argument in messages ("member", "query").
pub fn parse_object(json: &str, what: &str) -> Result<Map<String, Value>> {
    match parse_value(json, what)? {
        Value::Object(map) => Ok(map),
        other => Err(Error::invalid_argument(format!(
            "the {what} must be a JSON object, not {}",
            json_type_name(&other)
        ))),
    }
}

/// Parses `json` as a JSON array of at most `limit` bytes (a batch of members).
pub fn parse_array(json: &str, what: &str, limit: usize) -> Result<Vec<Value>> {
    match parse_within(json, what, limit, "a JSON array")? {
        Value::Array(items) => Ok(items),
        other => Err(Error::invalid_argument(format!(
            "the {what} must be a JSON array, not {}",
            json_type_name(&other)
        ))),
    }
}

/// Parses `json` as any JSON value, refusing oversized input.
pub fn parse_value(json: &str, what: &str) -> Result<Value> {
    parse_within(json, what, MAX_INPUT_BYTES, "a JSON object")
}

/// `text` without the byte-order marks in front of it: editors on Windows (Notepad, Excel)
/// start UTF-8 files with U+FEFF, which is not JSON.
pub fn without_bom(text: &str) -> &str {
    text.trim_start_matches('\u{feff}')
}

fn parse_within(json: &str, what: &str, limit: usize, expected: &str) -> Result<Value> {
    let json = without_bom(json);
    if json.len() > limit {
        return Err(Error::invalid_argument(format!(
            "the {what} is {} bytes, more than the {limit}-byte limit; send smaller input",
            json.len()
        )));
    }
    serde_json::from_str(json).map_err(|e| {
        Error::invalid_argument(format!(
            "the {what} is not valid JSON ({e}); send {expected}"
        ))
    })
}

/// "an array", "a string", ... for messages.
pub fn json_type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The known name closest to an unknown one, if it is close enough to be a likely typo.
pub fn nearest<'a>(unknown: &str, known: &[&'a str]) -> Option<&'a str> {
    let unknown = unknown.to_ascii_lowercase();
    known
        .iter()
        .map(|k| (*k, strsim::jaro_winkler(&unknown, k)))
        .filter(|(_, score)| *score >= 0.8)
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(k, _)| k)
}

/// "unknown field `x`; did you mean `y`?" or the list of known names.
pub fn unknown_key_message(unknown: &str, known: &[&str]) -> String {
    match nearest(unknown, known) {
        Some(k) => format!("unknown field `{unknown}`; did you mean `{k}`?"),
        None => format!(
            "unknown field `{unknown}`; known fields: {}",
            known.join(", ")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    #[test]
    fn nearest_finds_the_apis_own_spelling() {
        let known = ["referrere_mp", "remark", "mobile", "name", "sex_group"];
        assert_eq!(nearest("referrer_mp", &known), Some("referrere_mp"));
        assert_eq!(nearest("moblie", &known), Some("mobile"));
        assert_eq!(nearest("Sex_Group", &known), Some("sex_group"));
        assert_eq!(nearest("zzzzzz", &known), None);
    }

    #[test]
    fn a_byte_order_mark_in_front_is_not_part_of_the_json() {
        let member = parse_object("\u{feff}{\"name\": \"会员A\"}", "member").unwrap();
        assert_eq!(member["name"], "会员A");
        assert_eq!(without_bom("\u{feff}\u{feff}[1]"), "[1]");
        assert_eq!(without_bom("[1]\u{feff}"), "[1]\u{feff}", "only in front");
        let e = parse_value("\u{feff}", "member").unwrap_err();
        assert!(e.message.contains("not valid JSON"), "{}", e.message);
    }

    #[test]
    fn refuses_non_objects_and_oversized_input() {
        assert_eq!(
            parse_object("[1]", "member").unwrap_err().kind,
            ErrorKind::InvalidArgument
        );
        assert_eq!(
            parse_object("nope", "member").unwrap_err().kind,
            ErrorKind::InvalidArgument
        );
        let big = format!("{{\"a\":\"{}\"}}", "x".repeat(MAX_INPUT_BYTES));
        let e = parse_object(&big, "member").unwrap_err();
        assert!(e.message.contains("limit"));
        let deep = "[".repeat(10_000);
        assert_eq!(
            parse_object(&deep, "member").unwrap_err().kind,
            ErrorKind::InvalidArgument
        );
    }
}
