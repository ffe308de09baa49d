//! The offline-queue policy (`offline: "queue"`): a save that cannot reach the gateway
//! (unreachable, refused by TLS, rate limited or the budget spent), or whose outcome is
//! unknown, is kept in the outbox and reported queued; for a few seconds after the gateway
//! proved unreachable, saves go to the outbox at once instead of each trying to connect.

use crate::error::{Delivery, Error, ErrorKind, Result};
use crate::gateway::breaker;
use crate::log::{mask_mobile, LogLevel};
use crate::members::save::{Saved, SendOptions};
use crate::members::Members;
use crate::outbox::requests;
use crate::outbox::store::Outbox;
use serde_json::{Map, Value};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// After the gateway proved unreachable, saves in queue mode go straight to the outbox for
/// this long; then one tries again.
const UNREACHABLE_HOLD: Duration = Duration::from_secs(5);

/// Where saves that cannot be sent go: the outbox under `offline: "queue"`, else nowhere.
pub(crate) struct OfflineQueue {
    /// The outbox, when saves are queued in it.
    outbox: Option<Arc<Outbox>>,
    /// Until when the gateway is taken to be unreachable.
    unreachable_until: Mutex<Option<Instant>>,
}

/// Whether a failed save certainly never reached the gateway (unreachable, refused by TLS,
/// rate limited or the budget spent): what `offline: "queue"` keeps for later.
fn did_not_reach(error: &Error) -> bool {
    !error.outcome_unknown
        && (breaker::is_unreachable(error) || error.kind == ErrorKind::RateLimited)
}

impl OfflineQueue {
    /// Queueing in `outbox` (None: saves are not queued).
    pub fn new(outbox: Option<Arc<Outbox>>) -> OfflineQueue {
        OfflineQueue {
            outbox,
            unreachable_until: Mutex::new(None),
        }
    }

    fn until(&self) -> std::sync::MutexGuard<'_, Option<Instant>> {
        self.unreachable_until
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }

    /// Saves `normalised`, or keeps it in the outbox when queueing and the gateway cannot
    /// be reached.
    pub fn save_or_queue(
        &self,
        members: &Members,
        normalised: &Map<String, Value>,
        options: SendOptions<'_>,
    ) -> Result<Saved> {
        let queueing = self.outbox.is_some();
        if queueing && self.until().is_some_and(|until| Instant::now() < until) {
            let held = Error::new(
                ErrorKind::Network,
                "not sent: the gateway was unreachable moments ago; kept in the outbox without trying again",
            )
            .delivered(Delivery::NotSent);
            return self.queue_unsent(members, normalised, held);
        }
        let options = SendOptions {
            give_up_unreachable: queueing,
            ..options
        };
        match members.save(normalised, options) {
            Ok(saved) => Ok(saved),
            Err(error) => {
                if queueing && breaker::is_unreachable(&error) {
                    *self.until() = Some(Instant::now() + UNREACHABLE_HOLD);
                }
                self.queue_unsent(members, normalised, error)
            }
        }
    }

    /// When queueing, keeps a member whose save failed without reaching the gateway (or
    /// whose outcome is unknown: then in doubt) in the outbox; else `error`.
    pub fn queue_unsent(
        &self,
        members: &Members,
        normalised: &Map<String, Value>,
        error: Error,
    ) -> Result<Saved> {
        let Some(outbox) = &self.outbox else {
            return Err(error);
        };
        if !(did_not_reach(&error) || error.outcome_unknown) {
            return Err(error);
        }
        let (item, _) = outbox.add(normalised, error.outcome_unknown)?;
        members.engine().log(
            LogLevel::Warn,
            &format!(
                "member {} queued in the outbox ({}): {}",
                mask_mobile(&item.mobile),
                item.outbox_id,
                error.kind.as_str()
            ),
        );
        let mut data = requests::answer(&item);
        data["reason"] = error.to_json();
        Ok(Saved {
            data,
            recovered: false,
            queued: true,
        })
    }
}
