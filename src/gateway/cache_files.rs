//! Where the per-account files of a machine live: the token cache (by default one file per
//! account in the user's cache folder, named by a digest so that no id or secret appears in
//! a file name) and, beside it, the shared request budget.

use crate::config::{Config, TokenCachePath};
use crate::sys::secure_file;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// The folder of the per-user caches (token and request budget), when the OS has one.
pub(crate) fn per_user_folder() -> Option<PathBuf> {
    cache_root().map(|dir| dir.join("jdy-member"))
}

/// %LOCALAPPDATA% (FOLDERID_LocalAppData, set for every logon since Vista).
#[cfg(windows)]
fn cache_root() -> Option<PathBuf> {
    std::env::var_os("LOCALAPPDATA")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
}

/// The platform's cache folder: XDG_CACHE_HOME or ~/.cache, ~/Library/Caches.
#[cfg(not(windows))]
fn cache_root() -> Option<PathBuf> {
    dirs::cache_dir()
}

/// The file name part for `account` in the per-user folder: a digest, so that no id or
/// secret appears in a file name.
pub(crate) fn account_file_stem(account: &str) -> String {
    let digest = Sha256::digest(account.as_bytes());
    base16ct::lower::encode_string(&digest[..10])
}

/// Where `config`'s token cache file is, and whether it may be used: a folder others can
/// write to is refused (the reason goes to the log).
pub(crate) fn token_cache_file(config: &Config) -> std::result::Result<Option<PathBuf>, String> {
    let path = match &config.token_cache {
        TokenCachePath::Off => return Ok(None),
        TokenCachePath::File(path) => path.clone(),
        TokenCachePath::PerUser => {
            let Some(folder) = per_user_folder() else {
                return Err("this system has no per-user cache folder".into());
            };
            secure_file::create_private_folder(&folder).map_err(|e| {
                format!(
                    "the cache folder {} cannot be created ({e})",
                    folder.display()
                )
            })?;
            folder.join(format!(
                "{}.token.json",
                account_file_stem(&config.account_key())
            ))
        }
    };
    match secure_file::unsafe_folder(&path) {
        Some(why) => Err(format!(
            "the token cache {} is not used: {why}",
            path.display()
        )),
        None => Ok(Some(path)),
    }
}

/// The request budget's file beside the token cache `token_file` (`<token file>.budget`).
pub(crate) fn budget_file(token_file: &Path) -> PathBuf {
    let mut budget_path = token_file.as_os_str().to_owned();
    budget_path.push(".budget");
    PathBuf::from(budget_path)
}
