//! The import journal's lines (`<input>.journal.jsonl`): what each is, how a row is known
//! in it, and what the journal of an earlier run says about each row.
//!
//! A line is `{"line": n, "fp": fingerprint, "state": ..., "id": ...}` (with `"sheet"` for
//! a workbook, whose `line` is the sheet's row number): `sending` before a row's save
//! request, `saved` after it succeeded (with the member's id), `not_sent` when it failed in
//! a way that certainly saved nothing.

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use std::collections::HashSet;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

/// A row's identity in the journal: its sheet (empty for a text file), its line or row
/// number, and a digest of the member as sent, so a row edited between runs is imported
/// again.
pub(super) type RowKey = (String, usize, String);

/// The digest half of a row's `RowKey`.
pub(super) fn fingerprint(normalised: &Map<String, Value>) -> String {
    let text = serde_json::to_string(normalised).unwrap_or_default();
    let digest = Sha256::digest(text.as_bytes());
    base16ct::lower::encode_string(&digest[..8])
}

/// The state a journal line gives a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum RowState {
    /// Its save request is about to go: in doubt until a later line says more.
    Sending,
    Saved,
    /// Certainly not saved: sent again on resume, without a lookup.
    NotSent,
}

impl RowState {
    const ALL: [RowState; 3] = [RowState::Sending, RowState::Saved, RowState::NotSent];

    fn name(self) -> &'static str {
        match self {
            RowState::Sending => "sending",
            RowState::Saved => "saved",
            RowState::NotSent => "not_sent",
        }
    }

    fn from_name(name: &str) -> Option<RowState> {
        RowState::ALL.into_iter().find(|state| state.name() == name)
    }
}

/// The journal line saying `state` of the row at `line` (of `sheet`) with `fingerprint`.
pub(super) fn entry(
    sheet: Option<&str>,
    line: usize,
    fingerprint: &str,
    state: RowState,
    id: Option<&Value>,
) -> Value {
    let mut entry = serde_json::json!({"line": line, "fp": fingerprint, "state": state.name()});
    if let Some(sheet) = sheet {
        entry["sheet"] = Value::from(sheet);
    }
    if let Some(id) = id {
        entry["id"] = id.clone();
    }
    entry
}

/// What the journal of an earlier run says: the rows it saved, and those it was sending
/// when it stopped (saved or not, nobody knows).
#[derive(Default)]
pub(super) struct JournalState {
    pub saved: HashSet<RowKey>,
    pub sending: HashSet<RowKey>,
}

impl JournalState {
    /// The journal at `path`; none is an empty one.
    pub fn load(path: &Path) -> std::io::Result<JournalState> {
        let mut state = JournalState::default();
        let file = match File::open(path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(state),
            Err(e) => return Err(e),
        };
        for line in BufReader::new(file).lines() {
            // A line cut short by a killed process is simply not there.
            let Ok(entry) = serde_json::from_str::<Value>(&line?) else {
                continue;
            };
            let (Some(n), Some(fp)) = (
                entry.get("line").and_then(Value::as_u64),
                entry.get("fp").and_then(Value::as_str),
            ) else {
                continue;
            };
            let sheet = entry
                .get("sheet")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let key = (sheet.to_string(), n as usize, fp.to_string());
            let row_state = entry.get("state").and_then(Value::as_str);
            match row_state.and_then(RowState::from_name) {
                Some(RowState::Saved) => {
                    state.sending.remove(&key);
                    state.saved.insert(key);
                }
                Some(RowState::Sending) => {
                    state.sending.insert(key);
                }
                Some(RowState::NotSent) => {
                    state.sending.remove(&key);
                }
                None => {}
            }
        }
        Ok(state)
    }

    /// Whether an earlier run left anything to resume.
    pub fn has_history(&self) -> bool {
        !self.saved.is_empty() || !self.sending.is_empty()
    }
}
