//! Which failures may be retried, and how long to wait.
//!
//! A save is not idempotent: sending it again after it may have reached the server can
//! create a second member. So a failure is retried freely only when the request certainly
//! took no effect; when that is unknown, a save is first looked up (`members::save`).

use crate::error::{Delivery, Error, ErrorKind};
use crate::kingdee::codes::{GatewayCode, Remedy};
use std::time::Duration;

/// What a call does to the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    /// Changes state: must not be applied twice.
    Save,
    /// Reads only: safe to repeat.
    Read,
}

/// What to do after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NextStep {
    /// Retrying cannot help (or a person must act): report it.
    Final,
    /// The request certainly took no effect (or only reads): wait and try again.
    Retry,
    /// A save may have taken effect: look it up before sending it again.
    Ambiguous,
}

/// Gateway codes that say the request was refused before it reached the service:
/// unavailable, circuit open, overloaded.
fn refused_before_routing(errcode: i64) -> bool {
    GatewayCode::from_number(errcode).is_some_and(|c| c.remedy() == Remedy::Wait)
}

/// What to do after `error`.
pub(crate) fn next_step(op: Op, error: &Error) -> NextStep {
    let unless_save = |ambiguous_for_save: bool| match op {
        Op::Save if ambiguous_for_save => NextStep::Ambiguous,
        _ => NextStep::Retry,
    };
    match error.kind {
        ErrorKind::RateLimited => NextStep::Retry,
        ErrorKind::Network | ErrorKind::Timeout if !error.retryable => NextStep::Final,
        ErrorKind::Network | ErrorKind::Timeout => unless_save(error.delivery != Delivery::NotSent),
        ErrorKind::Server => match error.errcode {
            Some(code) if refused_before_routing(code) => NextStep::Retry,
            _ => unless_save(error.delivery != Delivery::NotSent),
        },
        ErrorKind::InvalidArgument
        | ErrorKind::Validation
        | ErrorKind::Config
        | ErrorKind::Auth
        | ErrorKind::Api
        | ErrorKind::Internal => NextStep::Final,
    }
}

/// The wait before retry number `retry` (1-based): what the server asked (`Retry-After`),
/// else `base` doubled each time, at most 5 s, with jitter so that many tills cut off
/// together do not return together. A rate limit waits at least a second.
pub(crate) fn backoff(base: Duration, retry: u32, error: &Error) -> Duration {
    // Between half and all of the wait; a little over what the server asked.
    let jitter = fastrand::f64() * 0.5 + 0.5;
    if let Some(asked) = error.retry_after() {
        return asked + Duration::from_millis(50).mul_f64(jitter);
    }
    let doubled = base.saturating_mul(1u32 << retry.saturating_sub(1).min(16));
    let wait = doubled.min(Duration::from_secs(5)).mul_f64(jitter);
    if error.kind == ErrorKind::RateLimited {
        // At most one rate-limited request a second from each waiting caller.
        return wait.max(Duration::from_secs(1));
    }
    wait
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(kind: ErrorKind, delivery: Delivery, errcode: Option<i64>) -> Error {
        let mut e = Error::new(kind, "x").delivered(delivery);
        e.errcode = errcode;
        e
    }

    #[test]
    fn saves_are_retried_only_when_certainly_not_applied() {
        use Delivery::*;
        use ErrorKind::*;
        use NextStep::*;
        for (error, save, read) in [
            (err(Network, NotSent, None), Retry, Retry),
            (err(Network, Unknown, None), Ambiguous, Retry),
            (err(Timeout, Unknown, None), Ambiguous, Retry),
            (err(Timeout, NotSent, None), Retry, Retry),
            (err(RateLimited, Answered, Some(429)), Retry, Retry),
            (err(Server, Answered, Some(5003)), Retry, Retry),
            (err(Server, Answered, Some(5007)), Retry, Retry),
            (err(Server, Answered, Some(5000)), Ambiguous, Retry),
            (err(Server, Answered, Some(5004)), Ambiguous, Retry),
            (err(Server, Answered, None), Ambiguous, Retry),
            (err(Server, Answered, Some(2_000_002_000)), Ambiguous, Retry),
            (err(Auth, Answered, Some(4008)), Final, Final),
            (err(Api, Answered, Some(1)), Final, Final),
            (err(Validation, NotSent, None), Final, Final),
            (err(Network, NotSent, None).retryable(false), Final, Final),
        ] {
            assert_eq!(next_step(Op::Save, &error), save, "save {error:?}");
            assert_eq!(next_step(Op::Read, &error), read, "read {error:?}");
        }
    }

    #[test]
    fn backoff_doubles_with_jitter_and_a_ceiling() {
        let e = Error::new(ErrorKind::Network, "x");
        let base = Duration::from_millis(200);
        for retry in 1..=20 {
            let wait = backoff(base, retry, &e);
            let full = (base * 2u32.pow(retry.min(16) - 1)).min(Duration::from_secs(5));
            assert!(wait >= full / 2 && wait <= full, "{retry}: {wait:?}");
        }
        let limited = Error::new(ErrorKind::RateLimited, "x");
        assert!(backoff(base, 1, &limited) >= Duration::from_secs(1));
        let mut asked = limited.clone();
        asked.retry_after_ms = Some(3_000);
        let wait = backoff(base, 1, &asked);
        assert!(
            wait >= Duration::from_secs(3) && wait < Duration::from_millis(3100),
            "{wait:?}"
        );
    }
}
