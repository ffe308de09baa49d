//! In-doubt recovery: a row an earlier run was sending when it stopped is looked up before
//! it is sent. Found stored: counted saved and journaled, never sent twice. Not found: sent.
//! The lookup failed: rejected with a message saying to resume again later, since sending
//! it blind could save the member twice.

use super::journal::RowState;
use super::ledger::{self, Ledger};
use crate::records::{FileRecord, Format};
use crate::session::Session;
use jdy_member::Error;
use serde_json::{Map, Value};

/// What the lookup of a row in doubt found.
pub(super) enum Recovery {
    /// Saved already: counted and journaled; the member's id as the lookup gave it.
    Found(Value),
    /// Not saved: send it, as this member.
    NotFound(Map<String, Value>),
    /// The lookup failed: the row is rejected.
    Unknown,
}

/// Settles the row in doubt `record`, whose member as sent is `member`.
pub(super) fn recover(
    session: &Session,
    format: Format,
    record: &FileRecord,
    fingerprint: u64,
    member: Map<String, Value>,
    ledger: &Ledger,
) -> Result<Recovery, Error> {
    match session.client.find_saved(&member) {
        Ok(Some(stored)) => {
            ledger.tally.count_recovered();
            // The lookup's answer as it is: an id of null when it had none.
            let id = stored.get("id").cloned().unwrap_or(Value::Null);
            ledger
                .journal(record, fingerprint, RowState::Saved, Some(&id))
                .map_err(|e| ledger::unwritable(ledger.journal.path(), e))?;
            Ok(Recovery::Found(id))
        }
        Ok(None) => Ok(Recovery::NotFound(member)),
        Err(error) => {
            let error = Error {
                message: format!(
                    "an earlier run may have saved this row and the check failed, so it was not sent again ({}); run --resume again later",
                    error.message
                ),
                ..error
            };
            ledger
                .reject(format, record, &error)
                .map_err(|e| ledger::unwritable(ledger.rejects.path(), e))?;
            Ok(Recovery::Unknown)
        }
    }
}
