//! The per-user settings file: the account that `jdy-member ui` asks for on a first run
//! (no `--config`, no `JDY_*` environment, no settings yet), checked with the library's
//! doctor and saved here, where every later command finds it by itself.
//!
//! Where: `%APPDATA%\jdy-member\settings.json` on Windows (the roaming application data:
//! settings belong to the user and follow a roaming profile, and DPAPI's keys roam with it),
//! `$XDG_CONFIG_HOME/jdy-member/settings.json` or `~/.config/jdy-member/settings.json` on
//! Linux. What: the library's configuration object (`format`), its secrets sealed on Windows
//! with DPAPI (`sealer`). How: readable by its owner only, written to a new file and renamed
//! over the old (`private_unix`, `windows`). A file that cannot be used is an error that says
//! why, never overwritten silently: the page replaces it only when asked, and keeps the old
//! one beside it (`set_aside`).

mod format;
#[cfg(unix)]
mod private_unix;
mod sealer;
mod shared_files;
#[cfg(test)]
mod tests;
#[cfg(windows)]
mod windows;

pub use format::Unusable;
pub use sealer::{is_protected, Protector, SECRET_KEYS};

#[cfg(unix)]
use private_unix as private;
#[cfg(windows)]
use windows as private;

use jdy_member::Error;
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};

/// The settings file's name in its folder.
pub const FILE_NAME: &str = "settings.json";

/// This user's settings file, where the platform has a folder for it.
pub fn per_user_path() -> Option<PathBuf> {
    settings_root().map(|root| root.join("jdy-member").join(FILE_NAME))
}

/// %APPDATA% (FOLDERID_RoamingAppData), read directly: `dirs` would import combase.dll,
/// which Windows 7 lacks.
#[cfg(windows)]
fn settings_root() -> Option<PathBuf> {
    std::env::var_os("APPDATA")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
}

/// $XDG_CONFIG_HOME or ~/.config (~/Library/Application Support on macOS).
#[cfg(not(windows))]
fn settings_root() -> Option<PathBuf> {
    dirs::config_dir()
}

/// A settings file and the protection its secrets get.
pub struct Store {
    pub path: PathBuf,
    protector: Box<dyn Protector>,
}

impl Store {
    /// This user's settings file, protected as the platform allows.
    pub fn per_user() -> Result<Store, Error> {
        let path = per_user_path().ok_or_else(|| {
            Error::config(
                "this user has no folder for settings (no HOME, XDG_CONFIG_HOME or APPDATA); pass --config FILE or set the JDY_* variables",
            )
        })?;
        Ok(Store::at(path))
    }

    /// The settings file at `path`, protected as the platform allows.
    pub fn at(path: PathBuf) -> Store {
        Store::new(path, platform_protector())
    }

    /// The settings file at `path`, its secrets protected by `protector`.
    pub fn new(path: PathBuf, protector: Box<dyn Protector>) -> Store {
        Store { path, protector }
    }

    /// Whether there is anything at the settings file's path.
    pub fn exists(&self) -> bool {
        std::fs::symlink_metadata(&self.path).is_ok()
    }

    /// The file's bytes; None when there is no file.
    fn read(&self) -> Result<Option<String>, Error> {
        let bytes = read_private(&self.path).map_err(|why| self.unusable(&why))?;
        bytes
            .map(|bytes| {
                String::from_utf8(bytes).map_err(|_| self.unusable("it is not UTF-8 text"))
            })
            .transpose()
    }

    /// The configuration saved, its secrets undone; None when there is no file.
    pub fn load(&self) -> Result<Option<Map<String, Value>>, Error> {
        let Some(text) = self.read()? else {
            return Ok(None);
        };
        match format::from_text(&text, self.protector.as_ref()) {
            Ok(config) => Ok(Some(config)),
            Err(Unusable::Damaged(why) | Unusable::Secret(why)) => Err(self.unusable(&why)),
        }
    }

    /// The configuration as the file keeps it, secrets still sealed (for `config show`).
    pub fn load_kept(&self) -> Result<Option<Map<String, Value>>, Error> {
        let Some(text) = self.read()? else {
            return Ok(None);
        };
        format::kept_config(&text)
            .map(Some)
            .map_err(|(Unusable::Damaged(why) | Unusable::Secret(why))| self.unusable(&why))
    }

    /// Saves `config` (secrets in clear; sealed here) in place of what the file held.
    pub fn save(&self, config: &Map<String, Value>) -> Result<(), Error> {
        let cannot = |why: String| {
            Error::config(format!(
                "the settings could not be saved to {}: {why}",
                self.path.display()
            ))
        };
        let text = format::to_text(config, self.protector.as_ref(), jdy_member::system_now_ms())
            .map_err(cannot)?;
        let folder = self.path.parent().unwrap_or(Path::new("."));
        save_private(folder, &self.path, text.as_bytes()).map_err(cannot)
    }

    /// Moves an unusable settings file aside (`settings.json.damaged`, replacing an older
    /// one), before the page saves new settings in its place; returns where it went.
    pub fn set_aside(&self) -> Result<Option<PathBuf>, Error> {
        if !self.exists() {
            return Ok(None);
        }
        let aside = self.path.with_extension("json.damaged");
        std::fs::rename(&self.path, &aside).map_err(|e| {
            Error::config(format!(
                "the settings file {} cannot be moved aside ({e}); delete it and try again",
                self.path.display()
            ))
        })?;
        Ok(Some(aside))
    }

    fn unusable(&self, why: &str) -> Error {
        Error::config(format!(
            "the settings file {} cannot be used: {why}. It was left as it is: correct it, or enter the account again in `jdy-member ui` (which keeps the old file beside the new one), or pass --config FILE",
            self.path.display()
        ))
    }
}

#[cfg(any(unix, windows))]
fn read_private(path: &Path) -> Result<Option<Vec<u8>>, String> {
    private::read_owned(path)
}

#[cfg(any(unix, windows))]
fn save_private(folder: &Path, path: &Path, bytes: &[u8]) -> Result<(), String> {
    private::ensure_folder(folder)?;
    private::write_replacing(path, bytes)
}

#[cfg(not(any(unix, windows)))]
fn read_private(_path: &Path) -> Result<Option<Vec<u8>>, String> {
    Err("settings files are kept on Windows and Unix only".into())
}

#[cfg(not(any(unix, windows)))]
fn save_private(_folder: &Path, _path: &Path, _bytes: &[u8]) -> Result<(), String> {
    Err("settings files are kept on Windows and Unix only".into())
}

/// `config` with every secret replaced by words that say it is set (and, where `kept` says
/// so, protected), and a proxy's password hidden: what `config show` and the page may show.
pub fn masked(
    config: &Map<String, Value>,
    kept: Option<&Map<String, Value>>,
) -> Map<String, Value> {
    let mut shown = config.clone();
    for key in SECRET_KEYS {
        if shown.contains_key(key) {
            let protected = kept.and_then(|k| k.get(key)).is_some_and(is_protected);
            let words = if protected {
                "(hidden; protected with DPAPI for this Windows user)"
            } else {
                "(hidden)"
            };
            shown.insert(key.to_string(), Value::from(words));
        }
    }
    if let Some(Value::String(proxy)) = config.get("proxy") {
        shown.insert("proxy".into(), Value::from(without_password(proxy)));
    }
    shown
}

/// A proxy URL with its password (if any) replaced: `socks5://user:***@host:1080`.
fn without_password(proxy: &str) -> String {
    let Some((scheme, rest)) = proxy.split_once("://") else {
        return proxy.to_string();
    };
    match rest.split_once('@') {
        Some((user_info, host)) => match user_info.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
            None => proxy.to_string(),
        },
        None => proxy.to_string(),
    }
}

/// The protection of this platform: DPAPI on Windows, none elsewhere.
fn platform_protector() -> Box<dyn Protector> {
    #[cfg(windows)]
    {
        Box::new(windows::Dpapi)
    }
    #[cfg(not(windows))]
    {
        Box::new(sealer::AsGiven)
    }
}
