//! The exports of the C ABI, cdecl and UTF-8 (see `include/jdy_member.h`). Thin on
//! purpose: each turns C strings into Rust text and runs its operation (`operations`),
//! inside the one panic boundary (`boundary`).

use crate::batch::MAX_BATCH_BYTES;
use crate::client::Client;
use crate::envelope;
use crate::ffi::boundary::{
    bounded_text_arg, client_call, offline_call, optional_text_arg, text_arg, to_c, JdyClient,
};
use crate::ffi::operations;
use crate::panic::{guard, guard_unit};
use libc::c_char;
use std::ffi::CString;

/// The library version, e.g. "0.1.0".
///
/// Returns a static NUL-terminated string: never NULL, never freed. Thread-safe; does not block.
#[no_mangle]
pub extern "C" fn jdy_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}

/// Creates a client from a JSON configuration object (see the README for its keys). Every
/// value is checked here (an http:// base_url other than loopback, a proxy scheme that is
/// not supported, a header value with control characters are refused), so that a client
/// that was created can work.
///
/// Returns a new client, or NULL on failure. On failure, if `error_json` is not NULL,
/// `*error_json` receives an error envelope (kind `invalid_argument` or `config`) that the
/// caller must release with jdy_string_free(); on success `*error_json` is set to NULL.
/// The configuration string is only read during the call.
/// The client must be released with jdy_client_free(). Does not block (no network call is made
/// until the first operation). Thread-safe.
///
/// # Safety
/// `config_json` is NULL or a NUL-terminated string; `error_json` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn jdy_client_new(
    config_json: *const c_char,
    error_json: *mut *mut c_char,
) -> *mut JdyClient {
    let created = guard(|| {
        let text = text_arg(config_json, "configuration")?;
        Client::from_json(text)
    });
    match created {
        Ok(client) => {
            if !error_json.is_null() {
                *error_json = std::ptr::null_mut();
            }
            Box::into_raw(Box::new(JdyClient { client }))
        }
        Err(error) => {
            if !error_json.is_null() {
                *error_json = to_c(envelope::err(&error));
            }
            std::ptr::null_mut()
        }
    }
}

/// Releases a client and its connections. NULL is ignored.
///
/// May be called from any thread (a .NET finalizer, for one), but only once per client and
/// only after every other call on this client has returned. Does not block on the network.
///
/// # Safety
/// `client` is NULL or a pointer from jdy_client_new() that has not been freed.
#[no_mangle]
pub unsafe extern "C" fn jdy_client_free(client: *mut JdyClient) {
    if client.is_null() {
        return;
    }
    let owned = Box::from_raw(client);
    // Dropping never panics by design; the guard keeps even a bug from unwinding into C.
    guard_unit(move || drop(owned));
}

/// Validates a member offline, then saves it (POST /jdy/v2/ls/member).
///
/// `member_json` is a JSON object with the API's field names. An invalid member is refused
/// with kind `validation` before anything is sent. On success `data` is Kingdee's answer
/// (`id`, `custom_no`, `db_modify_time`, `enable`, `mobile`, `name`; the mobile decrypted);
/// `"recovered": true` after it means the answer was lost and the member was found stored
/// as sent. Failures that certainly left nothing saved are retried (a rate limit is waited
/// out); a save is never sent twice blindly. A failed save without `"outcome_unknown":
/// true` certainly did not save the member. With `"offline": "queue"` a member the gateway
/// could not be reached for is kept in the outbox instead: `data` is its outbox item and
/// `"queued": true` follows it.
/// Returns an envelope, never NULL; release it with jdy_string_free().
/// Blocks on the network, retries, rate-limit waits and the account's request budget
/// included, for at most `deadline_ms` (default 60 s).
/// Thread-safe: many threads may call it on one client at once.
///
/// # Safety
/// `client` is NULL or a live client; `member_json` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn jdy_member_save(
    client: *mut JdyClient,
    member_json: *const c_char,
) -> *mut c_char {
    client_call(client, |client| {
        operations::member_save(client, text_arg(member_json, "member")?)
    })
}

/// Saves many members: `members_json` is a JSON array of member objects, `options_json` an
/// object `{"concurrency": 1-64 (default 4), "rate": requests per second (default none)}`
/// or NULL for the defaults.
///
/// Each member is validated offline first; invalid ones, and a later member with the
/// mobile of an earlier one, are refused without being sent, and the others still go, on
/// worker threads sharing this client's connections, token and request budget. When the
/// gateway cannot be reached at all (3 requests in a row refused, unresolvable or refused
/// by TLS) the batch stops sending within about a second and reports the rest as not sent.
/// On success `data` is `{"results": [one envelope per member, in input order], "saved": n,
/// "queued": n, "recovered": n, "refused": n, "failed": n}` (queued: kept in the outbox,
/// with `offline: "queue"`; refused: fix the member; failed: send it again later); the call
/// itself fails only for bad arguments.
/// Input up to 64 MiB, each member under 1 MiB. Returns an envelope, never NULL; release it
/// with jdy_string_free().
/// Blocks until every member has its result: at most `deadline_ms` per member, and the
/// whole batch paced by the account's request budget. Thread-safe.
///
/// # Safety
/// `client` is NULL or a live client; `members_json` and `options_json` are NULL or
/// NUL-terminated strings.
#[no_mangle]
pub unsafe extern "C" fn jdy_member_save_batch(
    client: *mut JdyClient,
    members_json: *const c_char,
    options_json: *const c_char,
) -> *mut c_char {
    client_call(client, |client| {
        let members = bounded_text_arg(members_json, "member list", MAX_BATCH_BYTES)?;
        let options = optional_text_arg(options_json, "batch options")?;
        operations::member_save_batch(client, members, options)
    })
}

/// Reads one member (GET /jdy/v2/ls/member_detail) by `{"id": ...}` or `{"mobile": ...}`.
///
/// On success `data` is Kingdee's member object as received (`id`, `mobile`, `name`,
/// `card_no`, `card_id`, `level_name`, `usable`, `available`), personal fields decrypted;
/// `data` is null when there is no such member, whichever way the gateway says so.
/// Returns an envelope, never NULL; release it with jdy_string_free().
/// Blocks on the network, retries included, for at most `deadline_ms`. Thread-safe.
///
/// # Safety
/// `client` is NULL or a live client; `query_json` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn jdy_member_get(
    client: *mut JdyClient,
    query_json: *const c_char,
) -> *mut c_char {
    client_call(client, |client| {
        operations::member_get(client, text_arg(query_json, "query")?)
    })
}

/// Lists members (GET /jdy/v2/ls/member). `query_json` is an object with optional filters
/// `id`, `number`, `name`, `enable`, `start_modified`, `end_modified` and `page` (from 1),
/// `page_size` (1 to 100).
///
/// On success `data` is Kingdee's page as received (`count`, `page`, `page_size`,
/// `total_page`, `rows`), personal fields decrypted; rows name fields as the list does
/// (`shop_id`, `level_id`, ...). Returns an envelope, never NULL; release it with
/// jdy_string_free().
/// Blocks on the network, retries included, for at most `deadline_ms`. Thread-safe.
///
/// # Safety
/// `client` is NULL or a live client; `query_json` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn jdy_member_list(
    client: *mut JdyClient,
    query_json: *const c_char,
) -> *mut c_char {
    client_call(client, |client| {
        operations::member_list(client, text_arg(query_json, "query")?)
    })
}

/// Validates and normalises a member offline: `data` is the member exactly as it would be
/// sent, or the error (kind `validation`) lists every invalid field. References given by
/// name or number (`shop`, `sale_shop`, `level`, `customer`; a value of digits only is an
/// id) are kept as given and listed after `data` as
/// `,"references":[{"field","kind","value"}]`: a save resolves them to ids. Labels are not
/// listed: with the default configuration a save sends them as given (a client configured
/// with `"labels": "resolve_to_ids"` resolves them too).
///
/// Returns an envelope, never NULL; release it with jdy_string_free().
/// Needs no client, makes no network call, does not block. Thread-safe.
///
/// # Safety
/// `member_json` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn jdy_member_validate(member_json: *const c_char) -> *mut c_char {
    offline_call(|| operations::member_validate(text_arg(member_json, "member")?))
}

/// Validates a member offline and keeps it in the client's outbox (`outbox_path`),
/// durably (a killed process or a power cut does not lose it), to be saved later by
/// jdy_outbox_flush() or the background flush (`outbox_flush_interval_s`).
///
/// On success `data` is `{"outbox_id": "ob-...", "state": "queued", "mobile": "...",
/// "queued_at": "..."}` (and `"merged": true` when it replaced a queued member with the
/// same mobile). A client without `outbox_path` answers kind `config`.
/// Returns an envelope, never NULL; release it with jdy_string_free().
/// Blocks only on the local disk (a commit with full sync, milliseconds; up to 10 s while
/// another process holds the file). Thread-safe.
///
/// # Safety
/// `client` is NULL or a live client; `member_json` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn jdy_outbox_add(
    client: *mut JdyClient,
    member_json: *const c_char,
) -> *mut c_char {
    client_call(client, |client| {
        operations::outbox_add(client, text_arg(member_json, "member")?)
    })
}

/// Sends what the outbox holds, oldest first, exactly once each: a member that may already
/// have reached the gateway is looked up before it is sent again, and of several processes
/// flushing one file only one sends each item. `options_json` is
/// `{"max": items, "deadline_ms": n, "concurrency": 1-64}`, each optional, or NULL (all
/// items, the client's `deadline_ms`, 4 workers).
///
/// On success `data` is `{"saved": n, "recovered": n, "refused": n, "failed": n, "left": n}`
/// (refused items stay in the outbox with Kingdee's reason; failed ones stay queued). The
/// flush stops early, leaving the rest queued, when the gateway cannot be reached.
/// Returns an envelope, never NULL; release it with jdy_string_free().
/// Blocks on the network: no item is started after the deadline, and one under way ends
/// within `deadline_ms`. Thread-safe.
///
/// # Safety
/// `client` is NULL or a live client; `options_json` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn jdy_outbox_flush(
    client: *mut JdyClient,
    options_json: *const c_char,
) -> *mut c_char {
    client_call(client, |client| {
        operations::outbox_flush(client, optional_text_arg(options_json, "flush options")?)
    })
}

/// The outbox at a glance: `data` is `{"queued": n, "sending": n, "saved": n, "refused": n,
/// "discarded": n, "in_doubt": n, "oldest_queued_at": "..." or null, "last_error": {...} or
/// null}`.
/// Returns an envelope, never NULL; release it with jdy_string_free().
/// Blocks only on the local disk. Thread-safe.
///
/// # Safety
/// `client` is NULL or a live client.
#[no_mangle]
pub unsafe extern "C" fn jdy_outbox_status(client: *mut JdyClient) -> *mut c_char {
    client_call(client, operations::outbox_status)
}

/// Items of the outbox, oldest first: `query_json` is `{"state": "queued" | "sending" |
/// "saved" | "refused" | "discarded", "limit": 1-1000 (default 100), "after": "<outbox_id>"}`,
/// each optional, or NULL.
///
/// On success `data` is `{"items": [{"outbox_id", "state", "member", "mobile", "attempts",
/// "in_doubt", "queued_at", "updated_at", "saved_at", "result", "last_error"}], "count": n}`.
/// The mobile is as the clerk typed it (normalised), never encrypted.
/// Returns an envelope, never NULL; release it with jdy_string_free().
/// Blocks only on the local disk. Thread-safe.
///
/// # Safety
/// `client` is NULL or a live client; `query_json` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn jdy_outbox_list(
    client: *mut JdyClient,
    query_json: *const c_char,
) -> *mut c_char {
    client_call(client, |client| {
        operations::outbox_list(client, optional_text_arg(query_json, "query")?)
    })
}

/// Queues refused items again: `query_json` is `{"outbox_id": "...", "member": {corrected
/// member, optional}}` (then `data` is the item) or `{"state": "refused"}` for every refused
/// item (then `data` is `{"requeued": n}`). A corrected member is validated offline first.
/// Returns an envelope, never NULL; release it with jdy_string_free().
/// Blocks only on the local disk. Thread-safe.
///
/// # Safety
/// `client` is NULL or a live client; `query_json` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn jdy_outbox_retry(
    client: *mut JdyClient,
    query_json: *const c_char,
) -> *mut c_char {
    client_call(client, |client| {
        operations::outbox_retry(client, text_arg(query_json, "query")?)
    })
}

/// Gives up on items the shop will not send: `query_json` is `{"outbox_id": "..."}` (a
/// refused item, or a queued one never sent; `data` is the item) or `{"state": "refused"}`
/// (`data` is `{"discarded": n}`). They stay in the outbox as `discarded`, for the record:
/// nothing is ever deleted without being asked, except saved items older than
/// `outbox_keep_days`.
/// Returns an envelope, never NULL; release it with jdy_string_free().
/// Blocks only on the local disk. Thread-safe.
///
/// # Safety
/// `client` is NULL or a live client; `query_json` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn jdy_outbox_discard(
    client: *mut JdyClient,
    query_json: *const c_char,
) -> *mut c_char {
    client_call(client, |client| {
        operations::outbox_discard(client, text_arg(query_json, "query")?)
    })
}

/// Calls any other JDY endpoint through this client's signing, token, request budget,
/// retries and decryption: `request_json` is `{"method": "GET" | "POST", "path":
/// "/jdy/v2/...", "query": {...}, "body": {...}, "idempotent": false}`.
///
/// On success `data` is Kingdee's `data` as received, personal fields decrypted. A GET is
/// retried like a read; a POST only when it certainly did not reach Kingdee, or when the
/// request says `"idempotent": true` (calls carrying Kingdee's `src_bill_id`): otherwise
/// an ambiguous failure is reported with `"outcome_unknown": true`. Paths must be JDY
/// business APIs (`/jdy/...`, no host, no `..`).
/// Returns an envelope, never NULL; release it with jdy_string_free().
/// Blocks on the network, retries included, for at most `deadline_ms`. Thread-safe.
///
/// # Safety
/// `client` is NULL or a live client; `request_json` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn jdy_call(
    client: *mut JdyClient,
    request_json: *const c_char,
) -> *mut c_char {
    client_call(client, |client| {
        operations::call(client, text_arg(request_json, "request")?)
    })
}

/// Checks what can go wrong on a till, one by one: the configuration, DNS, the gateway
/// and TLS, the clock against the gateway's (skew in seconds), the authorization rows
/// (which account is used), the token, permission for every API the library uses (a
/// harmless read of each; a missing one is named), the request budget.
///
/// On success `data` is `{"checks": [{"name", "verdict": "ok" | "warn" | "fail" |
/// "skipped", "detail", "advice"}], "failed": n, "warnings": n}`; the call itself fails
/// only for a bad argument.
/// Returns an envelope, never NULL; release it with jdy_string_free().
/// Blocks on the network for a few requests, each within `deadline_ms`. Thread-safe.
///
/// # Safety
/// `client` is NULL or a live client.
#[no_mangle]
pub unsafe extern "C" fn jdy_doctor(client: *mut JdyClient) -> *mut c_char {
    client_call(client, operations::doctor)
}

/// Releases a string returned by this library. NULL is ignored.
///
/// The only correct way to free a returned string (never free(): the heaps may differ).
/// Thread-safe; does not block.
///
/// # Safety
/// `s` is NULL or a string returned by a jdy_* function that has not been freed.
#[no_mangle]
pub unsafe extern "C" fn jdy_string_free(s: *mut c_char) {
    if !s.is_null() {
        guard_unit(|| drop(CString::from_raw(s)));
    }
}
