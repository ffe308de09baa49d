//! The JSON requests and answers of the outbox's entry points (`jdy_outbox_*`): what the
//! caller may ask, checked field by field, and what it is told.

use crate::error::{Error, FieldError, Result};
use crate::input;
use crate::outbox::store::{self, Item, Outbox, State};
use serde_json::{json, Map, Value};

const STATES: &str = "queued, sending, saved, refused or discarded";

/// An outbox item as an answer: what a till needs to show and to find it again.
pub(crate) fn answer(item: &Item) -> Value {
    json!({
        "outbox_id": item.outbox_id,
        "state": item.state,
        "mobile": item.mobile,
        "queued_at": item.queued_at,
    })
}

fn unknown_keys(query: &Map<String, Value>, known: &[&str], problems: &mut Vec<FieldError>) {
    for key in query.keys() {
        if !known.contains(&key.as_str()) {
            problems.push(FieldError::new(
                key.as_str(),
                input::unknown_key_message(key, known),
            ));
        }
    }
}

/// `{"state", "limit", "after"}` of a list: the state (any when absent), at most how many,
/// after which item.
pub(crate) fn list_query(
    query: &Map<String, Value>,
) -> Result<(Option<State>, u32, Option<String>)> {
    let mut problems = Vec::new();
    unknown_keys(query, &["state", "limit", "after"], &mut problems);
    let state = match query.get("state") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => State::parse(s).or_else(|| {
            problems.push(FieldError::new("state", format!("must be {STATES}")));
            None
        }),
        Some(_) => {
            problems.push(FieldError::new(
                "state",
                format!("must be a string: {STATES}"),
            ));
            None
        }
    };
    let limit = match query.get("limit") {
        None | Some(Value::Null) => 100,
        Some(v) => match v
            .as_u64()
            .filter(|n| (1..=u64::from(store::MAX_LIST)).contains(n))
        {
            Some(n) => n as u32,
            None => {
                problems.push(FieldError::new(
                    "limit",
                    format!("must be a whole number from 1 to {}", store::MAX_LIST),
                ));
                100
            }
        },
    };
    let after = match query.get("after") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.len() <= 64 => Some(s.clone()),
        Some(_) => {
            problems.push(FieldError::new(
                "after",
                "must be an outbox_id from an earlier list",
            ));
            None
        }
    };
    if problems.is_empty() {
        Ok((state, limit, after))
    } else {
        Err(Error::validation("query", problems))
    }
}

/// What retry and discard act on: one item (optionally with a corrected member), or every
/// item in a state.
pub(crate) struct Target {
    pub id: Option<String>,
    pub member: Option<Map<String, Value>>,
    pub state: State,
}

impl Target {
    /// `{"outbox_id": .., ["member": ..]}` or `{"state": "refused"}` (retry also takes
    /// `"discarded"`).
    pub fn parse(query: &Map<String, Value>, retrying: bool) -> Result<Target> {
        let keys: &[&str] = if retrying {
            &["outbox_id", "member", "state"]
        } else {
            &["outbox_id", "state"]
        };
        let mut problems = Vec::new();
        unknown_keys(query, keys, &mut problems);
        let id = match query.get("outbox_id") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if !s.is_empty() && s.len() <= 64 => Some(s.clone()),
            Some(_) => {
                problems.push(FieldError::new(
                    "outbox_id",
                    "must be the outbox_id of an item",
                ));
                None
            }
        };
        let member = match query.get("member") {
            None | Some(Value::Null) => None,
            Some(Value::Object(m)) if id.is_some() => Some(m.clone()),
            Some(_) => {
                problems.push(FieldError::new(
                    "member",
                    "must be a member object, and goes with `outbox_id`",
                ));
                None
            }
        };
        let state = match (query.get("state"), &id) {
            (None | Some(Value::Null), Some(_)) => State::Refused,
            (Some(Value::String(s)), None) if s == "refused" => State::Refused,
            (Some(Value::String(s)), None) if s == "discarded" && retrying => State::Discarded,
            _ => {
                problems.push(FieldError::new(
                    "state",
                    "give either `outbox_id`, or `state`: \"refused\" for every refused item",
                ));
                State::Refused
            }
        };
        if problems.is_empty() {
            Ok(Target { id, member, state })
        } else {
            Err(Error::validation("query", problems))
        }
    }

    /// The answer of retry and discard: the item when one was named, else the count.
    pub fn answer(
        &self,
        outbox: &Outbox,
        changed: usize,
        what: &str,
        refusal: &str,
    ) -> Result<Value> {
        let Some(id) = self.id.as_deref() else {
            return Ok(json!({ what: changed }));
        };
        let refuse =
            |why: &str| Error::validation("query", vec![FieldError::new("outbox_id", why)]);
        match outbox.get(id)? {
            None => Err(refuse("names no item of this outbox")),
            Some(_) if changed == 0 => Err(refuse(refusal)),
            Some(item) => serde_json::to_value(item).map_err(|e| Error::internal(e.to_string())),
        }
    }
}
