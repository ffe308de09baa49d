//! One stdcall call from start to end, the same for every export: the output buffer is
//! checked first (a call with an unusable one does nothing but say so), then the client
//! handle, then the inputs, then the operation runs inside the panic boundary; its envelope
//! is kept for the calling thread and written by the buffer rule.

use super::buffer::{needed_size, Out, MAX_OUT_SIZE};
use super::handles;
use super::kept;
use super::text::Form;
use crate::client::Client;
use crate::envelope::{self, Envelope};
use crate::error::{Error, Result};
use crate::ffi::boundary::on_client;
use crate::panic::{guard, guard_unit};
use serde::Serialize;
use serde_json::Value;

/// Runs an export whose result goes to `out`: `run` makes the envelope (or text), unless
/// the buffer cannot be used. Returns by the buffer rule.
///
/// # Safety
/// `out` is NULL or points to `out_size` writable units.
pub(super) unsafe fn respond<F: Form>(
    form: &F,
    out: *mut F::Unit,
    out_size: i32,
    run: impl FnOnce() -> String,
) -> i32 {
    let out = Out::new(out, out_size);
    let text = match out.check("out", &format!("out_{}", F::SIZE), F::UNITS) {
        Ok(()) => run(),
        Err(error) => envelope::err(&error),
    };
    out.write(&keep(form, text))
}

/// Keeps `text` as this thread's result and returns it in `form`. A result too large for
/// any buffer is replaced by an error saying so.
fn keep<F: Form>(form: &F, text: String) -> Vec<F::Unit> {
    let (text, units) = match guard(|| Ok(form.write(&text))) {
        Ok(units) if needed_size(units.len()) < MAX_OUT_SIZE => (text, units),
        Ok(units) => {
            let error = Error::invalid_argument(format!(
                "the result is {} {}, more than a buffer may hold ({MAX_OUT_SIZE}); ask for less at once (a batch in parts, a smaller page)",
                units.len(),
                F::UNITS
            ));
            let text = envelope::err(&error);
            (text.clone(), form.write(&text))
        }
        Err(error) => {
            let text = envelope::err(&error);
            (text.clone(), form.write(&text))
        }
    };
    kept::keep(text);
    units
}

/// The envelope of `f` run on the client named by `handle`.
pub(super) fn on_handle<T: Serialize>(
    handle: isize,
    f: impl FnOnce(&Client) -> Result<Envelope<T>>,
) -> String {
    match guard(|| handles::lookup(handle)) {
        Ok(client) => on_client(&client, f),
        Err(error) => envelope::err(&error),
    }
}

/// The envelope of an operation that needs no client.
pub(super) fn offline<T: Serialize>(f: impl FnOnce() -> Result<Envelope<T>>) -> String {
    match guard(f) {
        Ok(envelope) => envelope.to_text(),
        Err(error) => envelope::err(&error),
    }
}

/// jdy_client_new_a/_w: the new client's handle, or 0 with the error envelope in
/// `error_out` by the buffer rule (an empty string there when it does not fit: it is kept,
/// like every result). Success keeps `{"ok":true,"data":null}` and empties `error_out`.
///
/// # Safety
/// `config` is NULL or a NUL-terminated string of `form`; `error_out` is NULL or points to
/// `error_size` writable units.
pub(super) unsafe fn client_new<F: Form>(
    form: &F,
    config: *const F::Unit,
    error_out: *mut F::Unit,
    error_size: i32,
) -> isize {
    let out = Out::new(error_out, error_size);
    let created = match out.check("error_out", &format!("error_{}", F::SIZE), F::UNITS) {
        Ok(()) => guard(|| {
            let text = form.text(config, "configuration")?;
            handles::register(Client::from_json(&text)?)
        }),
        Err(error) => Err(error),
    };
    match created {
        Ok(handle) => {
            keep(form, envelope::ok(Value::Null));
            out.write(&[]);
            handle
        }
        Err(error) => {
            out.write(&keep(form, envelope::err(&error)));
            0
        }
    }
}

/// jdy_client_free_a/_w: 1 when `handle` named a live client (now released), else 0.
pub(super) fn client_free(handle: isize) -> i32 {
    match guard(|| Ok(handles::release(handle))) {
        Ok(Some(client)) => {
            // The last reference (unless another thread's call still runs on it) stops
            // the client's background work; never a panic into the caller.
            guard_unit(move || drop(client));
            1
        }
        _ => 0,
    }
}

/// jdy_last_result_a/_w: this thread's kept result, by the buffer rule, as often as
/// needed; never changes it. Given an unusable buffer, writes nothing and returns minus the
/// size needed. Before this thread's first call, an error envelope saying so (not kept).
///
/// # Safety
/// `out` is NULL or points to `out_size` writable units.
pub(super) unsafe fn last_result<F: Form>(form: &F, out: *mut F::Unit, out_size: i32) -> i32 {
    let text = kept::kept().unwrap_or_else(|| {
        envelope::err(&Error::invalid_argument(
            "no result is kept on this thread yet: jdy_last_result_a/_w returns the result of this thread's last jdy_*_a or jdy_*_w call",
        ))
    });
    let units = match guard(|| Ok(form.write(&text))) {
        Ok(units) => units,
        Err(error) => form.write(&envelope::err(&error)),
    };
    Out::new(out, out_size).write(&units)
}
