//! Member queries, checked offline: the detail query (exactly one of `id` or `mobile`) and
//! the list query (filters and paging), as the parameters sent.

use crate::config::MAX_QUERY_VALUE_CHARS;
use crate::error::{Error, FieldError};
use crate::input::json_type_name;
use crate::kingdee::api;
use crate::kingdee::fields::{self, Rule};
use crate::members::validation::normalise_mobile;
use crate::members::values::{code, string_or_integer};
use crate::options;
use serde_json::{Map, Value};

/// The keys of a member detail query.
pub const DETAIL_QUERY_KEYS: [&str; 2] = ["id", "mobile"];

/// The `page_size` sent when the caller gives none.
pub const DEFAULT_PAGE_SIZE: i64 = 20;

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
    errors.extend(options::unknown_key_errors(query, &DETAIL_QUERY_KEYS));

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

    for key in api::LIST_FILTERS {
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
    errors.extend(options::unknown_key_errors(query, &api::LIST_QUERY_KEYS));

    if errors.is_empty() {
        Ok(params)
    } else {
        Err(Error::validation("query", errors))
    }
}

/// A query value (an id, a name filter): text of at most `MAX_QUERY_VALUE_CHARS`, no
/// control characters.
fn query_text(value: &Value) -> Result<Option<String>, String> {
    let Some(text) = string_or_integer(value, true)? else {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;
    use serde_json::json;

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
