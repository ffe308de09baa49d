//! Planning an import before anything is sent: whether an earlier run's journal may be
//! resumed, and where each valid row goes by what that journal says: skipped (saved
//! before), in doubt (in flight when the earlier run stopped) or sent.

use super::journal::{JournalState, RowState};
use crate::args::ImportArgs;
use jdy_member::Error;
use std::path::Path;

/// The journal of an earlier run at `path`, to be used as `--resume` or `--restart` say;
/// an error when there is one and neither is given. `sheet` is the sheet imported (None: a
/// text file).
pub(super) fn earlier_run(
    args: &ImportArgs,
    path: &Path,
    sheet: Option<&str>,
) -> Result<JournalState, Error> {
    let previous = JournalState::load(path, sheet)
        .map_err(|e| Error::invalid_argument(format!("{} cannot be read: {e}", path.display())))?;
    if previous.has_history() && !args.resume && !args.restart {
        return Err(Error::invalid_argument(format!(
            "{} records an earlier import of this file ({} rows saved); pass --resume to continue it (rows already saved are skipped) or --restart to import every row again",
            path.display(),
            previous.saved_count()
        )));
    }
    Ok(if args.restart {
        JournalState::default()
    } else {
        previous
    })
}

/// Where a valid row goes, by what the earlier run's journal says of it.
pub(super) enum Placement {
    /// Saved by an earlier run.
    Skip,
    /// Being sent when the earlier run stopped: look it up before sending it again.
    InDoubt,
    Send,
}

/// Where the valid row at `line` with `fingerprint` goes.
pub(super) fn place(previous: &JournalState, line: usize, fingerprint: u64) -> Placement {
    match previous.state_of(line, fingerprint) {
        Some(RowState::Saved) => Placement::Skip,
        Some(RowState::Sending) => Placement::InDoubt,
        Some(RowState::NotSent) | None => Placement::Send,
    }
}
