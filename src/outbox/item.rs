//! An outbox item: its states, how `jdy_outbox_list` shows it, the counts of
//! `jdy_outbox_status`, a claim for sending, and how an item is read from its row.

use crate::sys::time::iso_time;
use serde::Serialize;
use serde_json::{Map, Value};

/// The states of an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum State {
    Queued,
    Sending,
    Saved,
    Refused,
    Discarded,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Queued => "queued",
            State::Sending => "sending",
            State::Saved => "saved",
            State::Refused => "refused",
            State::Discarded => "discarded",
        }
    }

    pub fn parse(text: &str) -> Option<State> {
        [
            State::Queued,
            State::Sending,
            State::Saved,
            State::Refused,
            State::Discarded,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }
}

/// One item, as `jdy_outbox_list` shows it.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Item {
    pub outbox_id: String,
    pub state: State,
    /// The member, normalised, as it is (or was) sent; the mobile in plaintext.
    pub member: Value,
    pub mobile: String,
    pub attempts: u32,
    /// An earlier send may have reached the gateway: looked up before the next.
    pub in_doubt: bool,
    pub queued_at: String,
    pub updated_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub saved_at: Option<String>,
    /// Kingdee's answer, once saved.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<Value>,
    /// The error of the last attempt, as in an envelope.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<Value>,
}

/// The counts of `jdy_outbox_status`.
#[derive(Debug, Clone, Default, Serialize)]
pub(crate) struct Status {
    pub queued: u64,
    pub sending: u64,
    pub saved: u64,
    pub refused: u64,
    pub discarded: u64,
    /// Of the queued, those that may have reached the gateway already.
    pub in_doubt: u64,
    pub oldest_queued_at: Option<String>,
    /// The most recent error of an item not saved.
    pub last_error: Option<Value>,
}

/// An item claimed for sending.
pub(crate) struct Claimed {
    pub seq: i64,
    /// This claim's own mark in `claimed_by`: a claim that ran out and was taken over is
    /// void, even within the process.
    pub(crate) token: String,
    pub outbox_id: String,
    pub member: Map<String, Value>,
    pub in_doubt: bool,
    /// How many times the item has been claimed for sending, this claim included.
    pub attempts: u32,
}

pub(crate) const SELECT_ITEM: &str = "SELECT seq, outbox_id, state, member, mobile, attempts, in_doubt, queued_at, updated_at, saved_at, result, last_error FROM items";

pub(crate) fn row_item(r: &rusqlite::Row<'_>) -> rusqlite::Result<Item> {
    let state: String = r.get(2)?;
    let json = |text: Option<String>| text.and_then(|t| serde_json::from_str::<Value>(&t).ok());
    Ok(Item {
        outbox_id: r.get(1)?,
        state: State::parse(&state).unwrap_or(State::Queued),
        member: json(Some(r.get(3)?)).unwrap_or(Value::Null),
        mobile: r.get(4)?,
        attempts: r.get::<_, i64>(5)?.max(0) as u32,
        in_doubt: r.get(6)?,
        queued_at: iso_time(r.get(7)?),
        updated_at: iso_time(r.get(8)?),
        saved_at: r.get::<_, Option<i64>>(9)?.map(iso_time),
        result: json(r.get(10)?),
        last_error: json(r.get(11)?),
    })
}
