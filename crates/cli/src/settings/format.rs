//! What the settings file holds: the library's configuration object, its secrets sealed
//! (`sealer`), under a marker that says what the file is:
//!
//! ```json
//! {
//!   "format": "jdy-member settings 1",
//!   "saved_ms": 1796000000000,
//!   "config": {"client_id": "...", "client_secret": {"dpapi": "..."}, "outer_instance_id": "..."}
//! }
//! ```
//!
//! A file that does not read so is never taken for an empty one: the error says what is
//! wrong and that the file was left alone.

use super::sealer::{self, Protector, SECRET_KEYS};
use serde_json::{json, Map, Value};

/// The marker of a settings file this version reads and writes.
pub const FORMAT: &str = "jdy-member settings 1";

/// Why a settings file's text could not be used.
#[derive(Debug, PartialEq, Eq)]
pub enum Unusable {
    /// Not a settings file this version reads: not JSON, no marker, no configuration.
    Damaged(String),
    /// A secret this user cannot undo (another Windows user's or PC's file).
    Secret(String),
}

/// The file's text for `config` (secrets in clear), saved at `saved_ms`.
pub fn to_text(
    config: &Map<String, Value>,
    protector: &dyn Protector,
    saved_ms: i64,
) -> Result<String, String> {
    let mut kept = config.clone();
    for key in SECRET_KEYS {
        if let Some(Value::String(secret)) = config.get(key) {
            let sealed = sealer::seal(protector, secret)
                .map_err(|e| format!("`{key}` could not be protected ({e})"))?;
            kept.insert(key.to_string(), sealed);
        }
    }
    let file = json!({"format": FORMAT, "saved_ms": saved_ms, "config": kept});
    let text = serde_json::to_string_pretty(&file).map_err(|e| e.to_string())?;
    Ok(text + "\n")
}

/// The configuration in the file's `text`, secrets undone.
pub fn from_text(text: &str, protector: &dyn Protector) -> Result<Map<String, Value>, Unusable> {
    let config = kept_config(text)?;
    let mut opened = config.clone();
    for key in SECRET_KEYS {
        if let Some(kept) = config.get(key) {
            let secret = sealer::open(protector, kept)
                .map_err(|why| Unusable::Secret(format!("`{key}` cannot be read: {why}")))?;
            opened.insert(key.to_string(), Value::from(secret));
        }
    }
    Ok(opened)
}

/// The configuration as the file keeps it (secrets sealed): for `config show`, which says
/// which secrets are protected without undoing them.
pub fn kept_config(text: &str) -> Result<Map<String, Value>, Unusable> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let file: Value = serde_json::from_str(text)
        .map_err(|e| Unusable::Damaged(format!("it is not valid JSON ({e})")))?;
    if file.get("format").and_then(Value::as_str) != Some(FORMAT) {
        return Err(Unusable::Damaged(format!(
            "it does not say `\"format\": \"{FORMAT}\"`, so it is no settings file of this version"
        )));
    }
    match file.get("config") {
        Some(Value::Object(config)) => Ok(config.clone()),
        _ => Err(Unusable::Damaged(
            "it has no `config` object (the account's configuration)".into(),
        )),
    }
}
