//! What every export of the C ABI shares: the opaque client handle, C strings in (NULL,
//! UTF-8 and size checked) and envelopes out, and the one panic boundary (`panic::guard`)
//! every export runs inside, so that a panic becomes an `internal` envelope and never
//! unwinds into the caller's process.

use crate::client::Client;
use crate::envelope::{self, Envelope};
use crate::error::{Error, ErrorKind, Result};
use crate::input::MAX_INPUT_BYTES;
use crate::log::LogLevel;
use crate::panic::guard;
use libc::c_char;
use serde::Serialize;
use std::ffi::CString;

/// A client: configuration, connection pool and token cache. Opaque; create it with
/// jdy_client_new() and release it with jdy_client_free().
pub struct JdyClient {
    pub(super) client: Client,
}

/// Hands a string to C. serde_json escapes NUL inside strings, so an envelope never holds
/// one; the fallback keeps this total anyway.
pub(super) fn to_c(text: String) -> *mut c_char {
    match CString::new(text) {
        Ok(c) => c.into_raw(),
        Err(_) => CString::from(c"{\"ok\":false,\"error\":{\"kind\":\"internal\",\"message\":\"an envelope contained a NUL byte\",\"retryable\":false}}").into_raw(),
    }
}

/// Runs a call that needs no client; `f` returns the whole envelope.
pub(super) fn offline_call<T: Serialize>(f: impl FnOnce() -> Result<Envelope<T>>) -> *mut c_char {
    match guard(f) {
        Ok(envelope) => to_c(envelope.to_text()),
        Err(error) => to_c(envelope::err(&error)),
    }
}

/// Runs a call on a client; `f` returns the whole envelope.
///
/// # Safety
/// `client` is NULL or a live client.
pub(super) unsafe fn client_call<T: Serialize>(
    client: *const JdyClient,
    f: impl FnOnce(&Client) -> Result<Envelope<T>>,
) -> *mut c_char {
    match guard(|| client_arg(client)) {
        Ok(client) => to_c(on_client(client, f)),
        Err(error) => to_c(envelope::err(&error)),
    }
}

/// The envelope of `f` run on `client` inside the panic boundary, as text. A caught panic
/// is written to the client's log with its location.
pub(super) fn on_client<T: Serialize>(
    client: &Client,
    f: impl FnOnce(&Client) -> Result<Envelope<T>>,
) -> String {
    match guard(|| f(client)) {
        Ok(envelope) => envelope.to_text(),
        Err(error) => {
            if error.kind == ErrorKind::Internal {
                client.log(LogLevel::Error, &error.message);
            }
            envelope::err(&error)
        }
    }
}

/// Borrows a C string as UTF-8 text, refusing NULL, invalid UTF-8 and oversized input
/// without reading past the size limit.
///
/// # Safety
/// `ptr` is NULL or points to a NUL-terminated string that outlives the returned slice.
pub(super) unsafe fn text_arg<'a>(ptr: *const c_char, what: &str) -> Result<&'a str> {
    bounded_text_arg(ptr, what, MAX_INPUT_BYTES)
}

/// [`text_arg`] with its own size limit.
///
/// # Safety
/// As for [`text_arg`].
pub(super) unsafe fn bounded_text_arg<'a>(
    ptr: *const c_char,
    what: &str,
    limit: usize,
) -> Result<&'a str> {
    if ptr.is_null() {
        return Err(Error::invalid_argument(format!(
            "the {what} pointer is NULL; pass a NUL-terminated UTF-8 JSON string"
        )));
    }
    // strnlen stops at the limit, so a runaway buffer is never scanned to its end.
    let len = libc::strnlen(ptr, limit + 1);
    if len > limit {
        return Err(Error::invalid_argument(format!(
            "the {what} is longer than the {limit}-byte limit; send smaller input"
        )));
    }
    let bytes = std::slice::from_raw_parts(ptr.cast::<u8>(), len);
    std::str::from_utf8(bytes).map_err(|e| {
        Error::invalid_argument(format!(
            "the {what} is not valid UTF-8 (bad byte at offset {}); convert it from the system code page (e.g. GBK) to UTF-8 first",
            e.valid_up_to()
        ))
    })
}

/// # Safety
/// `client` is NULL or a pointer returned by jdy_client_new() and not yet freed.
pub(super) unsafe fn client_arg<'a>(client: *const JdyClient) -> Result<&'a Client> {
    client.as_ref().map(|c| &c.client).ok_or_else(|| {
        Error::invalid_argument("the client pointer is NULL; create one with jdy_client_new()")
    })
}

/// An optional string argument: NULL is None (the defaults), anything else as [`text_arg`].
///
/// # Safety
/// As for [`text_arg`].
pub(super) unsafe fn optional_text_arg<'a>(
    ptr: *const c_char,
    what: &str,
) -> Result<Option<&'a str>> {
    if ptr.is_null() {
        Ok(None)
    } else {
        text_arg(ptr, what).map(Some)
    }
}
