//! In-doubt recovery: the rows an earlier run was sending when it stopped are looked up
//! before anything is sent. Found stored: counted saved and journaled, never sent twice.
//! Not found: queued to send. The lookup failed: rejected with a message saying to resume
//! again later, since sending it blind could save the member twice.

use super::journal::RowState;
use super::ledger::{self, Ledger};
use super::plan::{InDoubt, Queue};
use crate::records::Format;
use crate::session::Session;
use jdy_member::Error;

/// Settles every row in doubt; returns how many were found saved.
pub(super) fn recover<'a>(
    session: &Session,
    format: Format,
    in_doubt: Vec<InDoubt<'a>>,
    queue: &mut Queue<'a>,
    ledger: &Ledger,
) -> Result<usize, Error> {
    let mut recovered = 0usize;
    for row in in_doubt {
        match session.client.find_saved(&row.member) {
            Ok(Some(stored)) => {
                recovered += 1;
                ledger.tally.count_saved();
                // The lookup's answer as it is: an id of null when it had none.
                let id = stored.get("id").unwrap_or(&serde_json::Value::Null);
                ledger
                    .journal(row.record, &row.fingerprint, RowState::Saved, Some(id))
                    .map_err(|e| ledger::unwritable(ledger.journal.path(), e))?;
            }
            Ok(None) => queue.push(row.record, row.fingerprint, row.member),
            Err(error) => {
                let error = Error {
                    message: format!(
                        "an earlier run may have saved this row and the check failed, so it was not sent again ({}); run --resume again later",
                        error.message
                    ),
                    ..error
                };
                ledger
                    .reject(format, row.record, &error)
                    .map_err(|e| ledger::unwritable(ledger.rejects.path(), e))?;
            }
        }
    }
    Ok(recovered)
}
