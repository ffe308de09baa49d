//! Client handles of the stdcall exports: pointer-sized integers (a VB6 `Long`, a
//! PowerBuilder `longptr`, a VFP `INTEGER`, an 易语言 整数型) that name a client in one
//! process-wide registry instead of pointing at it. So a handle that was freed, or never
//! issued, is recognised and refused with an error instead of crashing the till; a handle
//! is never reused; and a client freed while another thread still uses it lives until that
//! call returns (each call holds its own reference).

use crate::client::Client;
use crate::error::{Error, Result};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

struct Registry {
    /// The next handle to issue; every handle below it was issued once.
    next: isize,
    live: BTreeMap<isize, Arc<Client>>,
}

static REGISTRY: Mutex<Registry> = Mutex::new(Registry {
    next: 1,
    live: BTreeMap::new(),
});

/// The registry; a panic elsewhere while it was held leaves it consistent (each change is
/// one map operation), so a poisoned lock is used as it is.
fn registry() -> MutexGuard<'static, Registry> {
    REGISTRY.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Registers a new client and returns its handle (never 0).
pub(super) fn register(client: Client) -> Result<isize> {
    let mut registry = registry();
    let handle = registry.next;
    // Only a 32-bit process that created two billion clients gets here.
    registry.next = handle.checked_add(1).ok_or_else(|| {
        Error::invalid_argument(
            "this process has created every client handle there is; free clients and reuse them instead of creating one per call",
        )
    })?;
    registry.live.insert(handle, Arc::new(client));
    Ok(handle)
}

/// The live client named by `handle`, or an error saying why there is none.
pub(super) fn lookup(handle: isize) -> Result<Arc<Client>> {
    let registry = registry();
    if let Some(client) = registry.live.get(&handle) {
        return Ok(Arc::clone(client));
    }
    Err(Error::invalid_argument(if handle == 0 {
        "the client handle is 0: creating the client failed (jdy_client_new_a/_w returned 0 and put the reason in error_out); create one first".to_string()
    } else if handle > 0 && handle < registry.next {
        format!(
            "the client handle {handle} was freed with jdy_client_free_a/_w; create a new client, or keep one per process until it exits"
        )
    } else {
        format!(
            "{handle} is not a client handle (none was ever issued with that number); pass the handle jdy_client_new_a/_w returned (a jdy_client_new() pointer is not one)"
        )
    }))
}

/// Removes the client named by `handle` from the registry and returns it, to be dropped by
/// the caller outside the lock (a client's drop waits for its background flush to stop).
/// None when `handle` names no live client.
pub(super) fn release(handle: isize) -> Option<Arc<Client>> {
    registry().live.remove(&handle)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;
    use serde_json::json;

    fn client() -> Client {
        Client::from_json(
            &json!({
                "client_id": "fake-id", "client_secret": "fake-secret", "app_key": "fake-key",
                "app_secret": "fake-app-secret", "domain": "https://tf.jdy.com",
                "token_cache_path": null, "request_budget": null,
            })
            .to_string(),
        )
        .expect("a valid configuration")
    }

    fn refusal(handle: isize) -> String {
        let error = lookup(handle).err().expect("refused");
        assert_eq!(error.kind, ErrorKind::InvalidArgument);
        error.message
    }

    #[test]
    fn handles_name_live_clients_and_are_never_reused() {
        let first = register(client()).unwrap();
        let second = register(client()).unwrap();
        assert!(first > 0 && second > first);
        assert!(lookup(first).is_ok() && lookup(second).is_ok());
        assert!(release(first).is_some());
        assert!(refusal(first).contains("was freed"), "{}", refusal(first));
        assert!(release(first).is_none(), "a second free does nothing");
        assert!(lookup(second).is_ok(), "the other client is untouched");
        let third = register(client()).unwrap();
        assert!(third > second, "a freed handle is not issued again");
        assert!(release(second).is_some() && release(third).is_some());
    }

    #[test]
    fn zero_and_numbers_never_issued_are_refused_with_the_reason() {
        assert!(refusal(0).contains("handle is 0"), "{}", refusal(0));
        for never in [-1, isize::MAX, isize::MIN] {
            let message = refusal(never);
            assert!(message.contains("is not a client handle"), "{message}");
        }
        assert!(release(0).is_none() && release(-7).is_none());
    }

    #[test]
    fn a_client_freed_while_in_use_lives_until_that_use_ends() {
        let handle = register(client()).unwrap();
        let in_use = lookup(handle).unwrap();
        drop(release(handle));
        assert!(lookup(handle).is_err(), "no new call reaches it");
        // The call that held it still has a whole client.
        assert_eq!(in_use.budget_rate_per_s(), None);
        assert_eq!(Arc::strong_count(&in_use), 1);
    }
}
