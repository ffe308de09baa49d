//! This machine's clock: epoch milliseconds, and times written for people and logs.

use std::time::{SystemTime, UNIX_EPOCH};

/// Epoch milliseconds of this machine's clock.
pub fn system_now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Epoch milliseconds of this machine's clock, never negative.
pub(crate) fn now_ms() -> u64 {
    system_now_ms().max(0) as u64
}

/// `2026-12-01T09:30:00.123Z` for an epoch-ms time.
pub(crate) fn iso_time(ms: i64) -> String {
    let time = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    time.format(time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
    ))
    .unwrap_or_default()
}
