//! Planning an import before anything is sent: whether an earlier run's journal may be
//! resumed, every record checked offline (refused rows never reach the gateway), and each
//! valid row put where the journal says: skipped (saved before), in doubt (in flight when
//! the earlier run stopped) or queued to send.

use super::journal::{self, JournalState};
use super::ledger::{self, Ledger};
use crate::args::ImportArgs;
use crate::output::Output;
use crate::records::{self, FileRecord, Records};
use jdy_member::Error;
use serde_json::{Map, Value};
use std::path::Path;

/// What the import does with the valid rows of the file.
pub(super) struct Plan<'a> {
    pub queue: Queue<'a>,
    pub in_doubt: Vec<InDoubt<'a>>,
    /// Rows an earlier run saved.
    pub skipped: usize,
}

/// The rows to send, and their members as the batch takes them (index for index).
#[derive(Default)]
pub(super) struct Queue<'a> {
    pub rows: Vec<Pending<'a>>,
    pub members: Vec<Value>,
}

impl<'a> Queue<'a> {
    pub fn push(
        &mut self,
        record: &'a FileRecord,
        fingerprint: String,
        member: Map<String, Value>,
    ) {
        self.rows.push(Pending {
            record,
            fingerprint,
        });
        self.members.push(Value::Object(member));
    }
}

/// One member on its way to the gateway.
pub(super) struct Pending<'a> {
    pub record: &'a FileRecord,
    pub fingerprint: String,
}

/// A row an earlier run was sending when it stopped: saved or not, nobody knows yet.
pub(super) struct InDoubt<'a> {
    pub record: &'a FileRecord,
    pub fingerprint: String,
    /// The member as it would be sent.
    pub member: Map<String, Value>,
}

/// The journal of an earlier run at `path`, to be used as `--resume` or `--restart` say;
/// an error when there is one and neither is given.
pub(super) fn earlier_run(args: &ImportArgs, path: &Path) -> Result<JournalState, Error> {
    let previous = JournalState::load(path)
        .map_err(|e| Error::invalid_argument(format!("{} cannot be read: {e}", path.display())))?;
    if previous.has_history() && !args.resume && !args.restart {
        return Err(Error::invalid_argument(format!(
            "{} records an earlier import of this file ({} rows saved); pass --resume to continue it (rows already saved are skipped) or --restart to import every row again",
            path.display(),
            previous.saved.len()
        )));
    }
    Ok(if args.restart {
        JournalState::default()
    } else {
        previous
    })
}

/// Checks every record offline, rejecting the invalid ones, and places the others.
pub(super) fn plan<'a>(
    records: &'a Records,
    previous: &JournalState,
    ledger: &Ledger,
    out: &Output,
) -> Result<Plan<'a>, Error> {
    let mut plan = Plan {
        queue: Queue::default(),
        in_doubt: Vec::new(),
        skipped: 0,
    };
    for (record, checked) in records.records.iter().zip(records::check(records)) {
        let normalised = match checked {
            Ok(normalised) => normalised,
            Err(error) => {
                if !out.json {
                    out.record_error(&record.location(records.format), &error);
                }
                ledger
                    .reject(records.format, record, &error)
                    .map_err(|e| ledger::unwritable(ledger.rejects.path(), e))?;
                continue;
            }
        };
        let key = ledger.key(record, journal::fingerprint(&normalised));
        if previous.saved.contains(&key) {
            plan.skipped += 1;
        } else if previous.sending.contains(&key) {
            plan.in_doubt.push(InDoubt {
                record,
                fingerprint: key.2,
                member: normalised,
            });
        } else {
            plan.queue.push(record, key.2, normalised);
        }
    }
    Ok(plan)
}
