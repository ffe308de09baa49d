//! The end of an import: the summary (a JSON object with `--json`, two lines for people
//! naming the rejects file when it has rows) and the exit code of the worst row.

use super::ledger::Ledger;
use crate::output::{Exit, Output};
use serde_json::Value;
use std::path::Path;
use std::time::Instant;

/// How the rows of the file went, besides the tally of the ledger.
pub(super) struct RowCounts {
    /// Records in the file.
    pub records: usize,
    /// Rows handed to the gateway.
    pub sent: usize,
}

/// Prints the summary; returns the exit code.
pub(super) fn report(
    file: &Path,
    counts: &RowCounts,
    started: Instant,
    ledger: &Ledger,
    out: &Output,
) -> Exit {
    let seconds = started.elapsed().as_secs_f64();
    let rate = if seconds > 0.0 {
        counts.sent as f64 / seconds
    } else {
        0.0
    };
    if out.json {
        out.data(&summary(file, counts, seconds, rate, ledger));
    } else {
        say(seconds, rate, ledger, out);
    }
    ledger.tally.worst()
}

/// The summary for programs.
fn summary(file: &Path, counts: &RowCounts, seconds: f64, rate: f64, ledger: &Ledger) -> Value {
    let tally = &ledger.tally;
    let (refused, failed) = (tally.refused(), tally.failed());
    serde_json::json!({
        "file": file.display().to_string(),
        "records": counts.records,
        "saved": tally.saved(),
        "recovered": tally.recovered(),
        "skipped": tally.skipped(),
        "refused": refused,
        "failed": failed,
        "seconds": (seconds * 1000.0).round() / 1000.0,
        "rate": (rate * 10.0).round() / 10.0,
        "rejects": (refused + failed > 0).then(|| ledger.rejects.path().display().to_string()),
        "journal": ledger.journal.path().display().to_string(),
    })
}

/// The summary for people.
fn say(seconds: f64, rate: f64, ledger: &Ledger, out: &Output) {
    let tally = &ledger.tally;
    let (saved, refused, failed) = (tally.saved(), tally.refused(), tally.failed());
    let (skipped, recovered) = (tally.skipped(), tally.recovered());
    out.note(&format!(
        "saved {saved}, refused {refused}, failed {failed}, skipped {skipped} (already saved){} in {seconds:.1}s ({rate:.1} members/s)",
        if recovered > 0 { format!(", recovered {recovered}") } else { String::new() }
    ));
    if refused + failed > 0 {
        out.note(&format!(
            "refused and failed rows, each with its error: {}{}",
            ledger.rejects.path().display(),
            if failed > 0 {
                "; run again with --resume to retry the failed ones"
            } else {
                ""
            }
        ));
    }
}
