//! Finding out whether a save whose answer was lost took effect.
//!
//! `member_detail` answers only `id, mobile, name, card_no, card_id, level_name, usable,
//! available`, its mobile possibly encrypted (notes §6), and says "not found" in more than
//! one way. So a lost save is looked up by mobile, the decrypted mobile and the name are
//! compared, and then the member's list row (found by `id`) is compared on every field it
//! carries, under the list's names (`shop` → `shop_id`, ...). Fields no answer shows cannot
//! be compared and are not.

use crate::error::{Delivery, Error, ErrorKind, Result};
use crate::gateway::engine::Engine;
use crate::kingdee::api;
use crate::kingdee::fields::{self, Rule};
use serde_json::{Map, Value};
use std::time::Instant;

/// The member of a detail answer, or None for every form of "not found": `data` null, an
/// empty object or list, an object without an id, or a business refusal of the lookup
/// (such as `1000000003 会员不存在`) — the query is well-formed, so a business refusal of
/// it can only mean there is no such member.
pub(crate) fn found_member(answer: Result<Value>) -> Result<Option<Value>> {
    match answer {
        Ok(Value::Object(member)) => Ok(has_id(&member).then_some(Value::Object(member))),
        Ok(_) => Ok(None),
        Err(error) if is_not_found(&error) => Ok(None),
        Err(error) => Err(error),
    }
}

fn has_id(member: &Map<String, Value>) -> bool {
    match member.get("id") {
        Some(Value::String(id)) => !id.trim().is_empty(),
        Some(Value::Number(_)) => true,
        _ => false,
    }
}

fn is_not_found(error: &Error) -> bool {
    error.kind == ErrorKind::Api
        && error.delivery == Delivery::Answered
        && error.http_status.is_some_and(|s| (200..300).contains(&s))
}

/// An answer's value as text to compare with what was sent; a boolean as the code it
/// stands for (`true` → `1`).
fn comparable(value: &Value) -> Option<String> {
    match value {
        Value::Bool(b) => Some(if *b { "1" } else { "0" }.to_string()),
        other => api::answer_text(other),
    }
}

/// Whether a stored value shows what was sent. Dates may come back with a time of day.
fn same(sent: &Value, kept: &Value, rule: Rule) -> bool {
    let (Some(sent), Some(kept)) = (comparable(sent), comparable(kept)) else {
        return false;
    };
    sent == kept || (rule == Rule::Date && kept.starts_with(&sent))
}

/// The stored member, in the shape of a save answer, if `normalised` is saved as given;
/// None when it is not stored, or stored differently. An error only when a lookup itself
/// failed.
pub(crate) fn stored_as_sent(
    engine: &Engine,
    normalised: &Map<String, Value>,
    deadline: Instant,
) -> Result<Option<Value>> {
    let Some(mobile) = normalised.get("mobile").and_then(Value::as_str) else {
        return Ok(None);
    };
    let params = [("mobile".to_string(), mobile.to_string())];
    let detail = engine.read(
        api::MEMBER_DETAIL,
        &params,
        "member detail (checking a save)",
        Some(mobile),
        deadline,
    );
    let Some(Value::Object(stored)) = found_member(detail)? else {
        return Ok(None);
    };
    // A mobile that did not decrypt cannot be compared; the lookup was by mobile anyway.
    let mobile_differs = stored
        .get("mobile")
        .and_then(comparable)
        .is_some_and(|kept| kept.bytes().all(|b| b.is_ascii_digit()) && kept != mobile);
    let name_differs = match (normalised.get("name"), stored.get("name")) {
        (Some(sent), Some(kept)) => !same(sent, kept, Rule::Name),
        _ => false,
    };
    if mobile_differs || name_differs {
        return Ok(None);
    }
    let id = stored.get("id").and_then(comparable).unwrap_or_default();
    let row = list_row(engine, &id, deadline)?;
    if let Some(row) = &row {
        for (key, sent) in normalised {
            let Some(field) = fields::member_field(key) else {
                continue;
            };
            let Some(kept) = field.list_name.and_then(|name| row.get(name)) else {
                continue;
            };
            if !same(sent, kept, field.rule) {
                return Ok(None);
            }
        }
    }
    Ok(Some(save_answer(normalised, &stored, row.as_ref())))
}

/// The list row of the member with `id`, if the list shows it.
fn list_row(engine: &Engine, id: &str, deadline: Instant) -> Result<Option<Map<String, Value>>> {
    if id.is_empty() {
        return Ok(None);
    }
    let params = [
        ("id".to_string(), id.to_string()),
        ("page".to_string(), "1".to_string()),
        ("page_size".to_string(), "10".to_string()),
    ];
    let page = engine.read(
        api::MEMBER,
        &params,
        "member list (checking a save)",
        None,
        deadline,
    )?;
    let rows = page.get("rows").and_then(Value::as_array);
    Ok(rows
        .into_iter()
        .flatten()
        .filter_map(Value::as_object)
        .find(|row| row.get("id").and_then(comparable).as_deref() == Some(id))
        .cloned())
}

/// A save answer rebuilt from what was sent and what the lookups showed.
fn save_answer(
    normalised: &Map<String, Value>,
    stored: &Map<String, Value>,
    row: Option<&Map<String, Value>>,
) -> Value {
    let mut answer = Map::new();
    for key in api::SAVE_ANSWER_FIELDS {
        let value = match key {
            "id" | "mobile" | "name" => stored.get(key).or_else(|| normalised.get(key)),
            "db_modify_time" => row.and_then(|r| r.get("modify_time").or_else(|| r.get(key))),
            "enable" => row.and_then(|r| r.get(key)).or_else(|| normalised.get(key)),
            _ => normalised.get(key),
        };
        if let Some(value) = value {
            answer.insert(key.to_string(), value.clone());
        }
    }
    Value::Object(answer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn not_found_in_every_form() {
        for answer in [
            json!(null),
            json!({}),
            json!([]),
            json!({"id": ""}),
            json!({"name": "x"}),
        ] {
            assert_eq!(found_member(Ok(answer.clone())).unwrap(), None, "{answer}");
        }
        let refusal = Error::new(ErrorKind::Api, "x")
            .with_errcode(1_000_000_003, Some("会员不存在".into()))
            .with_status(200)
            .delivered(Delivery::Answered);
        assert_eq!(found_member(Err(refusal)).unwrap(), None);
        let member = json!({"id": "1", "name": "会员A"});
        assert_eq!(found_member(Ok(member.clone())).unwrap(), Some(member));
        let down = Error::new(ErrorKind::Server, "502")
            .with_status(502)
            .delivered(Delivery::Answered);
        assert!(
            found_member(Err(down)).is_err(),
            "a failed lookup is not 'not found'"
        );
        let denied = Error::new(ErrorKind::Auth, "4012")
            .with_status(519)
            .delivered(Delivery::Answered);
        assert!(found_member(Err(denied)).is_err());
    }

    #[test]
    fn values_compare_across_shapes() {
        assert!(same(&json!("1"), &json!(1), Rule::Code));
        assert!(same(&json!("1"), &json!(true), Rule::Code));
        assert!(same(
            &json!("2022-08-01"),
            &json!("2022-08-01 00:00:00"),
            Rule::Date
        ));
        assert!(!same(
            &json!("2022-08-01"),
            &json!("2022-08-02"),
            Rule::Date
        ));
        assert!(!same(
            &json!("备注"),
            &json!(""),
            Rule::Text { trim: false }
        ));
        assert!(!same(&json!("x"), &json!(null), Rule::Text { trim: true }));
    }
}
