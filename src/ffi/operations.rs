//! What each export does once its strings are Rust text: one home for every operation, so
//! the cdecl UTF-8 exports and the stdcall ANSI and UTF-16 ones cannot drift apart. Each
//! turns text into JSON values, calls plain Rust and returns the envelope; the callers own
//! the strings, the panic boundary and the way the envelope goes back.

use crate::batch::{self, BatchOptions, MAX_BATCH_BYTES};
use crate::client::Client;
use crate::doctor::Verdict;
use crate::envelope::Envelope;
use crate::error::Result;
use crate::input;
use crate::kingdee::labels::Labels;
use crate::members::validation;
use serde::Serialize;
use serde_json::{Map, Value};

/// An optional JSON object argument: None (a NULL pointer) means `{}`.
fn options(text: Option<&str>, what: &str) -> Result<Map<String, Value>> {
    match text {
        None => Ok(Map::new()),
        Some(text) => input::parse_object(text, what),
    }
}

pub(super) fn member_save(client: &Client, member_json: &str) -> Result<Envelope> {
    let member = input::parse_object(member_json, "member")?;
    Ok(batch::saved_envelope(&client.save_member(&member)?))
}

pub(super) fn member_save_batch(
    client: &Client,
    members_json: &str,
    options_json: Option<&str>,
) -> Result<Envelope<impl Serialize>> {
    let members = input::parse_array(members_json, "member list", MAX_BATCH_BYTES)?;
    let options = match options_json {
        None => BatchOptions::default(),
        Some(text) => BatchOptions::from_map(&input::parse_object(text, "batch options")?)?,
    };
    let results = batch::save_all(client, &members, &options, &batch::Silent);
    Ok(Envelope::ok(batch::summary(&results)))
}

pub(super) fn member_get(client: &Client, query_json: &str) -> Result<Envelope> {
    let query = input::parse_object(query_json, "query")?;
    Ok(Envelope::ok(client.get_member(&query)?))
}

pub(super) fn member_list(client: &Client, query_json: &str) -> Result<Envelope> {
    let query = input::parse_object(query_json, "query")?;
    Ok(Envelope::ok(client.list_members(&query)?))
}

pub(super) fn member_validate(member_json: &str) -> Result<Envelope<impl Serialize>> {
    let normalised = validation::validate_json(member_json)?;
    Ok(validation::validated_envelope(
        normalised,
        Labels::default(),
    ))
}

pub(super) fn outbox_add(client: &Client, member_json: &str) -> Result<Envelope> {
    let member = input::parse_object(member_json, "member")?;
    Ok(Envelope::ok(client.outbox_add(&member)?))
}

pub(super) fn outbox_flush(client: &Client, options_json: Option<&str>) -> Result<Envelope> {
    let options = options(options_json, "flush options")?;
    Ok(Envelope::ok(client.outbox_flush(&options)?))
}

pub(super) fn outbox_status(client: &Client) -> Result<Envelope> {
    Ok(Envelope::ok(client.outbox_status()?))
}

pub(super) fn outbox_list(client: &Client, query_json: Option<&str>) -> Result<Envelope> {
    let query = options(query_json, "query")?;
    Ok(Envelope::ok(client.outbox_list(&query)?))
}

pub(super) fn outbox_retry(client: &Client, query_json: &str) -> Result<Envelope> {
    let query = input::parse_object(query_json, "query")?;
    Ok(Envelope::ok(client.outbox_retry(&query)?))
}

pub(super) fn outbox_discard(client: &Client, query_json: &str) -> Result<Envelope> {
    let query = input::parse_object(query_json, "query")?;
    Ok(Envelope::ok(client.outbox_discard(&query)?))
}

pub(super) fn call(client: &Client, request_json: &str) -> Result<Envelope> {
    let request = input::parse_object(request_json, "request")?;
    Ok(Envelope::ok(client.call(&request)?))
}

pub(super) fn doctor(client: &Client) -> Result<Envelope> {
    let checks = client.doctor();
    let count = |v: Verdict| checks.iter().filter(|c| c.verdict == v).count();
    let (failed, warnings) = (count(Verdict::Fail), count(Verdict::Warn));
    Ok(Envelope::ok(
        serde_json::json!({"checks": checks, "failed": failed, "warnings": warnings}),
    ))
}
