//! The `_a` exports: stdcall, text in the system code page (see `include/jdy_member_stdcall.h`,
//! generated from this file and `wide_exports.rs`). Each is its cdecl twin's operation with
//! the buffer rule; exported (unmangled) only from the Windows DLLs.

use super::call::{client_free, client_new, last_result, offline, on_handle, respond};
use super::text::{ansi, Form};
use crate::batch::MAX_BATCH_BYTES;
use crate::ffi::operations;
use libc::c_char;

/// The library version, e.g. "0.2.0", into `out` by the buffer rule (kept like every result).
///
/// # Safety
/// `out` is NULL or points to `out_size` writable bytes.
#[cfg_attr(windows, no_mangle)]
pub unsafe extern "system" fn jdy_version_a(out: *mut c_char, out_size: i32) -> i32 {
    respond(&ansi(), out.cast(), out_size, || {
        env!("CARGO_PKG_VERSION").to_string()
    })
}

/// Creates a client from `config_json` (the configuration object of jdy_client_new()).
///
/// Returns its handle, or 0 on failure with the error envelope in `error_out` by the buffer
/// rule (an empty string there when it does not fit; fetch it with jdy_last_result_a()).
/// On success `error_out` is emptied. Release the client with jdy_client_free_a(). A handle
/// works with the `_a` and the `_w` functions alike. Does not block. Thread-safe.
///
/// # Safety
/// `config_json` is NULL or a NUL-terminated string; `error_out` is NULL or points to
/// `error_size` writable bytes.
#[cfg_attr(windows, no_mangle)]
pub unsafe extern "system" fn jdy_client_new_a(
    config_json: *const c_char,
    error_out: *mut c_char,
    error_size: i32,
) -> isize {
    client_new(&ansi(), config_json.cast(), error_out.cast(), error_size)
}

/// Releases the client named by `client`: returns 1, or 0 (doing nothing) when the handle
/// names no live client (0, freed already, never issued). Does not wait: a call still
/// running on it in another thread keeps it alive until that call returns. Keeps no result.
/// Thread-safe.
#[cfg_attr(windows, no_mangle)]
pub extern "system" fn jdy_client_free_a(client: isize) -> i32 {
    client_free(client)
}

/// jdy_member_save(): validates a member offline, then saves it; its envelope into `out` by
/// the buffer rule, kept for this thread: a short buffer never sends the save twice.
///
/// # Safety
/// `member_json` is NULL or a NUL-terminated string; `out` is NULL or points to `out_size`
/// writable bytes.
#[cfg_attr(windows, no_mangle)]
pub unsafe extern "system" fn jdy_member_save_a(
    client: isize,
    member_json: *const c_char,
    out: *mut c_char,
    out_size: i32,
) -> i32 {
    let form = ansi();
    respond(&form, out.cast(), out_size, || {
        on_handle(client, |c| {
            operations::member_save(c, &form.text(member_json.cast(), "member")?)
        })
    })
}

/// jdy_member_save_batch(): saves a JSON array of members (`options_json` NULL for the
/// defaults); the summary envelope into `out` by the buffer rule, kept for this thread.
///
/// # Safety
/// `members_json` and `options_json` are NULL or NUL-terminated strings; `out` is NULL or
/// points to `out_size` writable bytes.
#[cfg_attr(windows, no_mangle)]
pub unsafe extern "system" fn jdy_member_save_batch_a(
    client: isize,
    members_json: *const c_char,
    options_json: *const c_char,
    out: *mut c_char,
    out_size: i32,
) -> i32 {
    let form = ansi();
    respond(&form, out.cast(), out_size, || {
        on_handle(client, |c| {
            let members = form.bounded_text(members_json.cast(), "member list", MAX_BATCH_BYTES)?;
            let options = form.optional_text(options_json.cast(), "batch options")?;
            operations::member_save_batch(c, &members, options.as_deref())
        })
    })
}

/// jdy_member_get(): reads one member by `{"id": ...}` or `{"mobile": ...}`; the envelope
/// into `out` by the buffer rule, kept for this thread.
///
/// # Safety
/// `query_json` is NULL or a NUL-terminated string; `out` is NULL or points to `out_size`
/// writable bytes.
#[cfg_attr(windows, no_mangle)]
pub unsafe extern "system" fn jdy_member_get_a(
    client: isize,
    query_json: *const c_char,
    out: *mut c_char,
    out_size: i32,
) -> i32 {
    let form = ansi();
    respond(&form, out.cast(), out_size, || {
        on_handle(client, |c| {
            operations::member_get(c, &form.text(query_json.cast(), "query")?)
        })
    })
}

/// jdy_member_list(): a page of members; the envelope into `out` by the buffer rule, kept
/// for this thread.
///
/// # Safety
/// `query_json` is NULL or a NUL-terminated string; `out` is NULL or points to `out_size`
/// writable bytes.
#[cfg_attr(windows, no_mangle)]
pub unsafe extern "system" fn jdy_member_list_a(
    client: isize,
    query_json: *const c_char,
    out: *mut c_char,
    out_size: i32,
) -> i32 {
    let form = ansi();
    respond(&form, out.cast(), out_size, || {
        on_handle(client, |c| {
            operations::member_list(c, &form.text(query_json.cast(), "query")?)
        })
    })
}

/// jdy_member_validate(): validates and normalises a member offline (no client, no
/// network); the envelope into `out` by the buffer rule, kept for this thread.
///
/// # Safety
/// `member_json` is NULL or a NUL-terminated string; `out` is NULL or points to `out_size`
/// writable bytes.
#[cfg_attr(windows, no_mangle)]
pub unsafe extern "system" fn jdy_member_validate_a(
    member_json: *const c_char,
    out: *mut c_char,
    out_size: i32,
) -> i32 {
    let form = ansi();
    respond(&form, out.cast(), out_size, || {
        offline(|| operations::member_validate(&form.text(member_json.cast(), "member")?))
    })
}

/// jdy_outbox_add(): keeps a member in the client's outbox, durably; the envelope into
/// `out` by the buffer rule, kept for this thread.
///
/// # Safety
/// `member_json` is NULL or a NUL-terminated string; `out` is NULL or points to `out_size`
/// writable bytes.
#[cfg_attr(windows, no_mangle)]
pub unsafe extern "system" fn jdy_outbox_add_a(
    client: isize,
    member_json: *const c_char,
    out: *mut c_char,
    out_size: i32,
) -> i32 {
    let form = ansi();
    respond(&form, out.cast(), out_size, || {
        on_handle(client, |c| {
            operations::outbox_add(c, &form.text(member_json.cast(), "member")?)
        })
    })
}

/// jdy_outbox_flush(): sends what the outbox holds (`options_json` NULL for the defaults);
/// the envelope into `out` by the buffer rule, kept for this thread.
///
/// # Safety
/// `options_json` is NULL or a NUL-terminated string; `out` is NULL or points to `out_size`
/// writable bytes.
#[cfg_attr(windows, no_mangle)]
pub unsafe extern "system" fn jdy_outbox_flush_a(
    client: isize,
    options_json: *const c_char,
    out: *mut c_char,
    out_size: i32,
) -> i32 {
    let form = ansi();
    respond(&form, out.cast(), out_size, || {
        on_handle(client, |c| {
            let options = form.optional_text(options_json.cast(), "flush options")?;
            operations::outbox_flush(c, options.as_deref())
        })
    })
}

/// jdy_outbox_status(): the outbox at a glance; the envelope into `out` by the buffer rule,
/// kept for this thread.
///
/// # Safety
/// `out` is NULL or points to `out_size` writable bytes.
#[cfg_attr(windows, no_mangle)]
pub unsafe extern "system" fn jdy_outbox_status_a(
    client: isize,
    out: *mut c_char,
    out_size: i32,
) -> i32 {
    respond(&ansi(), out.cast(), out_size, || {
        on_handle(client, operations::outbox_status)
    })
}

/// jdy_outbox_list(): items of the outbox (`query_json` NULL for all); the envelope into
/// `out` by the buffer rule, kept for this thread.
///
/// # Safety
/// `query_json` is NULL or a NUL-terminated string; `out` is NULL or points to `out_size`
/// writable bytes.
#[cfg_attr(windows, no_mangle)]
pub unsafe extern "system" fn jdy_outbox_list_a(
    client: isize,
    query_json: *const c_char,
    out: *mut c_char,
    out_size: i32,
) -> i32 {
    let form = ansi();
    respond(&form, out.cast(), out_size, || {
        on_handle(client, |c| {
            let query = form.optional_text(query_json.cast(), "query")?;
            operations::outbox_list(c, query.as_deref())
        })
    })
}

/// jdy_outbox_retry(): queues refused items again; the envelope into `out` by the buffer
/// rule, kept for this thread.
///
/// # Safety
/// `query_json` is NULL or a NUL-terminated string; `out` is NULL or points to `out_size`
/// writable bytes.
#[cfg_attr(windows, no_mangle)]
pub unsafe extern "system" fn jdy_outbox_retry_a(
    client: isize,
    query_json: *const c_char,
    out: *mut c_char,
    out_size: i32,
) -> i32 {
    let form = ansi();
    respond(&form, out.cast(), out_size, || {
        on_handle(client, |c| {
            operations::outbox_retry(c, &form.text(query_json.cast(), "query")?)
        })
    })
}

/// jdy_outbox_discard(): gives up on items the shop will not send; the envelope into `out`
/// by the buffer rule, kept for this thread.
///
/// # Safety
/// `query_json` is NULL or a NUL-terminated string; `out` is NULL or points to `out_size`
/// writable bytes.
#[cfg_attr(windows, no_mangle)]
pub unsafe extern "system" fn jdy_outbox_discard_a(
    client: isize,
    query_json: *const c_char,
    out: *mut c_char,
    out_size: i32,
) -> i32 {
    let form = ansi();
    respond(&form, out.cast(), out_size, || {
        on_handle(client, |c| {
            operations::outbox_discard(c, &form.text(query_json.cast(), "query")?)
        })
    })
}

/// jdy_call(): any other JDY endpoint through this client; the envelope into `out` by the
/// buffer rule, kept for this thread.
///
/// # Safety
/// `request_json` is NULL or a NUL-terminated string; `out` is NULL or points to `out_size`
/// writable bytes.
#[cfg_attr(windows, no_mangle)]
pub unsafe extern "system" fn jdy_call_a(
    client: isize,
    request_json: *const c_char,
    out: *mut c_char,
    out_size: i32,
) -> i32 {
    let form = ansi();
    respond(&form, out.cast(), out_size, || {
        on_handle(client, |c| {
            operations::call(c, &form.text(request_json.cast(), "request")?)
        })
    })
}

/// jdy_doctor(): what is wrong on this till, check by check; the envelope into `out` by the
/// buffer rule, kept for this thread.
///
/// # Safety
/// `out` is NULL or points to `out_size` writable bytes.
#[cfg_attr(windows, no_mangle)]
pub unsafe extern "system" fn jdy_doctor_a(client: isize, out: *mut c_char, out_size: i32) -> i32 {
    respond(&ansi(), out.cast(), out_size, || {
        on_handle(client, operations::doctor)
    })
}

/// Copies this thread's kept result (the envelope of its last `_a` or `_w` call) into
/// `out` by the buffer rule, as often as needed, without doing anything again; never
/// changes it. Given no usable buffer (NULL with a size, a negative size) it writes nothing
/// and returns minus the size needed.
///
/// # Safety
/// `out` is NULL or points to `out_size` writable bytes.
#[cfg_attr(windows, no_mangle)]
pub unsafe extern "system" fn jdy_last_result_a(out: *mut c_char, out_size: i32) -> i32 {
    last_result(&ansi(), out.cast(), out_size)
}
