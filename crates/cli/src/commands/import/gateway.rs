//! Whether the gateway could be reached at all, carried from one chunk of an import to the
//! next. A batch of the library stops sending once a few requests in a row never reached
//! the gateway, and reports its other members not sent at once; the import sends one batch
//! per chunk, so this watch tells the next chunk, which then reports its rows not sent
//! without a request, as the one batch of a whole file would.
//!
//! It reads the results as the library's breaker reads its requests (`breaker.rs`): the
//! library keeps that rule to itself, so it is mirrored here (one rule a library change
//! would expose instead: a batch that takes its members as a stream).

use jdy_member::error::Delivery;
use jdy_member::{Error, ErrorKind, Saved};

/// Results in a row that never reached the gateway, after which the gateway is down: the
/// library's breaker opens after as many.
const UNREACHABLE_IN_A_ROW: u32 = 3;

/// The results of an import's saves, as the breaker counts them.
#[derive(Default)]
pub(super) struct GatewayWatch {
    in_a_row: u32,
    /// The last result that never reached the gateway.
    last: Option<Error>,
}

impl GatewayWatch {
    /// Counts one row's result.
    pub fn record(&mut self, result: &jdy_member::Result<Saved>) {
        match result {
            Err(error) if is_unreachable(error) => {
                self.in_a_row = self.in_a_row.saturating_add(1);
                self.last = Some(error.clone());
            }
            // Any answer from the gateway, even a refusal, shows it can be reached; a row
            // kept in the outbox is not a failure (the client holds its own sends then).
            _ => self.in_a_row = 0,
        }
    }

    /// When the gateway is down: the error the rows not sent get (the batch's own words).
    pub fn down(&self) -> Option<Error> {
        (self.in_a_row >= UNREACHABLE_IN_A_ROW)
            .then(|| self.last.clone())
            .flatten()
    }
}

/// Whether `error` says the gateway could not be reached at all (nothing was sent).
fn is_unreachable(error: &Error) -> bool {
    error.delivery == Delivery::NotSent
        && error.http_status.is_none()
        && matches!(error.kind, ErrorKind::Network | ErrorKind::Timeout)
        && !error.message.contains("deadline")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unreachable() -> jdy_member::Result<Saved> {
        Err(Error::new(ErrorKind::Network, "connection refused").delivered(Delivery::NotSent))
    }

    #[test]
    fn down_after_unreachable_results_in_a_row_only() {
        let mut watch = GatewayWatch::default();
        watch.record(&unreachable());
        watch.record(&unreachable());
        assert!(watch.down().is_none());
        let answered = Err(Error::new(ErrorKind::Server, "500").delivered(Delivery::Answered));
        watch.record(&answered);
        watch.record(&unreachable());
        watch.record(&unreachable());
        assert!(
            watch.down().is_none(),
            "an answer in between resets the count"
        );
        watch.record(&unreachable());
        let not_sent = watch.down().unwrap();
        assert_eq!(not_sent.message, "connection refused");
    }
}
