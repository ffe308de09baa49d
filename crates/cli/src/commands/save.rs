//! `jdy-member save`: one member (a JSON object) saved directly, or many (a JSON array or
//! JSON lines) saved as a batch with one error line per refused item.

use crate::args::SaveArgs;
use crate::commands::read_input;
use crate::output::{Exit, Output};
use crate::records::{self, FileRecord};
use crate::session::Session;
use jdy_member::batch::{self, BatchOptions};
use jdy_member::Error;
use serde_json::Value;

pub fn run(session: &Session, args: &SaveArgs, out: &Output) -> Result<Exit, Error> {
    let (records, many) = records::read_json_text(&read_input(&args.file)?)?;
    if !many {
        let saved = match records.first().map(|r| &r.member) {
            Some(Ok(member)) => session.client.save_member(member)?,
            Some(Err(problem)) => return Err(Error::invalid_argument(problem.clone())),
            None => return Err(Error::invalid_argument("the input holds no member")),
        };
        out.saved(&saved);
        return Ok(Exit::Ok);
    }
    save_many(session, &records, out)
}

/// Saves every record as one batch; records that are not objects go as they are, so the
/// batch refuses them in its own words.
fn save_many(session: &Session, records: &[FileRecord], out: &Output) -> Result<Exit, Error> {
    let members: Vec<Value> = records
        .iter()
        .map(|r| {
            r.member
                .clone()
                .map(Value::Object)
                .unwrap_or_else(|_| r.source.clone())
        })
        .collect();
    let results = batch::save_all(
        &session.client,
        &members,
        &BatchOptions::default(),
        &batch::Silent,
    );
    let mut exit = Exit::Ok;
    let mut saved = Vec::new();
    for (index, result) in results.iter().enumerate() {
        match result {
            Ok(done) => saved.push(done.data.clone()),
            Err(error) => {
                exit = exit.max(Exit::for_kind(error.kind));
                out.record_error(&format!("item {}", index + 1), error);
            }
        }
    }
    if out.json {
        out.data(&serde_json::to_value(batch::summary(&results)).unwrap_or(Value::Null));
    } else {
        out.data(&Value::Array(saved));
    }
    Ok(exit)
}
