//! The import journal's lines (`<input>.journal.jsonl`): what each is, how a row is known
//! in it, and what the journal of an earlier run says about each row.
//!
//! A line is `{"line": n, "fp": fingerprint, "state": ..., "id": ...}` (with `"sheet"` for
//! a workbook, whose `line` is the sheet's row number): `sending` before a row's save
//! request, `saved` after it succeeded (with the member's id), `not_sent` when it failed in
//! a way that certainly saved nothing.
//!
//! What a resumed import keeps of the journal is compact, so that resuming a million rows
//! stays flat: a row's key is two numbers (16 bytes), its sheet an index into the few sheet
//! names the journal holds.

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use std::collections::HashSet;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

/// A row's identity in the journal: a digest of the member as sent (so a row edited between
/// runs is imported again), and its line or row number with its sheet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct RowKey {
    fingerprint: u64,
    /// The line or row number in the low 40 bits (a file of 2^40 lines would be a terabyte),
    /// the sheet's index among the journal's sheets above them.
    place: u64,
}

const LINE_BITS: u32 = 40;

impl RowKey {
    fn new(sheet: u32, line: usize, fingerprint: u64) -> RowKey {
        let line = (line as u64).min((1 << LINE_BITS) - 1);
        RowKey {
            fingerprint,
            place: u64::from(sheet) << LINE_BITS | line,
        }
    }
}

/// The digest of the member as sent: the first 8 bytes of its SHA-256, written in the
/// journal as 16 hex digits.
pub(super) fn fingerprint(normalised: &Map<String, Value>) -> u64 {
    let text = serde_json::to_string(normalised).unwrap_or_default();
    let digest = Sha256::digest(text.as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_be_bytes(first)
}

/// A digest as the journal writes it.
fn fingerprint_text(fingerprint: u64) -> String {
    format!("{fingerprint:016x}")
}

/// A digest the journal wrote; None for anything else, which no row matches.
fn parse_fingerprint(text: &str) -> Option<u64> {
    let hex = text.len() == 16 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    hex.then(|| u64::from_str_radix(text, 16).ok()).flatten()
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
    fingerprint: u64,
    state: RowState,
    id: Option<&Value>,
) -> Value {
    let fp = fingerprint_text(fingerprint);
    let mut entry = serde_json::json!({"line": line, "fp": fp, "state": state.name()});
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
    saved: HashSet<RowKey>,
    sending: HashSet<RowKey>,
    /// The sheets the journal names ("" for a text file's rows).
    sheets: Vec<String>,
    /// The index of the sheet being imported, when the journal names it.
    current: Option<u32>,
}

impl JournalState {
    /// The journal at `path`, for an import of `sheet` (None: a text file); none is an
    /// empty one.
    pub fn load(path: &Path, sheet: Option<&str>) -> std::io::Result<JournalState> {
        let mut state = JournalState::default();
        let file = match File::open(path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(state),
            Err(e) => return Err(e),
        };
        for line in BufReader::new(file).lines() {
            // A line cut short by a killed process is simply not there.
            if let Ok(entry) = serde_json::from_str::<Value>(&line?) {
                state.apply(&entry);
            }
        }
        let sheet = sheet.unwrap_or_default();
        state.current = state
            .sheets
            .iter()
            .position(|s| s == sheet)
            .map(|i| i as u32);
        Ok(state)
    }

    /// Takes one journal line into account.
    fn apply(&mut self, entry: &Value) {
        let (Some(n), Some(fp)) = (
            entry.get("line").and_then(Value::as_u64),
            entry
                .get("fp")
                .and_then(Value::as_str)
                .and_then(parse_fingerprint),
        ) else {
            return;
        };
        let sheet = entry
            .get("sheet")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let index = match self.sheets.iter().position(|s| s == sheet) {
            Some(index) => index,
            None => {
                self.sheets.push(sheet.to_string());
                self.sheets.len() - 1
            }
        };
        let key = RowKey::new(index as u32, n as usize, fp);
        let row_state = entry.get("state").and_then(Value::as_str);
        match row_state.and_then(RowState::from_name) {
            Some(RowState::Saved) => {
                self.sending.remove(&key);
                self.saved.insert(key);
            }
            Some(RowState::Sending) => {
                self.sending.insert(key);
            }
            Some(RowState::NotSent) => {
                self.sending.remove(&key);
            }
            None => {}
        }
    }

    /// Whether an earlier run left anything to resume.
    pub fn has_history(&self) -> bool {
        !self.saved.is_empty() || !self.sending.is_empty()
    }

    /// How many rows the earlier runs saved.
    pub fn saved_count(&self) -> usize {
        self.saved.len()
    }

    /// What the journal says of the row at `line` of the sheet imported, with
    /// `fingerprint`: saved, in doubt (`Sending`), or nothing (None: send it).
    pub fn state_of(&self, line: usize, fingerprint: u64) -> Option<RowState> {
        let key = RowKey::new(self.current?, line, fingerprint);
        if self.saved.contains(&key) {
            Some(RowState::Saved)
        } else if self.sending.contains(&key) {
            Some(RowState::Sending)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_are_written_and_read_as_16_hex_digits() {
        let fp = 0x0123_4567_89ab_cdef;
        assert_eq!(fingerprint_text(fp), "0123456789abcdef");
        assert_eq!(parse_fingerprint("0123456789abcdef"), Some(fp));
        for bad in [
            "123456789abcdef",
            "0123456789ABCDEF",
            "0123456789abcdeg",
            "",
        ] {
            assert_eq!(parse_fingerprint(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_journal_says_saved_in_doubt_or_nothing_per_sheet() {
        let mut state = JournalState::default();
        let line = |sheet: &str, line: u64, fp: u64, s: &str| serde_json::json!({"sheet": sheet, "line": line, "fp": fingerprint_text(fp), "state": s});
        for entry in [
            line("A", 2, 7, "sending"),
            line("A", 2, 7, "saved"),
            line("A", 3, 8, "sending"),
            line("A", 4, 9, "sending"),
            line("A", 4, 9, "not_sent"),
            line("B", 2, 7, "saved"),
        ] {
            state.apply(&entry);
        }
        state.current = Some(0);
        assert_eq!(state.state_of(2, 7), Some(RowState::Saved));
        assert_eq!(state.state_of(2, 6), None, "edited since: sent again");
        assert_eq!(state.state_of(3, 8), Some(RowState::Sending));
        assert_eq!(state.state_of(4, 9), None);
        assert_eq!(state.saved_count(), 2);
        assert!(state.has_history());
        assert_eq!(std::mem::size_of::<RowKey>(), 16);
    }
}
