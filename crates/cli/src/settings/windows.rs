//! The settings file on Windows: the file and its folder carry a DACL that grants the
//! current user alone (the user's SID from the process token, full control, the DACL
//! protected from inheritance), set when the file is created, before a byte is written; and
//! the two secrets are sealed with DPAPI in the user's scope (`CryptProtectData`), so only
//! this user on this PC (or the same user's roaming profile) can undo them.
//!
//! Only advapi32, crypt32 and kernel32 are called, every function as old as Windows XP, so
//! the exe still starts on Windows 7 SP1.

use super::sealer::Protector;
use super::shared_files;
use std::ffi::{c_void, OsStr};
use std::fs::{File, OpenOptions};
use std::io::{ErrorKind, Write};
use std::os::windows::ffi::OsStrExt;
use std::os::windows::fs::OpenOptionsExt;
use std::os::windows::io::{FromRawHandle, RawHandle};
use std::path::Path;
use std::ptr::{null, null_mut};
use windows_sys::Win32::Foundation::{
    CloseHandle, LocalFree, ERROR_ALREADY_EXISTS, GENERIC_WRITE, HANDLE, INVALID_HANDLE_VALUE,
};
use windows_sys::Win32::Security::Authorization::{
    ConvertSidToStringSidW, ConvertStringSecurityDescriptorToSecurityDescriptorW,
    SetNamedSecurityInfoW, SDDL_REVISION_1, SE_FILE_OBJECT,
};
use windows_sys::Win32::Security::Cryptography::{
    CryptProtectData, CryptUnprotectData, CRYPTPROTECT_UI_FORBIDDEN, CRYPT_INTEGER_BLOB,
};
use windows_sys::Win32::Security::{
    GetSecurityDescriptorDacl, GetTokenInformation, TokenUser, ACL, DACL_SECURITY_INFORMATION,
    PROTECTED_DACL_SECURITY_INFORMATION, PSECURITY_DESCRIPTOR, SECURITY_ATTRIBUTES, TOKEN_QUERY,
    TOKEN_USER,
};
use windows_sys::Win32::Storage::FileSystem::{
    CreateDirectoryW, CreateFileW, CREATE_NEW, FILE_ATTRIBUTE_NORMAL, FILE_FLAG_OPEN_REPARSE_POINT,
};
use windows_sys::Win32::System::Threading::{GetCurrentProcess, OpenProcessToken};

/// Mixed into DPAPI's protection, so another program of the same user that merely calls
/// CryptUnprotectData on the value does not get it back without knowing this.
const ENTROPY: &[u8] = b"jdy-member settings";

/// `text` as a NUL-terminated UTF-16 string.
fn wide(text: &OsStr) -> Vec<u16> {
    text.encode_wide().chain(std::iter::once(0)).collect()
}

fn last_error() -> std::io::Error {
    std::io::Error::last_os_error()
}

/// Memory the system allocated with LocalAlloc, freed with LocalFree.
struct Local(*mut c_void);

impl Drop for Local {
    fn drop(&mut self) {
        if !self.0.is_null() {
            // SAFETY: the pointer came from a function documented to LocalAlloc it.
            unsafe { LocalFree(self.0) };
        }
    }
}

/// A handle closed on drop.
struct Handle(HANDLE);

impl Drop for Handle {
    fn drop(&mut self) {
        // SAFETY: the handle was opened by OpenProcessToken and is closed once.
        unsafe { CloseHandle(self.0) };
    }
}

/// The current user's SID as text (`S-1-5-21-...`).
fn user_sid() -> Result<String, String> {
    // SAFETY: each call gets buffers of the sizes it asks for; the token handle is closed
    // by `Handle`, the SID text freed by `Local`.
    unsafe {
        let mut token: HANDLE = null_mut();
        if OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &mut token) == 0 {
            return Err(format!(
                "the process token cannot be read ({})",
                last_error()
            ));
        }
        let token = Handle(token);
        let mut size = 0u32;
        GetTokenInformation(token.0, TokenUser, null_mut(), 0, &mut size);
        // u64s, so the TOKEN_USER at its start is aligned.
        let mut buffer = vec![0u64; (size as usize).div_ceil(8).max(1)];
        let ok = GetTokenInformation(
            token.0,
            TokenUser,
            buffer.as_mut_ptr().cast(),
            size,
            &mut size,
        );
        if ok == 0 {
            return Err(format!(
                "the user of the process cannot be read ({})",
                last_error()
            ));
        }
        let user = &*(buffer.as_ptr() as *const TOKEN_USER);
        let mut text: *mut u16 = null_mut();
        if ConvertSidToStringSidW(user.User.Sid, &mut text) == 0 {
            return Err(format!("the user's SID cannot be read ({})", last_error()));
        }
        let _free = Local(text.cast());
        let length = (0..).take_while(|&i| *text.add(i) != 0).count();
        Ok(String::from_utf16_lossy(std::slice::from_raw_parts(
            text, length,
        )))
    }
}

/// A security descriptor whose DACL grants the current user full control and nobody else,
/// protected from the folder's inherited entries.
struct UserOnly(Local);

impl UserOnly {
    fn new() -> Result<UserOnly, String> {
        // D:P protected DACL; A allow; OICI inherited by files and folders within; FA all.
        let sddl = format!("D:P(A;OICI;FA;;;{})", user_sid()?);
        let sddl = wide(OsStr::new(&sddl));
        let mut descriptor: PSECURITY_DESCRIPTOR = null_mut();
        // SAFETY: `sddl` is NUL-terminated; the descriptor is freed by `Local`.
        let ok = unsafe {
            ConvertStringSecurityDescriptorToSecurityDescriptorW(
                sddl.as_ptr(),
                SDDL_REVISION_1,
                &mut descriptor,
                null_mut(),
            )
        };
        if ok == 0 {
            return Err(format!(
                "no security descriptor for this user ({})",
                last_error()
            ));
        }
        Ok(UserOnly(Local(descriptor)))
    }

    fn attributes(&self) -> SECURITY_ATTRIBUTES {
        SECURITY_ATTRIBUTES {
            nLength: std::mem::size_of::<SECURITY_ATTRIBUTES>() as u32,
            lpSecurityDescriptor: self.0 .0,
            bInheritHandle: 0,
        }
    }

    /// Gives `path` (a file or folder) this DACL, replacing what it had or inherited.
    fn apply(&self, path: &Path) -> Result<(), String> {
        let mut present = 0;
        let mut defaulted = 0;
        let mut dacl: *mut ACL = null_mut();
        let name = wide(path.as_os_str());
        // SAFETY: the descriptor lives as long as `self`; `name` is NUL-terminated.
        unsafe {
            if GetSecurityDescriptorDacl(self.0 .0, &mut present, &mut dacl, &mut defaulted) == 0
                || present == 0
            {
                return Err(format!("the user's DACL cannot be read ({})", last_error()));
            }
            let information = DACL_SECURITY_INFORMATION | PROTECTED_DACL_SECURITY_INFORMATION;
            let status = SetNamedSecurityInfoW(
                name.as_ptr(),
                SE_FILE_OBJECT,
                information,
                null_mut(),
                null_mut(),
                dacl,
                null(),
            );
            if status != 0 {
                return Err(format!(
                    "{} cannot be made private to this user ({})",
                    path.display(),
                    std::io::Error::from_raw_os_error(status as i32)
                ));
            }
        }
        Ok(())
    }
}

/// Creates `folder` for this user alone (its parents as they come), or gives the folder
/// there this user's DACL.
pub fn ensure_folder(folder: &Path) -> Result<(), String> {
    let shown = folder.display();
    match std::fs::symlink_metadata(folder) {
        Ok(metadata) if metadata.file_type().is_symlink() || !metadata.is_dir() => {
            return Err(format!(
                "{shown} is not a folder (a link or a file); remove it and try again"
            ))
        }
        Ok(_) => {}
        Err(e) if e.kind() == ErrorKind::NotFound => {
            if let Some(parent) = folder.parent() {
                std::fs::create_dir_all(parent).map_err(|e| {
                    format!("the folder {} cannot be created ({e})", parent.display())
                })?;
            }
            let security = UserOnly::new()?;
            let attributes = security.attributes();
            let name = wide(folder.as_os_str());
            // SAFETY: `name` is NUL-terminated; the attributes' descriptor outlives the call.
            let ok = unsafe { CreateDirectoryW(name.as_ptr(), &attributes) };
            let error = last_error();
            if ok == 0 && error.raw_os_error() != Some(ERROR_ALREADY_EXISTS as i32) {
                return Err(format!("the folder {shown} cannot be created ({error})"));
            }
        }
        Err(e) => return Err(format!("the folder {shown} cannot be read ({e})")),
    }
    UserOnly::new()?.apply(folder)
}

/// Replaces `path` with `bytes`: a new file with a random name beside it, created with this
/// user's DACL (never through a link), written, flushed, then renamed over `path`.
pub fn write_replacing(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let temp = shared_files::temp_beside(path)?;
    let security = UserOnly::new()?;
    let written = create_new(&temp, &security)
        // Some systems take a new file's own DACL only when set: set it before any byte.
        .and_then(|file| security.apply(&temp).map(|()| file))
        .and_then(|mut file| {
            file.write_all(bytes)
                .and_then(|()| file.sync_all())
                .map_err(|e| e.to_string())
        })
        .and_then(|()| std::fs::rename(&temp, path).map_err(|e| e.to_string()));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&temp);
        return Err(format!("{} cannot be written ({e})", path.display()));
    }
    Ok(())
}

/// Creates the file `path` with `security`'s DACL; fails if anything (a link too) is there.
fn create_new(path: &Path, security: &UserOnly) -> Result<File, String> {
    let attributes = security.attributes();
    let name = wide(path.as_os_str());
    // SAFETY: `name` is NUL-terminated, the attributes' descriptor outlives the call, and the
    // handle is owned by the File made of it.
    unsafe {
        let handle = CreateFileW(
            name.as_ptr(),
            GENERIC_WRITE,
            0,
            &attributes,
            CREATE_NEW,
            FILE_ATTRIBUTE_NORMAL | FILE_FLAG_OPEN_REPARSE_POINT,
            null_mut(),
        );
        if handle == INVALID_HANDLE_VALUE {
            return Err(last_error().to_string());
        }
        Ok(File::from_raw_handle(handle as RawHandle))
    }
}

/// The bytes of `path`; None when there is no file. A link is not followed.
pub fn read_owned(path: &Path) -> Result<Option<Vec<u8>>, String> {
    let shown = path.display();
    match std::fs::symlink_metadata(path) {
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("{shown} cannot be read ({e})")),
        Ok(metadata) if metadata.file_type().is_symlink() || !metadata.is_file() => {
            return Err(format!(
                "{shown} is not a file of its own (a link or a folder)"
            ))
        }
        Ok(_) => {}
    }
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(FILE_FLAG_OPEN_REPARSE_POINT)
        .open(path)
        .map_err(|e| format!("{shown} cannot be read ({e})"))?;
    shared_files::read_whole(file, path).map(Some)
}

/// DPAPI in the current user's scope.
pub struct Dpapi;

fn blob(bytes: &[u8]) -> CRYPT_INTEGER_BLOB {
    CRYPT_INTEGER_BLOB {
        cbData: bytes.len() as u32,
        pbData: bytes.as_ptr() as *mut u8,
    }
}

/// The bytes DPAPI gave back, copied out, the system's copy wiped and freed.
///
/// SAFETY: `out` must be a blob a successful CryptProtectData/CryptUnprotectData filled.
unsafe fn take(out: CRYPT_INTEGER_BLOB) -> Vec<u8> {
    let _free = Local(out.pbData.cast());
    let bytes = std::slice::from_raw_parts_mut(out.pbData, out.cbData as usize);
    let copied = bytes.to_vec();
    bytes.fill(0);
    copied
}

impl Protector for Dpapi {
    fn protect(&self, plain: &[u8]) -> Result<Option<Vec<u8>>, String> {
        let description = wide(OsStr::new("jdy-member settings"));
        let mut out = CRYPT_INTEGER_BLOB {
            cbData: 0,
            pbData: null_mut(),
        };
        // SAFETY: the input blobs point into live slices; `out` is taken once on success.
        unsafe {
            let ok = CryptProtectData(
                &blob(plain),
                description.as_ptr(),
                &blob(ENTROPY),
                null(),
                null(),
                CRYPTPROTECT_UI_FORBIDDEN,
                &mut out,
            );
            if ok == 0 {
                return Err(format!("DPAPI could not protect it ({})", last_error()));
            }
            Ok(Some(take(out)))
        }
    }

    fn unprotect(&self, protected: &[u8]) -> Result<Vec<u8>, String> {
        let mut out = CRYPT_INTEGER_BLOB {
            cbData: 0,
            pbData: null_mut(),
        };
        // SAFETY: as in `protect`.
        unsafe {
            let ok = CryptUnprotectData(
                &blob(protected),
                null_mut(),
                &blob(ENTROPY),
                null(),
                null(),
                CRYPTPROTECT_UI_FORBIDDEN,
                &mut out,
            );
            if ok == 0 {
                return Err(format!(
                    "this Windows user cannot undo its DPAPI protection: the file was saved by another user or on another PC ({})",
                    last_error()
                ));
            }
            Ok(take(out))
        }
    }
}
