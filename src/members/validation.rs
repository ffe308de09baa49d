//! Offline validation of members and member queries, before anything goes on the wire.
//!
//! Kingdee answers a bad member with one vague business error at a time; checking here
//! first lets a till show the clerk every broken field at once. Every value on the wire is
//! a string (except `label`), so integers are accepted from callers and turned into exact
//! strings. Optional fields left empty (spreadsheet exports have empty cells) are dropped
//! rather than refused.
//!
//! Personal data (the mobile number, dates, names) is never echoed back in messages.

use crate::config::MAX_QUERY_VALUE_CHARS;
use crate::error::{Error, FieldError};
use crate::input::{json_type_name, parse_object, unknown_key_message};
use crate::kingdee::api;
use crate::kingdee::fields::{self, Code, MemberField, Rule, MEMBER_FIELDS};
use serde_json::{Map, Value};
use time::macros::format_description;
use time::Date;

/// The keys of a member detail query.
pub const DETAIL_QUERY_KEYS: [&str; 2] = ["id", "mobile"];

/// The `page_size` sent when the caller gives none.
pub const DEFAULT_PAGE_SIZE: i64 = 20;

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

    let names = fields::member_field_names();
    for key in member.keys() {
        if fields::member_field(key).is_none() {
            errors.push(FieldError::new(
                key.as_str(),
                unknown_key_message(key, &names),
            ));
        }
    }

    if errors.is_empty() {
        Ok(out)
    } else {
        Err(Error::validation("member", errors))
    }
}

/// The envelope of an offline validation: the member as it would be sent, and the
/// references a save under `labels` resolves (labels only under `resolve_to_ids`; the C
/// ABI's `jdy_member_validate`, which has no configuration, answers for the default).
pub fn validated_envelope(
    normalised: Map<String, Value>,
    labels: crate::kingdee::labels::Labels,
) -> crate::envelope::Envelope {
    let references = crate::members::references::unresolved(&normalised, labels)
        .into_iter()
        .filter_map(|r| serde_json::to_value(r).ok())
        .collect();
    crate::envelope::Envelope::Ok {
        data: Value::Object(normalised),
        recovered: false,
        queued: false,
        references,
    }
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

/// Builds the query parameters of member detail: exactly one of `id` or `mobile`.
///
/// Every problem is reported as `Error::validation("query", fields)` (never
/// invalid_argument: any object can be described field by field). A null or blank value
/// counts as absent. "Neither" and "both" are reported on the field `id`.
pub fn detail_query(query: &Map<String, Value>) -> Result<Vec<(String, String)>, Error> {
    let mut errors = Vec::new();
    let mut params = Vec::new();

    let id_given = is_given(query.get("id"));
    let mobile_given = is_given(query.get("mobile"));

    if let Some(value) = query.get("id") {
        match query_text(value) {
            Ok(Some(id)) => params.push(("id".to_string(), id)),
            Ok(None) => {}
            Err(message) => errors.push(FieldError::new("id", message)),
        }
    }
    if let Some(value) = query.get("mobile").filter(|_| mobile_given) {
        match normalise_mobile(value) {
            Ok(mobile) => params.push(("mobile".to_string(), mobile)),
            Err(message) => errors.push(FieldError::new("mobile", message)),
        }
    }
    match (id_given, mobile_given) {
        (true, true) => errors.push(FieldError::new(
            "id",
            "both `id` and `mobile` were given; give exactly one of them",
        )),
        (false, false) => errors.push(FieldError::new(
            "id",
            "neither `id` nor `mobile` was given; give exactly one of them",
        )),
        _ => {}
    }
    push_unknown_keys(query, &DETAIL_QUERY_KEYS, &mut errors);

    if errors.is_empty() {
        Ok(params)
    } else {
        Err(Error::validation("query", errors))
    }
}

/// Builds the query parameters of member list.
///
/// Filters (`id`, `number`, `name`, `start_modified`, `end_modified`: string or integer,
/// trimmed; `enable`: code 0/1) are passed as strings, blank or null ones dropped. `page`
/// (integer >= 1, default 1) and `page_size` (integer 1..=100, default 20) are always sent,
/// so the caller always knows which page it got. Errors are `Error::validation("query", ..)`.
pub fn list_query(query: &Map<String, Value>) -> Result<Vec<(String, String)>, Error> {
    let mut errors = Vec::new();
    let mut params = Vec::new();

    for key in [
        "id",
        "number",
        "name",
        "enable",
        "start_modified",
        "end_modified",
    ] {
        let Some(value) = query.get(key) else {
            continue;
        };
        let checked = match fields::member_field(key).filter(|f| f.rule == Rule::Code) {
            Some(field) => code(value, field.codes),
            None => query_text(value),
        };
        match checked {
            Ok(Some(v)) => params.push((key.to_string(), v)),
            Ok(None) => {}
            Err(message) => errors.push(FieldError::new(key, message)),
        }
    }
    let paging = [
        (
            "page",
            1,
            1_000_000_000,
            1,
            "must be an integer from 1 to 1000000000",
        ),
        (
            "page_size",
            1,
            api::MAX_PAGE_SIZE as i64,
            DEFAULT_PAGE_SIZE,
            "must be an integer from 1 to 100 (the API serves at most 100 rows a page)",
        ),
    ];
    for (key, min, max, default, expected) in paging {
        match integer_param(query.get(key), min, max, default, expected) {
            Ok(n) => params.push((key.to_string(), n.to_string())),
            Err(message) => errors.push(FieldError::new(key, message)),
        }
    }
    push_unknown_keys(query, &api::LIST_QUERY_KEYS, &mut errors);

    if errors.is_empty() {
        Ok(params)
    } else {
        Err(Error::validation("query", errors))
    }
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
                Rule::Mobile | Rule::Name => {
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
        Rule::Text { trim } => text(value, trim).and_then(|t| checked_text(t, !trim)),
        Rule::Code => code(value, field.codes),
        Rule::Reference(_) => text(value, true).and_then(|t| checked_text(t, false)),
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

/// A query value (an id, a name filter): text of at most `MAX_QUERY_VALUE_CHARS`, no
/// control characters.
fn query_text(value: &Value) -> Result<Option<String>, String> {
    let Some(text) = text(value, true)? else {
        return Ok(None);
    };
    if text.chars().count() > MAX_QUERY_VALUE_CHARS {
        return Err(format!(
            "is longer than {MAX_QUERY_VALUE_CHARS} characters; Kingdee's ids are 19 digits"
        ));
    }
    if text.chars().any(char::is_control) {
        return Err("contains control characters; give it on one line".into());
    }
    Ok(Some(text))
}

/// A string or integer as the string to send; `Ok(None)` when blank (dropped, not refused).
fn text(value: &Value, trim: bool) -> Result<Option<String>, String> {
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
fn code(value: &Value, codes: &[Code]) -> Result<Option<String>, String> {
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

/// Whether a query value counts as given: present, not null, not a blank string.
fn is_given(value: Option<&Value>) -> bool {
    match value {
        None | Some(Value::Null) => false,
        Some(Value::String(s)) => !s.trim().is_empty(),
        Some(_) => true,
    }
}

/// A paging integer in `min..=max`, `default` when absent or null.
fn integer_param(
    value: Option<&Value>,
    min: i64,
    max: i64,
    default: i64,
    expected: &str,
) -> Result<i64, String> {
    let value = match value {
        None | Some(Value::Null) => return Ok(default),
        Some(v) => v,
    };
    let Value::Number(n) = value else {
        return Err(format!("{expected}, not {}", json_type_name(value)));
    };
    match n.as_i64() {
        Some(i) if (min..=max).contains(&i) => Ok(i),
        Some(i) => Err(format!("{expected}; got {i}")),
        None if n.is_u64() => Err(format!("{expected}; the number given is too large")),
        None => Err(format!("{expected}; got a number that is not whole")),
    }
}

fn push_unknown_keys(query: &Map<String, Value>, known: &[&str], errors: &mut Vec<FieldError>) {
    for key in query.keys() {
        if !known.contains(&key.as_str()) {
            errors.push(FieldError::new(
                key.as_str(),
                unknown_key_message(key, known),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;
    use serde_json::json;

    const SEED: &str = r#"{"address":"410","birthday":"2022-08-01","custom_no":"1","customer":"001","detail_address":"XXX","enable":"1","end_date":"2022-01-01","is_delete":"0","join_way":"1","label":null,"level":"1","mbcard_id":"1","mobile":"13333333333","name":"会员A","period":"1","referrere_mp":"1","remark":"备注","sale_shop":"1","sex_group":"1","shop":"850693217107061760","source":"1","start_date":"2022-01-01"}"#;

    /// What a table row expects.
    enum Expect {
        /// The whole output, as JSON text.
        Ok(&'static str),
        /// Exactly these errors, in order: (field, a piece of the message).
        Err(&'static [(&'static str, &'static str)]),
    }
    use Expect::{Err as Bad, Ok as Good};

    /// A minimal valid member with `extra` merged over it.
    fn base(extra: Value) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("mobile".into(), json!("13333333333"));
        m.insert("name".into(), json!("会员A"));
        if let Value::Object(extra) = extra {
            for (k, v) in extra {
                m.insert(k, v);
            }
        }
        m
    }

    const MIN_OUT: &str = r#"{"mobile":"13333333333","name":"会员A"}"#;

    fn rows() -> Vec<(&'static str, Map<String, Value>, Expect)> {
        let seed: Map<String, Value> = serde_json::from_str(SEED).unwrap();
        let raw = |v: Value| match v {
            Value::Object(m) => m,
            _ => unreachable!(),
        };
        vec![
            ("seed example", seed, Good(SEED)),
            ("minimal", base(json!({})), Good(MIN_OUT)),
            (
                "+86 prefix",
                base(json!({"mobile": "+8613333333333"})),
                Good(MIN_OUT),
            ),
            (
                "0086 prefix",
                base(json!({"mobile": "0086 13333333333"})),
                Good(MIN_OUT),
            ),
            (
                "spaces and hyphens",
                base(json!({"mobile": " 133-3333 3333 "})),
                Good(MIN_OUT),
            ),
            (
                "+86 with spaces",
                base(json!({"mobile": "+86 133 3333 3333"})),
                Good(MIN_OUT),
            ),
            (
                "integer mobile",
                base(json!({"mobile": 13333333333u64})),
                Good(MIN_OUT),
            ),
            (
                "10-digit mobile",
                base(json!({"mobile": "1333333333"})),
                Bad(&[("mobile", "has 10 digits")]),
            ),
            (
                "12-digit mobile",
                base(json!({"mobile": "133333333333"})),
                Bad(&[("mobile", "has 12 digits")]),
            ),
            (
                "mobile starting with 2",
                base(json!({"mobile": "23333333333"})),
                Bad(&[("mobile", "does not start with 1")]),
            ),
            (
                "mobile with letters",
                base(json!({"mobile": "1333333333a"})),
                Bad(&[("mobile", "other than digits")]),
            ),
            (
                "mobile as bool",
                base(json!({"mobile": true})),
                Bad(&[("mobile", "not a boolean")]),
            ),
            (
                "mobile as float",
                base(json!({"mobile": 13333333333.0})),
                Bad(&[("mobile", "not a whole")]),
            ),
            (
                "missing mobile and name",
                raw(json!({"remark": "x"})),
                Bad(&[("mobile", "is required"), ("name", "is required")]),
            ),
            (
                "null mobile and name",
                raw(json!({"mobile": null, "name": null})),
                Bad(&[("mobile", "is required"), ("name", "is required")]),
            ),
            (
                "whitespace-only name",
                base(json!({"name": "  \u{3000} "})),
                Bad(&[("name", "empty")]),
            ),
            (
                "name trimmed",
                base(json!({"name": "  会员A\t"})),
                Good(MIN_OUT),
            ),
            (
                "name with control char",
                base(json!({"name": "会员\u{7}A"})),
                Bad(&[("name", "control characters")]),
            ),
            (
                "name as integer",
                base(json!({"name": 5})),
                Bad(&[("name", "must be a string")]),
            ),
            (
                "codes as integers",
                base(
                    json!({"enable": 0, "is_delete": 1, "join_way": 2, "period": 2, "sex_group": 2, "source": 5}),
                ),
                Good(
                    r#"{"mobile":"13333333333","name":"会员A","enable":"0","is_delete":"1","join_way":"2","period":"2","sex_group":"2","source":"5"}"#,
                ),
            ),
            (
                "codes as padded strings",
                base(json!({"enable": " 1 ", "source": "3"})),
                Good(r#"{"mobile":"13333333333","name":"会员A","enable":"1","source":"3"}"#),
            ),
            (
                "codes out of range",
                base(
                    json!({"enable": 2, "is_delete": "2", "join_way": 0, "period": "3", "sex_group": 3, "source": "6"}),
                ),
                Bad(&[
                    ("enable", "1 (valid) or 0 (invalid)"),
                    ("is_delete", "0 (not deleted) or 1 (deleted)"),
                    (
                        "join_way",
                        "1 (developed by a clerk) or 2 (member referral)",
                    ),
                    ("period", "1 (long-term) or 2 (limited period)"),
                    ("sex_group", "1 (male) or 2 (female)"),
                    (
                        "source",
                        "1 (store), 2 (WeChat), 3 (e-commerce), 4 (micro-mall) or 5 (own mall)",
                    ),
                ]),
            ),
            (
                "codes of the wrong type",
                base(json!({"enable": true, "sex_group": 1.0, "source": [1]})),
                Bad(&[
                    ("enable", "not a boolean"),
                    ("sex_group", "not a whole number"),
                    ("source", "not an array"),
                ]),
            ),
            (
                "level string and integer",
                base(json!({"level": 7})),
                Good(r#"{"mobile":"13333333333","name":"会员A","level":"7"}"#),
            ),
            (
                "level as object",
                base(json!({"level": {}})),
                Bad(&[("level", "not an object")]),
            ),
            (
                "date without padding",
                base(json!({"birthday": "2022-8-1"})),
                Bad(&[("birthday", "YYYY-MM-DD")]),
            ),
            (
                "date with slashes",
                base(json!({"birthday": "2022/08/01"})),
                Bad(&[("birthday", "YYYY-MM-DD")]),
            ),
            (
                "date with signed year",
                base(json!({"birthday": "+2022-08-01"})),
                Bad(&[("birthday", "YYYY-MM-DD")]),
            ),
            (
                "date with time",
                base(json!({"start_date": "2022-08-01 00:00:00"})),
                Bad(&[("start_date", "YYYY-MM-DD")]),
            ),
            (
                "date as integer",
                base(json!({"birthday": 20220801})),
                Bad(&[("birthday", "not a number")]),
            ),
            (
                "impossible dates",
                base(
                    json!({"birthday": "2023-02-29", "start_date": "2022-13-01", "end_date": "2022-04-31"}),
                ),
                Bad(&[
                    ("birthday", "not a real calendar date"),
                    ("end_date", "not a real calendar date"),
                    ("start_date", "not a real calendar date"),
                ]),
            ),
            (
                "leap day",
                base(json!({"birthday": "2024-02-29"})),
                Good(r#"{"mobile":"13333333333","name":"会员A","birthday":"2024-02-29"}"#),
            ),
            (
                "end before start",
                base(json!({"start_date": "2022-02-01", "end_date": "2022-01-31"})),
                Bad(&[("end_date", "not be before start_date")]),
            ),
            (
                "end equals start",
                base(json!({"start_date": "2022-02-01", "end_date": "2022-02-01"})),
                Good(
                    r#"{"mobile":"13333333333","name":"会员A","start_date":"2022-02-01","end_date":"2022-02-01"}"#,
                ),
            ),
            (
                "end only",
                base(json!({"end_date": "2022-01-31"})),
                Good(r#"{"mobile":"13333333333","name":"会员A","end_date":"2022-01-31"}"#),
            ),
            (
                "label null kept",
                base(json!({"label": null})),
                Good(r#"{"mobile":"13333333333","name":"会员A","label":null}"#),
            ),
            (
                "label strings trimmed",
                base(json!({"label": [" vip ", "新客"]})),
                Good(r#"{"mobile":"13333333333","name":"会员A","label":["vip","新客"]}"#),
            ),
            (
                "label empty array",
                base(json!({"label": []})),
                Good(r#"{"mobile":"13333333333","name":"会员A","label":[]}"#),
            ),
            (
                "label as string",
                base(json!({"label": "vip"})),
                Bad(&[("label", "array of strings")]),
            ),
            (
                "label blank string dropped",
                base(json!({"label": " "})),
                Good(MIN_OUT),
            ),
            (
                "label bad items",
                base(json!({"label": ["a", 1, " "]})),
                Bad(&[("label[1]", "not a number"), ("label[2]", "empty")]),
            ),
            (
                "unknown field suggestion",
                base(json!({"referrer_mp": "1"})),
                Bad(&[("referrer_mp", "did you mean `referrere_mp`?")]),
            ),
            (
                "unknown field no suggestion",
                base(json!({"zzzz": 1})),
                Bad(&[("zzzz", "known fields: mobile")]),
            ),
            (
                "five distinct errors",
                raw(
                    json!({"mobile": "123", "name": "", "enable": 9, "birthday": "2022-02-30", "moblie": "x"}),
                ),
                Bad(&[
                    ("mobile", "has 3 digits"),
                    ("name", "empty"),
                    ("birthday", "calendar"),
                    ("enable", "allowed code"),
                    ("moblie", "did you mean `mobile`?"),
                ]),
            ),
            (
                "empty strings dropped",
                base(
                    json!({"address": "", "remark": "  ", "shop": null, "enable": "", "birthday": " ", "level": "", "customer": "\t"}),
                ),
                Good(MIN_OUT),
            ),
            (
                "big integer shop exact",
                base(json!({"shop": 850693217107061760u64, "customer": -5})),
                Good(
                    r#"{"mobile":"13333333333","name":"会员A","shop":"850693217107061760","customer":"-5"}"#,
                ),
            ),
            (
                "float shop refused",
                base(json!({"shop": 1.5})),
                Bad(&[("shop", "as a string")]),
            ),
            (
                "text trimmed except remark",
                base(json!({"address": " 410 ", "remark": " 备注\n第二行 "})),
                Good(
                    r#"{"mobile":"13333333333","name":"会员A","address":"410","remark":" 备注\n第二行 "}"#,
                ),
            ),
            (
                "text as bool",
                base(json!({"custom_no": false})),
                Bad(&[("custom_no", "not a boolean")]),
            ),
        ]
    }

    #[test]
    fn member_table() {
        let rows = rows();
        assert!(rows.len() >= 30);
        for (label, input, expect) in rows {
            let got = validate(&input);
            match expect {
                Good(expected) => {
                    let expected: Map<String, Value> = serde_json::from_str(expected).unwrap();
                    match got {
                        Ok(out) => assert_eq!(out, expected, "row `{label}`"),
                        Err(e) => panic!("row `{label}`: expected success, got {:?}", e.fields),
                    }
                }
                Bad(expected) => {
                    let e = match got {
                        Err(e) => e,
                        Ok(out) => panic!("row `{label}`: expected errors, got {out:?}"),
                    };
                    assert_eq!(e.kind, ErrorKind::Validation, "row `{label}`");
                    let fields: Vec<&str> = e.fields.iter().map(|f| f.field.as_str()).collect();
                    let wanted: Vec<&str> = expected.iter().map(|(f, _)| *f).collect();
                    assert_eq!(fields, wanted, "row `{label}`: {:?}", e.fields);
                    for (f, (_, piece)) in e.fields.iter().zip(expected) {
                        assert!(
                            f.message.contains(piece),
                            "row `{label}`: message for {} is {:?}, wanted it to contain {piece:?}",
                            f.field,
                            f.message
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn seed_passes_through_json_entry_point_byte_identical() {
        let out = validate_json(SEED).unwrap();
        assert_eq!(out.len(), 22);
        assert_eq!(out["name"].as_str().unwrap().as_bytes(), "会员A".as_bytes());
        assert_eq!(out["label"], Value::Null);
        let seed: Value = serde_json::from_str(SEED).unwrap();
        assert_eq!(Value::Object(out), seed);
    }

    #[test]
    fn validate_json_refuses_non_objects() {
        assert_eq!(
            validate_json("[]").unwrap_err().kind,
            ErrorKind::InvalidArgument
        );
        assert_eq!(
            validate_json("{").unwrap_err().kind,
            ErrorKind::InvalidArgument
        );
    }

    #[test]
    fn mobile_messages_never_echo_the_number() {
        for bad in [
            "1333333333",
            "133333333333",
            "23333333333",
            "1333333333x",
            "+861333333333",
        ] {
            let e = validate(&base(json!({"mobile": bad}))).unwrap_err();
            assert!(!e.message.contains("333333"), "{}", e.message);
            for f in &e.fields {
                assert!(!f.message.contains("333333"), "{}", f.message);
            }
            assert!(!e.to_json().to_string().contains("333333"));
        }
    }

    #[test]
    fn normalise_mobile_cases() {
        assert_eq!(
            normalise_mobile(&json!("0086-133-3333-3333")).unwrap(),
            "13333333333"
        );
        assert_eq!(
            normalise_mobile(&json!(13333333333u64)).unwrap(),
            "13333333333"
        );
        assert!(normalise_mobile(&json!(-13333333333i64)).is_err());
        assert!(normalise_mobile(&json!("")).unwrap_err().contains("empty"));
        assert!(normalise_mobile(&json!("+86"))
            .unwrap_err()
            .contains("empty"));
        assert!(normalise_mobile(&json!("１３３３３３３３３３３")).is_err());
        assert!(normalise_mobile(&json!(null)).is_err());
        // Only one prefix is removed.
        assert!(normalise_mobile(&json!("+86+8613333333333")).is_err());
    }

    #[test]
    fn odd_values_in_any_field_are_normalised_or_named() {
        let odd = [
            json!(null),
            json!(true),
            json!(-1),
            json!(u64::MAX),
            json!(i64::MIN),
            json!(1e300),
            json!(""),
            json!("\u{0}"),
            json!("9999-99-99"),
            json!("0000-00-00"),
            json!("２０２２-０８-０１"),
            json!("é€€€€€€€€"),
            json!([null, [], {}]),
            json!({"a": 1}),
        ];
        for field in MEMBER_FIELDS
            .iter()
            .map(|f| f.name)
            .chain(["x", "", "标签"])
        {
            for value in &odd {
                let mut m = base(json!({}));
                m.insert(field.to_string(), value.clone());
                let context = format!("{field:?} = {value}");
                match validate(&m) {
                    // Accepted: sent as a string (a list or null for labels), or dropped.
                    Ok(out) => {
                        let sent = out.get(field);
                        assert!(
                            sent.is_none_or(|v| v.is_string()
                                || (field == "label" && (v.is_array() || v.is_null()))),
                            "{context}: {sent:?}"
                        );
                    }
                    // Refused: naming this field (or one of its elements).
                    Err(e) => {
                        assert_eq!(e.kind, ErrorKind::Validation, "{context}");
                        assert!(
                            e.fields
                                .iter()
                                .any(|f| f.field == field
                                    || f.field.starts_with(&format!("{field}["))),
                            "{context}: {e:?}"
                        );
                    }
                }
                for query in [detail_query(&m).err(), list_query(&m).err()]
                    .into_iter()
                    .flatten()
                {
                    assert_eq!(query.kind, ErrorKind::Validation, "{context}");
                    assert!(!query.fields.is_empty(), "{context}");
                }
            }
        }
    }

    fn obj(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => unreachable!(),
        }
    }

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn error_fields(e: &Error) -> Vec<&str> {
        e.fields.iter().map(|f| f.field.as_str()).collect()
    }

    #[test]
    fn detail_query_by_mobile_or_id() {
        assert_eq!(
            detail_query(&obj(json!({"mobile": "+86 133-3333-3333"}))).unwrap(),
            pairs(&[("mobile", "13333333333")])
        );
        assert_eq!(
            detail_query(&obj(json!({"id": " 1534104111400644608 "}))).unwrap(),
            pairs(&[("id", "1534104111400644608")])
        );
        assert_eq!(
            detail_query(&obj(json!({"id": 1534104111400644608u64, "mobile": null}))).unwrap(),
            pairs(&[("id", "1534104111400644608")])
        );
        assert_eq!(
            detail_query(&obj(json!({"id": "", "mobile": "13333333333"}))).unwrap(),
            pairs(&[("mobile", "13333333333")])
        );
    }

    #[test]
    fn detail_query_errors() {
        let both = detail_query(&obj(json!({"id": "1", "mobile": "13333333333"}))).unwrap_err();
        assert_eq!(both.kind, ErrorKind::Validation);
        assert_eq!(error_fields(&both), ["id"]);
        assert!(both.fields[0].message.contains("exactly one"));

        let neither = detail_query(&Map::new()).unwrap_err();
        assert_eq!(error_fields(&neither), ["id"]);
        assert!(neither.fields[0].message.contains("neither"));

        let typo = detail_query(&obj(json!({"moblie": "13333333333"}))).unwrap_err();
        assert_eq!(error_fields(&typo), ["id", "moblie"]);
        assert!(typo.fields[1].message.contains("did you mean `mobile`?"));

        let bad = detail_query(&obj(json!({"mobile": "1333"}))).unwrap_err();
        assert_eq!(error_fields(&bad), ["mobile"]);
        assert!(!bad.to_json().to_string().contains("1333\""));

        let bad_id = detail_query(&obj(json!({"id": true}))).unwrap_err();
        assert_eq!(error_fields(&bad_id), ["id"]);
        assert!(bad_id.fields[0].message.contains("not a boolean"));
    }

    #[test]
    fn list_query_defaults_and_filters() {
        assert_eq!(
            list_query(&Map::new()).unwrap(),
            pairs(&[("page", "1"), ("page_size", "20")])
        );
        let q = obj(json!({
            "id": 12, "number": " M001 ", "name": "会员A", "enable": 0,
            "start_modified": "2022-11-01 00:00:00", "end_modified": 1667232000000u64,
            "page": 3, "page_size": 100
        }));
        assert_eq!(
            list_query(&q).unwrap(),
            pairs(&[
                ("id", "12"),
                ("number", "M001"),
                ("name", "会员A"),
                ("enable", "0"),
                ("start_modified", "2022-11-01 00:00:00"),
                ("end_modified", "1667232000000"),
                ("page", "3"),
                ("page_size", "100"),
            ])
        );
        assert_eq!(
            list_query(&obj(json!({"name": "", "page": null, "page_size": 1}))).unwrap(),
            pairs(&[("page", "1"), ("page_size", "1")])
        );
    }

    #[test]
    fn list_query_errors() {
        let e = list_query(&obj(json!({"page_size": 101}))).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Validation);
        assert_eq!(error_fields(&e), ["page_size"]);
        assert!(e.fields[0].message.contains("1 to 100"));

        let e = list_query(&obj(json!({"page": 0, "page_size": 0}))).unwrap_err();
        assert_eq!(error_fields(&e), ["page", "page_size"]);

        let e = list_query(&obj(json!({"page": "2", "page_size": 2.5}))).unwrap_err();
        assert_eq!(error_fields(&e), ["page", "page_size"]);

        let e = list_query(&obj(json!({"page": u64::MAX}))).unwrap_err();
        assert_eq!(error_fields(&e), ["page"]);

        let e = list_query(&obj(json!({"enable": 2, "name": []}))).unwrap_err();
        assert_eq!(error_fields(&e), ["name", "enable"]);

        let e = list_query(&obj(json!({"pagesize": 50}))).unwrap_err();
        assert_eq!(error_fields(&e), ["pagesize"]);
        assert!(e.fields[0].message.contains("did you mean `page_size`?"));
    }
}
