//! The sandbox's clock: the machine's, moved by an offset (to play a gateway whose clock
//! differs from the till's), and the two ways Kingdee writes a time.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, UNIX_EPOCH};
use time::macros::{format_description, offset};

/// The machine's clock, epoch ms.
pub(crate) fn machine_now_ms() -> u64 {
    jdy_member::system_now_ms().max(0) as u64
}

/// `ms` moved by a signed offset, saturating.
pub(crate) fn shift_ms(ms: u64, offset_ms: i64) -> u64 {
    if offset_ms >= 0 {
        ms.saturating_add(offset_ms.unsigned_abs())
    } else {
        ms.saturating_sub(offset_ms.unsigned_abs())
    }
}

/// The sandbox's clock.
#[derive(Debug, Default)]
pub(crate) struct Clock {
    offset_ms: AtomicI64,
}

impl Clock {
    pub fn new(offset_ms: i64) -> Clock {
        Clock {
            offset_ms: AtomicI64::new(offset_ms),
        }
    }

    pub fn set_offset_ms(&self, offset_ms: i64) {
        self.offset_ms.store(offset_ms, Ordering::SeqCst);
    }

    /// Epoch ms by the sandbox's clock.
    pub fn now_ms(&self) -> u64 {
        shift_ms(machine_now_ms(), self.offset_ms.load(Ordering::SeqCst))
    }
}

fn utc(ms: u64) -> time::OffsetDateTime {
    let secs = i64::try_from(ms / 1000).unwrap_or(0);
    time::OffsetDateTime::from_unix_timestamp(secs).unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
}

/// `YYYY-MM-DD HH:MM:SS` in UTC+8: Kingdee's `db_modify_time`, `create_time`, `modify_time`.
pub fn china_datetime(ms: u64) -> String {
    utc(ms)
        .to_offset(offset!(+8))
        .format(format_description!(
            "[year]-[month]-[day] [hour]:[minute]:[second]"
        ))
        .unwrap_or_default()
}

/// The `Date` header form (RFC 9110 IMF-fixdate).
pub fn http_date(ms: u64) -> String {
    httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_millis(ms))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kingdee_and_http_times() {
        assert_eq!(http_date(784_111_777_000), "Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(china_datetime(1_667_271_694_000), "2022-11-01 11:01:34");
        assert_eq!(shift_ms(10, -20), 0);
        let clock = Clock::new(-600_000);
        assert!(clock.now_ms().abs_diff(machine_now_ms() - 600_000) < 1_000);
    }
}
