//! How member values are read, by validation and by the queries alike: a string or an
//! integer as the exact string sent (a blank one dropped), and a code from a fixed set.

use crate::input::json_type_name;
use crate::kingdee::fields::Code;
use serde_json::Value;

/// A string or integer as the string to send; `Ok(None)` when blank (dropped, not refused).
pub(crate) fn string_or_integer(value: &Value, trim: bool) -> Result<Option<String>, String> {
    match value {
        Value::Null => Ok(None),
        Value::String(s) if s.trim().is_empty() => Ok(None),
        Value::String(s) if trim => Ok(Some(s.trim().to_string())),
        Value::String(s) => Ok(Some(s.clone())),
        Value::Number(n) => integer_text(n).map(Some).ok_or_else(|| {
            "must be a string or an integer; send fractional or very large numbers as a string"
                .to_string()
        }),
        other => Err(format!(
            "must be a string or an integer, not {}",
            json_type_name(other)
        )),
    }
}

/// The exact decimal text of an integer, or None for floats. Formats through u64/i64 so the
/// digits are exact whatever serde_json features are enabled elsewhere in the build.
fn integer_text(n: &serde_json::Number) -> Option<String> {
    n.as_u64()
        .map(|u| u.to_string())
        .or_else(|| n.as_i64().map(|i| i.to_string()))
}

/// A code from a fixed set, given as a string or an integer; sent as a string.
pub(crate) fn code(value: &Value, codes: &[Code]) -> Result<Option<String>, String> {
    let expected = codes_message(codes);
    let given = match value {
        Value::Null => return Ok(None),
        Value::String(s) if s.trim().is_empty() => return Ok(None),
        Value::String(s) => s.trim().to_string(),
        Value::Number(n) => match integer_text(n) {
            Some(t) => t,
            None => return Err(format!("is not a whole number; {expected}")),
        },
        other => {
            return Err(format!(
                "must be a string or an integer, not {}; {expected}",
                json_type_name(other)
            ))
        }
    };
    if codes.iter().any(|c| c.value == given) {
        Ok(Some(given))
    } else if given.chars().count() <= 16 {
        Err(format!("{given:?} is not an allowed code; {expected}"))
    } else {
        Err(format!("is not an allowed code; {expected}"))
    }
}

/// "must be 1 (valid) or 0 (invalid)", listing every code with its meaning.
fn codes_message(codes: &[Code]) -> String {
    let items: Vec<String> = codes
        .iter()
        .map(|c| format!("{} ({})", c.value, c.english))
        .collect();
    match items.split_last() {
        Some((last, rest)) if !rest.is_empty() => {
            format!("must be {} or {last}", rest.join(", "))
        }
        Some((last, _)) => format!("must be {last}"),
        None => "has no allowed value".to_string(),
    }
}
