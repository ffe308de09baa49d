//! Offline validation of members, before anything goes on the wire.
//!
//! Kingdee answers a bad member with one vague business error at a time; checking here
//! first lets a till show the clerk every broken field at once. Every value on the wire is
//! a string (except `label`), so integers are accepted from callers and turned into exact
//! strings. Optional fields left empty (spreadsheet exports have empty cells) are dropped
//! rather than refused.
//!
//! Personal data (the mobile number, dates, names) is never echoed back in messages.

use crate::envelope::Envelope;
use crate::error::{Error, FieldError};
use crate::input::{json_type_name, parse_object};
use crate::kingdee::fields::{self, MemberField, Rule, MEMBER_FIELDS};
use crate::kingdee::labels::Labels;
use crate::members::references;
use crate::members::values::{code, string_or_integer};
use crate::options;
use serde_json::{Map, Value};
use time::macros::format_description;
use time::Date;

/// The longest text a member field may hold: far beyond any name, address or remark, and
/// short enough that a runaway value is refused here rather than by Kingdee.
pub const MAX_TEXT_CHARS: usize = 2000;

const MOBILE_EXPECTED: &str = "must be a mainland mobile number of 11 digits starting with 1 \
     (spaces, hyphens and a leading +86 or 0086 are allowed)";

/// Characters that reorder text on screen (bidi embeddings, overrides and isolates): in a
/// name they make a receipt or Kingdee's screen show something other than what is stored.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

/// Characters with no width: a name of only these looks blank.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}' | '\u{00AD}'
    ) || is_bidi_control(c)
}

/// What is wrong with a text value that will be stored and shown, if anything. `multiline`
/// allows line breaks and tabs (a remark).
fn text_problem(text: &str, multiline: bool) -> Option<String> {
    if text.chars().count() > MAX_TEXT_CHARS {
        return Some(format!(
            "is longer than {MAX_TEXT_CHARS} characters; shorten it"
        ));
    }
    if text
        .chars()
        .any(|c| c.is_control() && !(multiline && matches!(c, '\n' | '\r' | '\t')))
    {
        return Some(if multiline {
            "contains control characters (other than line breaks and tabs); remove them".into()
        } else {
            "contains control characters (such as tabs, line breaks or NUL); give it on one line"
                .into()
        });
    }
    if text.chars().any(is_bidi_control) {
        return Some(
            "contains bidirectional control characters (U+202A-U+202E, U+2066-U+2069), which make it display differently from what is stored; remove them"
                .into(),
        );
    }
    None
}

/// Validates and normalises a member object.
///
/// On failure the Error has kind Validation and `fields` lists EVERY broken field, so the
/// caller can fix them all in one go. Known fields are reported in the seed's order, then
/// unknown fields in the order the map yields them.
pub fn validate(member: &Map<String, Value>) -> Result<Map<String, Value>, Error> {
    let mut out = Map::new();
    let mut errors = Vec::new();

    for field in &MEMBER_FIELDS {
        if let Some(value) = check_field(field, member.get(field.name), &mut errors) {
            out.insert(field.name.to_string(), value);
        }
    }

    // Only compared when both dates are present and valid: a broken date is already reported.
    if let (Some(start), Some(end)) = (
        output_date(&out, "start_date"),
        output_date(&out, "end_date"),
    ) {
        if end < start {
            errors.push(FieldError::new(
                "end_date",
                "must not be before start_date; give an end date on or after the start date",
            ));
        }
    }

    errors.extend(options::unknown_key_errors_where(
        member,
        |key| fields::member_field(key).is_some(),
        &fields::member_field_names(),
    ));

    if errors.is_empty() {
        Ok(out)
    } else {
        Err(Error::validation("member", errors))
    }
}

/// The envelope of an offline validation: the member as it would be sent, and the
/// references a save under `labels` resolves (labels only under `resolve_to_ids`; the C
/// ABI's `jdy_member_validate`, which has no configuration, answers for the default).
pub fn validated_envelope(normalised: Map<String, Value>, labels: Labels) -> Envelope {
    let references = references::unresolved(&normalised, labels)
        .into_iter()
        .filter_map(|r| serde_json::to_value(r).ok())
        .collect();
    Envelope::validated(Value::Object(normalised), references)
}

/// Parses `json` as a member object (1 MiB limit, see `input::parse_object`) and validates it.
pub fn validate_json(json: &str) -> Result<Map<String, Value>, Error> {
    let member = parse_object(json, "member")?;
    validate(&member)
}

/// Normalises a mainland mobile number.
///
/// Accepts a JSON string or a non-negative integer; strips whitespace, hyphens and one
/// leading `+86` or `0086`; the rest must be exactly 11 ASCII digits starting with 1.
/// The error message never contains the value: a mobile number is personal data.
pub fn normalise_mobile(value: &Value) -> Result<String, String> {
    let raw = match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => match n.as_u64() {
            Some(u) => u.to_string(),
            None => {
                return Err(format!(
                    "is not a whole non-negative number; {MOBILE_EXPECTED}"
                ))
            }
        },
        other => {
            return Err(format!(
                "must be a string or an integer, not {}; {MOBILE_EXPECTED}",
                json_type_name(other)
            ))
        }
    };
    let compact: String = raw
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    let digits = compact
        .strip_prefix("+86")
        .or_else(|| compact.strip_prefix("0086"))
        .unwrap_or(&compact);
    if digits.is_empty() {
        return Err(format!("is empty; {MOBILE_EXPECTED}"));
    }
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "contains characters other than digits; {MOBILE_EXPECTED}"
        ));
    }
    if digits.len() != 11 {
        return Err(format!("has {} digits; {MOBILE_EXPECTED}", digits.len()));
    }
    if !digits.starts_with('1') {
        return Err(format!("does not start with 1; {MOBILE_EXPECTED}"));
    }
    Ok(digits.to_string())
}

/// Checks one member field; pushes its errors and returns the value to send, if any.
fn check_field(
    field: &'static MemberField,
    value: Option<&Value>,
    errors: &mut Vec<FieldError>,
) -> Option<Value> {
    let name = field.name;
    let value = match value {
        None | Some(Value::Null) => {
            return match field.rule {
                rule if rule.required() => {
                    errors.push(FieldError::new(name, required_message(name)));
                    None
                }
                // The seed itself sends `"label": null`, so null is kept as null.
                Rule::Label if value.is_some() => Some(Value::Null),
                _ => None,
            };
        }
        Some(v) => v,
    };
    let checked = match field.rule {
        Rule::Mobile => normalise_mobile(value).map(Some),
        Rule::Name => name_text(value).map(Some),
        Rule::Text { trim } => string_or_integer(value, trim).and_then(|t| checked_text(t, !trim)),
        Rule::Code => code(value, field.codes),
        Rule::Reference(_) => string_or_integer(value, true).and_then(|t| checked_text(t, false)),
        Rule::Date => date_field(value),
        Rule::Label => return label(value, errors),
    };
    match checked {
        Ok(v) => v.map(Value::String),
        Err(message) => {
            errors.push(FieldError::new(name, message));
            None
        }
    }
}

/// A text value after the checks every stored text gets.
fn checked_text(text: Option<String>, multiline: bool) -> Result<Option<String>, String> {
    match text {
        Some(t) => match text_problem(&t, multiline) {
            Some(problem) => Err(problem),
            None => Ok(Some(t)),
        },
        None => Ok(None),
    }
}

fn required_message(field: &str) -> String {
    match field {
        "mobile" => format!("is required; {MOBILE_EXPECTED}"),
        _ => "is required; give the member's name as a non-empty string".to_string(),
    }
}

/// The member's name: a string, trimmed, non-empty and not only invisible characters, no
/// control or bidi characters (they break receipts and Kingdee's own screens). Inner text,
/// Chinese included, is left untouched.
fn name_text(value: &Value) -> Result<String, String> {
    let Value::String(s) = value else {
        return Err(format!(
            "must be a string, not {}; give the member's name",
            json_type_name(value)
        ));
    };
    let trimmed = s.trim();
    if trimmed.is_empty() {
        return Err("is empty or only whitespace; give the member's name".to_string());
    }
    if let Some(problem) = text_problem(trimmed, false) {
        return Err(problem);
    }
    if trimmed
        .chars()
        .all(|c| is_invisible(c) || c.is_whitespace())
    {
        return Err(
            "holds only invisible characters (zero-width spaces and the like); give the member's name"
                .to_string(),
        );
    }
    Ok(trimmed.to_string())
}

/// A date field: a `YYYY-MM-DD` string naming a real calendar day; sent as given (trimmed).
fn date_field(value: &Value) -> Result<Option<String>, String> {
    let Value::String(s) = value else {
        return Err(format!(
            "must be a string, not {}; write dates as YYYY-MM-DD, e.g. 2022-08-01",
            json_type_name(value)
        ));
    };
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    parse_date(s)?;
    Ok(Some(s.to_string()))
}

/// Parses a `YYYY-MM-DD` date. The shape is checked by hand first: the `time` parser also
/// takes a leading sign on the year, and Kingdee wants exactly four-two-two digits.
fn parse_date(s: &str) -> Result<Date, String> {
    let bytes = s.as_bytes();
    let shaped = bytes.len() == 10
        && bytes.iter().enumerate().all(|(i, b)| match i {
            4 | 7 => *b == b'-',
            _ => b.is_ascii_digit(),
        });
    if !shaped {
        return Err("must be written YYYY-MM-DD with zero padding, e.g. 2022-08-01".to_string());
    }
    Date::parse(s, format_description!("[year]-[month]-[day]")).map_err(|_| {
        "is not a real calendar date (check the month and the day, e.g. February 29 exists only in leap years); write YYYY-MM-DD".to_string()
    })
}

/// A date already validated into the output, parsed for comparison.
fn output_date(out: &Map<String, Value>, field: &str) -> Option<Date> {
    out.get(field)
        .and_then(Value::as_str)
        .and_then(|s| parse_date(s).ok())
}

/// `label`: an array of non-empty strings (trimmed). A blank string counts as an empty
/// cell and drops the field; any other shape is refused. Errors on elements name the
/// element, e.g. `label[2]`.
fn label(value: &Value, errors: &mut Vec<FieldError>) -> Option<Value> {
    let items = match value {
        Value::Array(items) => items,
        Value::String(s) if s.trim().is_empty() => return None,
        other => {
            errors.push(FieldError::new(
                "label",
                format!(
                    "must be an array of strings or null, not {}",
                    json_type_name(other)
                ),
            ));
            return None;
        }
    };
    let mut labels = Vec::with_capacity(items.len());
    let mut broken = false;
    for (i, item) in items.iter().enumerate() {
        let field = format!("label[{i}]");
        match item {
            Value::String(s) if !s.trim().is_empty() => match text_problem(s.trim(), false) {
                Some(problem) => {
                    broken = true;
                    errors.push(FieldError::new(field, problem));
                }
                None => labels.push(Value::String(s.trim().to_string())),
            },
            Value::String(_) => {
                broken = true;
                errors.push(FieldError::new(
                    field,
                    "is empty or only whitespace; every label must be a non-empty string",
                ));
            }
            other => {
                broken = true;
                errors.push(FieldError::new(
                    field,
                    format!(
                        "must be a string, not {}; every label must be a non-empty string",
                        json_type_name(other)
                    ),
                ));
            }
        }
    }
    (!broken).then_some(Value::Array(labels))
}

#[cfg(test)]
mod tests;
