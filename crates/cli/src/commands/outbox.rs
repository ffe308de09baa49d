//! `jdy-member outbox`: the offline outbox of the configured client (`outbox_path`), from
//! the command line: add members, see what waits, send it, retry or discard refusals.

use crate::args::{OutboxArgs, OutboxCommand};
use crate::commands::read_input;
use crate::output::{Exit, Output};
use crate::session::Session;
use jdy_member::Error;
use serde_json::{json, Map, Value};

/// Items a flush sends per call, so that progress can be shown between calls.
const FLUSH_CHUNK: u64 = 50;

/// The item `id` names, or (without one) every refused item.
fn target(id: &Option<String>) -> Map<String, Value> {
    let mut query = Map::new();
    match id {
        Some(id) => query.insert("outbox_id".into(), Value::from(id.as_str())),
        None => query.insert("state".into(), Value::from("refused")),
    };
    query
}

pub fn run(session: &Session, args: &OutboxArgs, out: &Output) -> Result<Exit, Error> {
    let client = &session.client;
    match &args.command {
        OutboxCommand::Add { file } => {
            let text = read_input(file)?;
            let member = jdy_member::input::parse_object(&text, "member")?;
            out.data(&client.outbox_add(&member)?);
            Ok(Exit::Ok)
        }
        OutboxCommand::Status => {
            out.data(&client.outbox_status()?);
            Ok(Exit::Ok)
        }
        OutboxCommand::List {
            state,
            limit,
            after,
        } => {
            let mut query = Map::new();
            if let Some(state) = state {
                query.insert("state".into(), Value::from(state.as_str()));
            }
            query.insert("limit".into(), Value::from(*limit));
            if let Some(after) = after {
                query.insert("after".into(), Value::from(after.as_str()));
            }
            out.data(&client.outbox_list(&query)?);
            Ok(Exit::Ok)
        }
        OutboxCommand::Flush {
            max,
            deadline_ms,
            concurrency,
        } => flush(session, *max, *deadline_ms, *concurrency, out),
        OutboxCommand::Retry { id, member, .. } => {
            let mut query = target(id);
            if let Some(path) = member {
                let text = std::fs::read_to_string(path).map_err(|e| {
                    Error::invalid_argument(format!("{} cannot be read: {e}", path.display()))
                })?;
                query.insert(
                    "member".into(),
                    Value::Object(jdy_member::input::parse_object(&text, "member")?),
                );
            }
            out.data(&client.outbox_retry(&query)?);
            Ok(Exit::Ok)
        }
        OutboxCommand::Discard { id, .. } => {
            out.data(&client.outbox_discard(&target(id))?);
            Ok(Exit::Ok)
        }
    }
}

/// Flushes in chunks, printing progress between them; the exit code says the worst.
fn flush(
    session: &Session,
    max: Option<u64>,
    deadline_ms: Option<u64>,
    concurrency: u64,
    out: &Output,
) -> Result<Exit, Error> {
    let client = &session.client;
    let started = std::time::Instant::now();
    let total = json!({"saved": 0, "recovered": 0, "refused": 0, "failed": 0});
    let mut total = total.as_object().cloned().unwrap_or_default();
    let mut done = 0u64;
    let mut left = 0u64;
    loop {
        let elapsed = started.elapsed().as_millis() as u64;
        let remaining_ms = deadline_ms.map(|d| d.saturating_sub(elapsed));
        if remaining_ms == Some(0) {
            break;
        }
        let chunk = max.map_or(FLUSH_CHUNK, |m| m.saturating_sub(done).min(FLUSH_CHUNK));
        if chunk == 0 {
            break;
        }
        let mut options = json!({"max": chunk, "concurrency": concurrency});
        if let Some(ms) = remaining_ms {
            options["deadline_ms"] = Value::from(ms);
        }
        let summary = client.outbox_flush(options.as_object().unwrap_or(&Map::new()))?;
        let count = |key: &str| summary.get(key).and_then(Value::as_u64).unwrap_or(0);
        for key in ["saved", "recovered", "refused", "failed"] {
            let sum = total.get(key).and_then(Value::as_u64).unwrap_or(0) + count(key);
            total.insert(key.into(), Value::from(sum));
        }
        let handled = count("saved") + count("refused") + count("failed");
        done += handled;
        left = count("left");
        out.note(&format!(
            "progress: {done} sent, saved {}, refused {}, failed {}, {left} left",
            total["saved"], total["refused"], total["failed"]
        ));
        // Nothing more to send now: empty, or what is left cannot go (the gateway is down).
        if handled < chunk || count("failed") > 0 && count("saved") == 0 {
            break;
        }
    }
    total.insert("left".into(), Value::from(left));
    let exit = if total["failed"].as_u64().unwrap_or(0) > 0 {
        Exit::Transport
    } else if total["refused"].as_u64().unwrap_or(0) > 0 {
        Exit::Rejected
    } else {
        Exit::Ok
    };
    out.data(&Value::Object(total));
    Ok(exit)
}
