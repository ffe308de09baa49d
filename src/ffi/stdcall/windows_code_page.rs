//! The system code page on Windows, converted by Windows itself: MultiByteToWideChar with
//! `MB_ERR_INVALID_CHARS` (invalid input is refused, not replaced) and WideCharToMultiByte
//! with `WC_NO_BEST_FIT_CHARS` and the used-default-character flag (a character without an
//! exact equivalent is detected, never turned into `?` or a look-alike). Four kernel32
//! functions every Windows since 95 has, declared here rather than through windows-sys,
//! whose generated imports made the DLLs differ from build to build.

use super::code_page::CodePage;
use std::ptr::{null, null_mut};

const CP_ACP: u32 = 0;
const CP_UTF8: u32 = 65001;
const MB_ERR_INVALID_CHARS: u32 = 0x08;
const WC_NO_BEST_FIT_CHARS: u32 = 0x400;
const ERROR_INVALID_PARAMETER: u32 = 87;
const ERROR_INVALID_FLAGS: u32 = 1004;

#[link(name = "kernel32")]
extern "system" {
    fn GetACP() -> u32;
    fn GetLastError() -> u32;
    fn MultiByteToWideChar(
        code_page: u32,
        flags: u32,
        multi_byte: *const u8,
        multi_byte_len: i32,
        wide: *mut u16,
        wide_len: i32,
    ) -> i32;
    fn WideCharToMultiByte(
        code_page: u32,
        flags: u32,
        wide: *const u16,
        wide_len: i32,
        multi_byte: *mut u8,
        multi_byte_len: i32,
        default_char: *const u8,
        used_default_char: *mut i32,
    ) -> i32;
}

/// Whether the conversion that just failed refused its flags (a code page that takes none
/// of them: 50220-50229, 57002-57011, 65000, 42; none can be a system code page today, but
/// a failure there must not read as invalid text).
fn flags_refused() -> bool {
    // SAFETY: no arguments.
    matches!(
        unsafe { GetLastError() },
        ERROR_INVALID_FLAGS | ERROR_INVALID_PARAMETER
    )
}

/// A count from Windows as a length; None for 0 (failure) or less.
fn length(count: i32) -> Option<usize> {
    usize::try_from(count).ok().filter(|&n| n > 0)
}

/// `CP_ACP`, the code page of the till's "language for non-Unicode programs".
pub(super) struct SystemCodePage;

impl SystemCodePage {
    /// `bytes` as UTF-16 with `flags`; None when Windows refuses them.
    fn to_wide(&self, bytes: &[u8], flags: u32) -> Option<Vec<u16>> {
        let len = i32::try_from(bytes.len()).ok()?;
        // SAFETY: the lengths are the buffers' own; a NULL output asks for the size.
        let size =
            unsafe { MultiByteToWideChar(CP_ACP, flags, bytes.as_ptr(), len, null_mut(), 0) };
        let mut wide = vec![0u16; length(size)?];
        let written = unsafe {
            MultiByteToWideChar(CP_ACP, flags, bytes.as_ptr(), len, wide.as_mut_ptr(), size)
        };
        wide.truncate(length(written)?);
        Some(wide)
    }

    /// `wide` in the code page with `flags`; None when Windows refuses it. `used_default`
    /// gets whether a character had no exact equivalent (not asked for when None).
    fn to_bytes(
        &self,
        wide: &[u16],
        flags: u32,
        used_default: Option<&mut i32>,
    ) -> Option<Vec<u8>> {
        let len = i32::try_from(wide.len()).ok()?;
        let used = used_default.map_or(null_mut(), |u| u as *mut i32);
        // SAFETY: the lengths are the buffers' own; a NULL output asks for the size.
        let size = unsafe {
            WideCharToMultiByte(
                CP_ACP,
                flags,
                wide.as_ptr(),
                len,
                null_mut(),
                0,
                null(),
                used,
            )
        };
        let mut bytes = vec![0u8; length(size)?];
        let written = unsafe {
            WideCharToMultiByte(
                CP_ACP,
                flags,
                wide.as_ptr(),
                len,
                bytes.as_mut_ptr(),
                size,
                null(),
                used,
            )
        };
        bytes.truncate(length(written)?);
        Some(bytes)
    }
}

impl CodePage for SystemCodePage {
    fn number(&self) -> u32 {
        // SAFETY: no arguments; never fails.
        unsafe { GetACP() }
    }

    fn decode(&self, bytes: &[u8]) -> Option<String> {
        if bytes.is_empty() {
            return Some(String::new());
        }
        let wide = match self.to_wide(bytes, MB_ERR_INVALID_CHARS) {
            Some(wide) => wide,
            None if flags_refused() => {
                // Without the flag invalid bytes are replaced: exact only if they read back.
                let wide = self.to_wide(bytes, 0)?;
                if self.to_bytes(&wide, 0, None).as_deref() != Some(bytes) {
                    return None;
                }
                wide
            }
            None => return None,
        };
        String::from_utf16(&wide).ok()
    }

    fn encode_exact(&self, text: &str) -> Option<Vec<u8>> {
        if text.is_empty() {
            return Some(Vec::new());
        }
        if self.number() == CP_UTF8 {
            // A till set to "Beta: Use Unicode UTF-8": the text is its own encoding.
            return Some(text.as_bytes().to_vec());
        }
        let wide: Vec<u16> = text.encode_utf16().collect();
        let mut used_default = 0;
        match self.to_bytes(&wide, WC_NO_BEST_FIT_CHARS, Some(&mut used_default)) {
            Some(bytes) => (used_default == 0).then_some(bytes),
            None if flags_refused() => {
                // Exact when the bytes read back as the text.
                let bytes = self.to_bytes(&wide, 0, None)?;
                (self.to_wide(&bytes, 0)? == wide).then_some(bytes)
            }
            None => None,
        }
    }
}
