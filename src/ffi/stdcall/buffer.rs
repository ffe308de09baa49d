//! The buffer rule of the stdcall exports: the caller owns the output buffer and says its
//! size in units (bytes for `_a`, UTF-16 code units for `_w`). A result that fits is
//! written whole with a NUL, and its length (without the NUL) is returned; one that does
//! not fit is not written at all (only a NUL at the start, when there is room, so that a
//! reused buffer never still shows an earlier result), and minus the size it needs, NUL
//! included, is returned.

use crate::error::{Error, Result};

/// The largest buffer size taken (1 GiB of units). A larger one is a mistake (a pointer or
/// an uninitialised variable passed as the size): no result is that large, and a wrong
/// size is worse than a refused one, so the call is refused before anything is done.
pub const MAX_OUT_SIZE: i32 = 1 << 30;

/// A caller's output buffer: `out` and its size in units.
pub(super) struct Out<U> {
    ptr: *mut U,
    size: i32,
}

impl<U: Copy + Default> Out<U> {
    pub fn new(ptr: *mut U, size: i32) -> Out<U> {
        Out { ptr, size }
    }

    /// Why this buffer cannot be used, if it cannot: a negative or absurd size, or NULL with
    /// a size. Then the call does nothing but say so. `name` names the argument ("out",
    /// "error_out"), `size` its size's ("out_size", "out_chars"), `units` what that counts.
    pub fn check(&self, name: &str, size_name: &str, units: &str) -> Result<()> {
        let size = self.size;
        if size < 0 {
            return Err(Error::invalid_argument(format!(
                "{size_name} is {size}: a buffer size cannot be negative; pass the number of {units} in `{name}` (or NULL and 0 to ask for the size needed); nothing was done"
            )));
        }
        if size > MAX_OUT_SIZE {
            return Err(Error::invalid_argument(format!(
                "{size_name} is {size} {units}, more than any result needs ({MAX_OUT_SIZE}); pass the buffer's real size; nothing was done"
            )));
        }
        if self.ptr.is_null() && size > 0 {
            return Err(Error::invalid_argument(format!(
                "`{name}` is NULL but its size is {size}: pass a buffer of that many {units}, or NULL and 0 to ask for the size needed; nothing was done"
            )));
        }
        Ok(())
    }

    /// Writes `text` (without its NUL) by the buffer rule: the length written, or minus the
    /// size needed. Writes nothing through a buffer that fails [`Out::check`].
    ///
    /// # Safety
    /// `ptr` is NULL or points to `size` writable units.
    pub unsafe fn write(&self, text: &[U]) -> i32 {
        let needed = needed_size(text.len());
        if self.check("out", "out_size", "units").is_err() {
            return -needed;
        }
        let room = self.size as usize;
        if text.len() < room {
            std::ptr::copy_nonoverlapping(text.as_ptr(), self.ptr, text.len());
            *self.ptr.add(text.len()) = U::default();
            // text.len() < room <= MAX_OUT_SIZE, so it fits an i32.
            return text.len() as i32;
        }
        if room > 0 {
            *self.ptr = U::default();
        }
        -needed
    }
}

/// The size a text of `len` units needs, NUL included, as the buffer rule returns it
/// (capped: callers keep results under [`MAX_OUT_SIZE`]).
pub(super) fn needed_size(len: usize) -> i32 {
    i32::try_from(len.saturating_add(1)).unwrap_or(i32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_into(buffer: &mut [u8], size: i32, text: &str) -> i32 {
        unsafe { Out::new(buffer.as_mut_ptr(), size).write(text.as_bytes()) }
    }

    #[test]
    fn a_result_that_fits_is_written_with_its_nul() {
        let mut buffer = [b'#'; 8];
        assert_eq!(write_into(&mut buffer, 8, "abc"), 3);
        assert_eq!(&buffer, b"abc\0####");
        // Exactly the size needed: the NUL takes the last unit.
        let mut exact = [b'#'; 4];
        assert_eq!(write_into(&mut exact, 4, "wxy"), 3);
        assert_eq!(&exact, b"wxy\0");
        assert_eq!(write_into(&mut exact, 4, ""), 0);
        assert_eq!(exact[0], 0);
    }

    #[test]
    fn a_result_that_does_not_fit_is_not_written_and_its_size_is_returned() {
        let mut buffer = *b"{\"ok\":true}";
        // One short: the NUL would not fit.
        assert_eq!(write_into(&mut buffer, 3, "abc"), -4);
        assert_eq!(&buffer, b"\0\"ok\":true}", "only a NUL at the start");
        let mut buffer = [b'#'; 4];
        assert_eq!(write_into(&mut buffer, 1, "abc"), -4);
        assert_eq!(&buffer, b"\0###");
        // Size 0: nothing at all is written.
        let mut buffer = [b'#'; 4];
        assert_eq!(write_into(&mut buffer, 0, "abc"), -4);
        assert_eq!(&buffer, b"####");
        let null = Out::<u8>::new(std::ptr::null_mut(), 0);
        assert!(null.check("out", "out_size", "bytes").is_ok());
        assert_eq!(unsafe { null.write(b"abc") }, -4);
        assert_eq!(unsafe { null.write(b"") }, -1);
    }

    #[test]
    fn unusable_buffers_are_refused_and_never_written() {
        let mut buffer = [b'#'; 4];
        for (ptr, size, says) in [
            (buffer.as_mut_ptr(), -1, "cannot be negative"),
            (buffer.as_mut_ptr(), i32::MIN, "cannot be negative"),
            (
                buffer.as_mut_ptr(),
                MAX_OUT_SIZE + 1,
                "more than any result",
            ),
            (buffer.as_mut_ptr(), i32::MAX, "more than any result"),
            (std::ptr::null_mut(), 16, "NULL but its size is 16"),
        ] {
            let out = Out::new(ptr, size);
            let error = out.check("out", "out_size", "bytes").unwrap_err();
            assert_eq!(error.kind, crate::error::ErrorKind::InvalidArgument);
            assert!(error.message.contains(says), "{}", error.message);
            assert!(
                error.message.contains("nothing was done"),
                "{}",
                error.message
            );
            assert_eq!(unsafe { out.write(b"abc") }, -4);
        }
        assert_eq!(&buffer, b"####");
    }

    #[test]
    fn utf16_units_follow_the_same_rule() {
        let text: Vec<u16> = "会员A".encode_utf16().collect();
        let mut buffer = [0xffffu16; 4];
        let out = Out::new(buffer.as_mut_ptr(), 4);
        assert_eq!(unsafe { out.write(&text) }, 3);
        assert_eq!(&buffer[..3], &text[..]);
        assert_eq!(buffer[3], 0);
        let out = Out::new(buffer.as_mut_ptr(), 3);
        assert_eq!(unsafe { out.write(&text) }, -4);
        assert_eq!(buffer[0], 0);
    }

    #[test]
    fn sizes_beyond_an_i32_are_capped() {
        assert_eq!(needed_size(0), 1);
        assert_eq!(needed_size(usize::MAX), i32::MAX);
    }
}
