//! The JSON requests and answers of the outbox's entry points (`jdy_outbox_*`): what the
//! caller may ask, checked field by field, and what it is told.

use crate::error::{Error, FieldError, Result};
use crate::options::Reader;
use crate::outbox::item::{Item, State};
use crate::outbox::store::{self, Outbox};
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

/// `{"state", "limit", "after"}` of a list: the state (any when absent), at most how many,
/// after which item.
pub(crate) fn list_query(
    query: &Map<String, Value>,
) -> Result<(Option<State>, u32, Option<String>)> {
    let mut r = Reader::new(query);
    r.unknown_keys(&["state", "limit", "after"]);
    let state = match r.given("state") {
        None => None,
        Some(Value::String(s)) => State::parse(s).or_else(|| {
            r.problem("state", format!("must be {STATES}"));
            None
        }),
        Some(_) => {
            r.problem("state", format!("must be a string: {STATES}"));
            None
        }
    };
    let limit = r
        .whole(
            "limit",
            1..=u64::from(store::MAX_LIST),
            format!("must be a whole number from 1 to {}", store::MAX_LIST),
        )
        .map_or(100, |n| n as u32);
    let after = match r.given("after") {
        None => None,
        Some(Value::String(s)) if s.len() <= 64 => Some(s.clone()),
        Some(_) => {
            r.problem("after", "must be an outbox_id from an earlier list");
            None
        }
    };
    r.finish("query", (state, limit, after))
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
        let mut r = Reader::new(query);
        r.unknown_keys(keys);
        let id = match r.given("outbox_id") {
            None => None,
            Some(Value::String(s)) if !s.is_empty() && s.len() <= 64 => Some(s.clone()),
            Some(_) => {
                r.problem("outbox_id", "must be the outbox_id of an item");
                None
            }
        };
        let member = match r.given("member") {
            None => None,
            Some(Value::Object(m)) if id.is_some() => Some(m.clone()),
            Some(_) => {
                r.problem(
                    "member",
                    "must be a member object, and goes with `outbox_id`",
                );
                None
            }
        };
        let state = match (r.given("state"), &id) {
            (None, Some(_)) => State::Refused,
            (Some(Value::String(s)), None) if s == "refused" => State::Refused,
            (Some(Value::String(s)), None) if s == "discarded" && retrying => State::Discarded,
            _ => {
                r.problem(
                    "state",
                    "give either `outbox_id`, or `state`: \"refused\" for every refused item",
                );
                State::Refused
            }
        };
        r.finish("query", Target { id, member, state })
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
