//! Failing fast when the gateway cannot be reached at all.
//!
//! A batch of 100,000 members against a gateway that is down (the shop's line is cut, a
//! firewall refuses, DNS fails) must not retry each member on its own for hours. Requests
//! that certainly never reached the gateway (refused, unresolvable, TLS refused) are
//! counted across the batch's workers; after a few in a row the breaker opens, the requests
//! under way stop retrying, and the members not yet sent are reported not sent, at once.

use crate::error::{Delivery, Error, ErrorKind, Result};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Mutex;

/// Consecutive unreachable requests that open the breaker.
pub(crate) const UNREACHABLE_IN_A_ROW: u32 = 3;

/// Shared by the workers of one batch (or one outbox flush).
#[derive(Default)]
pub(crate) struct Breaker {
    in_a_row: AtomicU32,
    open: AtomicBool,
    /// What the last unreachable request said.
    last: Mutex<Option<String>>,
}

/// Whether `error` says the gateway could not be reached at all (nothing was sent).
pub(crate) fn is_unreachable(error: &Error) -> bool {
    error.delivery == Delivery::NotSent
        && error.http_status.is_none()
        && matches!(error.kind, ErrorKind::Network | ErrorKind::Timeout)
        && !error.message.contains("deadline")
}

impl Breaker {
    /// Fails, without sending, once the breaker is open.
    pub fn check(&self) -> Result<()> {
        if !self.open.load(Ordering::Relaxed) {
            return Ok(());
        }
        let last = self
            .last
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
            .unwrap_or_default();
        Err(Error::new(
            ErrorKind::Network,
            format!(
                "not sent: the gateway could not be reached ({UNREACHABLE_IN_A_ROW} requests in a row failed before reaching it; the last: {last}); this member was not saved, send it again once the network is back"
            ),
        )
        .delivered(Delivery::NotSent))
    }

    /// Counts an attempt that failed with `error`.
    pub fn failed(&self, error: &Error) {
        if !is_unreachable(error) {
            // Any answer from the gateway, even a refusal, shows it can be reached.
            return self.reached();
        }
        *self.last.lock().unwrap_or_else(|p| p.into_inner()) = Some(error.message.clone());
        if self.in_a_row.fetch_add(1, Ordering::Relaxed) + 1 >= UNREACHABLE_IN_A_ROW {
            self.open.store(true, Ordering::Relaxed);
        }
    }

    /// Counts an attempt the gateway answered.
    pub fn reached(&self) {
        self.in_a_row.store(0, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused() -> Error {
        Error::new(ErrorKind::Network, "refused").delivered(Delivery::NotSent)
    }

    #[test]
    fn opens_after_unreachable_requests_in_a_row_only() {
        let b = Breaker::default();
        b.failed(&refused());
        b.failed(&refused());
        b.reached();
        b.failed(&refused());
        b.failed(&refused());
        assert!(b.check().is_ok(), "an answer in between resets the count");
        b.failed(&Error::new(ErrorKind::Server, "500").delivered(Delivery::Answered));
        for _ in 0..UNREACHABLE_IN_A_ROW {
            b.failed(&refused());
        }
        let e = b.check().unwrap_err();
        assert_eq!(
            (e.kind, e.delivery),
            (ErrorKind::Network, Delivery::NotSent)
        );
        assert!(
            e.retryable && e.message.contains("refused"),
            "{}",
            e.message
        );
    }
}
