//! How the two secrets of an account (`client_secret`, `app_secret`) are kept in the
//! settings file: on Windows protected with DPAPI in the user's scope and written as
//! `{"dpapi": "BASE64"}`, so a copy of the file on another PC or for another user gives
//! nothing away; elsewhere as given, the file itself being readable by its owner only.
//!
//! The platform's protection is a `Protector`; what the file holds is decided here for every
//! platform alike, so the Windows format is tested on Linux with a stand-in for DPAPI.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{json, Value};

/// The configuration keys that hold secrets.
pub const SECRET_KEYS: [&str; 2] = ["client_secret", "app_secret"];

/// The key of a protected secret's object: `{"dpapi": "BASE64"}`.
pub const DPAPI_KEY: &str = "dpapi";

/// What the platform offers to protect a secret for the current user.
pub trait Protector: Send + Sync {
    /// `plain` protected for this user; None where the platform offers no protection (the
    /// secret is then kept as given in the owner-only file).
    fn protect(&self, plain: &[u8]) -> Result<Option<Vec<u8>>, String>;

    /// What `protect` protected, as it was; an error, in words, when this user cannot undo it
    /// (another user's or another PC's file).
    fn unprotect(&self, protected: &[u8]) -> Result<Vec<u8>, String>;
}

/// No protection but the file's permissions (every platform but Windows).
#[cfg(any(not(windows), test))]
pub struct AsGiven;

#[cfg(any(not(windows), test))]
impl Protector for AsGiven {
    fn protect(&self, _plain: &[u8]) -> Result<Option<Vec<u8>>, String> {
        Ok(None)
    }

    fn unprotect(&self, _protected: &[u8]) -> Result<Vec<u8>, String> {
        Err("it was protected with Windows DPAPI, which only the Windows user who saved it can undo, on that PC".into())
    }
}

/// `secret` as the file keeps it.
pub fn seal(protector: &dyn Protector, secret: &str) -> Result<Value, String> {
    Ok(match protector.protect(secret.as_bytes())? {
        Some(protected) => json!({ DPAPI_KEY: STANDARD.encode(protected) }),
        None => Value::from(secret),
    })
}

/// The secret the file keeps as `kept`: text as it is, or `{"dpapi": ...}` undone.
pub fn open(protector: &dyn Protector, kept: &Value) -> Result<String, String> {
    let protected = match kept {
        Value::String(text) => return Ok(text.clone()),
        Value::Object(object) => match object.get(DPAPI_KEY) {
            Some(Value::String(base64)) if object.len() == 1 => base64,
            _ => return Err(format!("must be text or {{\"{DPAPI_KEY}\": \"...\"}}")),
        },
        _ => return Err(format!("must be text or {{\"{DPAPI_KEY}\": \"...\"}}")),
    };
    let bytes = STANDARD
        .decode(protected.trim())
        .map_err(|e| format!("its protected value is damaged ({e})"))?;
    let plain = protector.unprotect(&bytes)?;
    String::from_utf8(plain).map_err(|_| "its protected value is not text once undone".into())
}

/// Whether `kept` is a protected secret (for `config show`: the secret is then said to be
/// protected, never shown).
pub fn is_protected(kept: &Value) -> bool {
    kept.get(DPAPI_KEY).is_some()
}
