//! The two string forms of the stdcall exports: `_a`, NUL-terminated text in the system
//! code page (bytes), and `_w`, NUL-terminated UTF-16 (`wchar_t` on Windows). Inputs are
//! read without going past their size limit and checked, never silently repaired.

use super::code_page::{self, CodePage};
use crate::error::{Error, Result};
use crate::input::MAX_INPUT_BYTES;

/// A UTF-16 code unit: the header spells it `wchar_t` (16 bits on Windows).
pub type WideChar = u16;

/// One string form: how its inputs are read and its results written.
pub(super) trait Form {
    /// A unit of its strings: a byte, or a UTF-16 code unit.
    type Unit: Copy + Default + PartialEq;
    /// What a buffer size of this form counts, for messages.
    const UNITS: &'static str;
    /// How this form's size arguments end: `out_size` (bytes), `out_chars` (UTF-16 units).
    const SIZE: &'static str;

    /// The text of a NUL-terminated input, refused when NULL, invalid, or longer than
    /// `limit` (UTF-8 bytes once converted, as the cdecl exports count).
    ///
    /// # Safety
    /// `ptr` is NULL or points to a NUL-terminated string of this form.
    unsafe fn bounded_text(
        &self,
        ptr: *const Self::Unit,
        what: &str,
        limit: usize,
    ) -> Result<String>;

    /// `text` as this form writes it, without a NUL.
    fn write(&self, text: &str) -> Vec<Self::Unit>;

    /// [`Form::bounded_text`] with the limit of every input but a batch (1 MiB).
    ///
    /// # Safety
    /// As for [`Form::bounded_text`].
    unsafe fn text(&self, ptr: *const Self::Unit, what: &str) -> Result<String> {
        self.bounded_text(ptr, what, MAX_INPUT_BYTES)
    }

    /// An optional input: NULL is None (the defaults).
    ///
    /// # Safety
    /// As for [`Form::bounded_text`].
    unsafe fn optional_text(&self, ptr: *const Self::Unit, what: &str) -> Result<Option<String>> {
        if ptr.is_null() {
            Ok(None)
        } else {
            self.text(ptr, what).map(Some)
        }
    }
}

/// The units of a NUL-terminated string before its NUL, or None when there are more than
/// `limit` (then no unit after the limit's is read).
///
/// # Safety
/// `ptr` is not NULL and points to a NUL-terminated string.
unsafe fn units_before_nul<'a, U: Copy + Default + PartialEq>(
    ptr: *const U,
    limit: usize,
) -> Option<&'a [U]> {
    let nul = U::default();
    let mut len = 0;
    while *ptr.add(len) != nul {
        if len == limit {
            return None;
        }
        len += 1;
    }
    Some(std::slice::from_raw_parts(ptr, len))
}

fn null_error(what: &str, form: &str) -> Error {
    Error::invalid_argument(format!(
        "the {what} pointer is NULL; pass a NUL-terminated {form} string (JSON text)"
    ))
}

fn too_long(what: &str, limit: usize) -> Error {
    Error::invalid_argument(format!(
        "the {what} is longer than the {limit}-byte limit; send smaller input"
    ))
}

/// Checks the converted text against the limit the cdecl exports apply to UTF-8.
fn within(text: String, what: &str, limit: usize) -> Result<String> {
    if text.len() > limit {
        return Err(too_long(what, limit));
    }
    Ok(text)
}

/// `_a`: the system code page, through `C`.
pub(super) struct Ansi<C>(pub C);

/// The `_a` form of this system: the system code page, converted by Windows.
#[cfg(windows)]
pub(super) fn ansi() -> Ansi<impl CodePage> {
    Ansi(super::windows_code_page::SystemCodePage)
}

/// The `_a` form off Windows, for the tests: UTF-8 stands in for the code page.
#[cfg(not(windows))]
pub(super) fn ansi() -> Ansi<impl CodePage> {
    Ansi(code_page::Utf8)
}

impl<C: CodePage> Form for Ansi<C> {
    type Unit = u8;
    const UNITS: &'static str = "bytes";
    const SIZE: &'static str = "size";

    unsafe fn bounded_text(&self, ptr: *const u8, what: &str, limit: usize) -> Result<String> {
        if ptr.is_null() {
            return Err(null_error(what, "system code page"));
        }
        // A character of the code page is never more bytes than its UTF-8.
        let bytes = units_before_nul(ptr, limit).ok_or_else(|| too_long(what, limit))?;
        within(code_page::from_ansi(&self.0, bytes, what)?, what, limit)
    }

    fn write(&self, text: &str) -> Vec<u8> {
        code_page::to_ansi(&self.0, text)
    }
}

/// `_w`: UTF-16.
pub(super) struct Wide;

impl Form for Wide {
    type Unit = WideChar;
    const UNITS: &'static str = "UTF-16 code units";
    const SIZE: &'static str = "chars";

    unsafe fn bounded_text(
        &self,
        ptr: *const WideChar,
        what: &str,
        limit: usize,
    ) -> Result<String> {
        if ptr.is_null() {
            return Err(null_error(what, "UTF-16"));
        }
        // A UTF-16 code unit is never more bytes than its UTF-8.
        let units = units_before_nul(ptr, limit).ok_or_else(|| too_long(what, limit))?;
        let text = char::decode_utf16(units.iter().copied())
            .enumerate()
            .map(|(index, unit)| {
                unit.map_err(|e| {
                    Error::invalid_argument(format!(
                        "the {what} is not valid UTF-16: an unpaired surrogate {:#06x} at character {index}; send whole characters",
                        e.unpaired_surrogate()
                    ))
                })
            })
            .collect::<Result<String>>()?;
        within(text, what, limit)
    }

    fn write(&self, text: &str) -> Vec<WideChar> {
        text.encode_utf16().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::super::code_page::tests::Latin1;
    use super::*;
    use crate::error::ErrorKind;

    fn wide(text: &str) -> Vec<u16> {
        text.encode_utf16().chain([0]).collect()
    }

    fn refusal(result: Result<String>) -> String {
        let error = result.unwrap_err();
        assert_eq!(error.kind, ErrorKind::InvalidArgument);
        error.message
    }

    #[test]
    fn utf16_in_and_out() {
        let text = "{\"name\":\"会员A 𠮷\"}";
        assert_eq!(
            unsafe { Wide.text(wide(text).as_ptr(), "member") }.unwrap(),
            text
        );
        assert_eq!(Wide.write(text), text.encode_utf16().collect::<Vec<_>>());
        assert_eq!(
            unsafe { Wide.optional_text(std::ptr::null(), "query") }.unwrap(),
            None
        );
    }

    #[test]
    fn bad_utf16_is_refused() {
        let lone = [u16::from(b'a'), 0xd842, u16::from(b'b'), 0];
        let message = refusal(unsafe { Wide.text(lone.as_ptr(), "member") });
        assert!(
            message.contains("unpaired surrogate 0xd842 at character 1"),
            "{message}"
        );
        let message = refusal(unsafe { Wide.text(std::ptr::null(), "member") });
        assert!(message.contains("member pointer is NULL"), "{message}");
    }

    #[test]
    fn the_limit_counts_utf8_bytes_and_is_never_read_past() {
        // Four units of three UTF-8 bytes each: 12 bytes.
        let cjk = wide("会员会员");
        assert!(unsafe { Wide.bounded_text(cjk.as_ptr(), "member", 12) }.is_ok());
        let message = refusal(unsafe { Wide.bounded_text(cjk.as_ptr(), "member", 11) });
        assert!(
            message.contains("longer than the 11-byte limit"),
            "{message}"
        );
        // No NUL within the limit: refused after reading limit + 1 units, no further.
        let unterminated = [u16::from(b'x'); 4];
        let message = refusal(unsafe { Wide.bounded_text(unterminated.as_ptr(), "member", 3) });
        assert!(message.contains("3-byte limit"), "{message}");
        let bytes = [b'x'; 4];
        let message = refusal(unsafe { Ansi(Latin1).bounded_text(bytes.as_ptr(), "member", 3) });
        assert!(message.contains("3-byte limit"), "{message}");
    }

    #[test]
    fn ansi_in_and_out_through_the_code_page() {
        let form = Ansi(Latin1);
        let text = unsafe { form.text(c"{\"n\":\"Zo\xeb\"}".as_ptr().cast(), "member") }.unwrap();
        assert_eq!(text, "{\"n\":\"Zoë\"}");
        assert_eq!(form.write("Zoë 会"), b"Zo\xeb \\u4f1a");
        let message = refusal(unsafe { form.text(c"\x81".as_ptr().cast(), "member") });
        assert!(
            message.contains("not valid text in the system code page"),
            "{message}"
        );
        let message = refusal(unsafe { form.text(std::ptr::null(), "query") });
        assert!(message.contains("query pointer is NULL"), "{message}");
    }
}
