//! An app-token shared by the processes of one machine through a file.
//!
//! Tills restart many times a day and often run several processes; the token endpoint
//! allows about two calls a minute. With `token_cache_path`, processes take an exclusive
//! lock on `<path>.lock`, reuse the token in the file when it is fresh, and otherwise fetch
//! one and write it for the others. The file is written atomically and owner-only (see
//! `secure_file`), and carries an HMAC under the client secret: a corrupt file, or one
//! written for another client or app, is ignored.

use crate::kingdee::signing::base64_hex_hmac;
use crate::sys::file_lock::FileLock;
use crate::sys::secure_file;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

const FORMAT: &str = "jdy-member app-token cache";

/// Which app a token belongs to.
pub(crate) struct Owner<'a> {
    pub client_id: &'a str,
    pub client_secret: &'a str,
    pub app_key: &'a str,
    pub domain: &'a str,
}

/// A token read from, or for, the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FileToken {
    pub value: String,
    /// Epoch ms by the gateway's clock.
    pub expires_ms: u64,
}

/// The token cache file of one account, and its lock file.
pub(crate) struct TokenFile {
    path: PathBuf,
    lock_path: PathBuf,
}

impl TokenFile {
    /// The cache at `path`, its lock at `path.lock`.
    pub fn new(path: &Path) -> TokenFile {
        let mut lock_path = path.as_os_str().to_owned();
        lock_path.push(".lock");
        TokenFile {
            path: path.to_path_buf(),
            lock_path: lock_path.into(),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Blocks until this process holds the lock shared by every process using the file.
    pub fn lock(&self) -> std::io::Result<FileLock> {
        FileLock::acquire(&self.lock_path)
    }

    fn mac(owner: &Owner<'_>, token: &FileToken) -> String {
        let text = format!(
            "{FORMAT}\n{}\n{}\n{}\n{}\n{}",
            owner.client_id, owner.app_key, owner.domain, token.value, token.expires_ms
        );
        base64_hex_hmac(owner.client_secret, &text)
    }

    /// The token in the file, if the file is intact and was written for `owner`.
    pub fn read(&self, owner: &Owner<'_>) -> Option<FileToken> {
        let text = std::fs::read_to_string(&self.path).ok()?;
        let v: Value = serde_json::from_str(&text).ok()?;
        if v.get("format")?.as_str()? != FORMAT
            || v.get("client_id")?.as_str()? != owner.client_id
            || v.get("app_key")?.as_str()? != owner.app_key
            || v.get("domain")?.as_str()? != owner.domain
        {
            return None;
        }
        let token = FileToken {
            value: v.get("app_token")?.as_str()?.to_string(),
            expires_ms: v.get("expires")?.as_u64()?,
        };
        let mac = v.get("mac")?.as_str()?;
        (mac == Self::mac(owner, &token)).then_some(token)
    }

    /// Replaces the file atomically.
    pub fn write(&self, owner: &Owner<'_>, token: &FileToken) -> std::io::Result<()> {
        let content = json!({
            "format": FORMAT,
            "client_id": owner.client_id,
            "app_key": owner.app_key,
            "domain": owner.domain,
            "app_token": token.value,
            "expires": token.expires_ms,
            "mac": Self::mac(owner, token),
        });
        secure_file::write_atomically(&self.path, content.to_string().as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owner() -> Owner<'static> {
        Owner {
            client_id: "c",
            client_secret: "fake-secret",
            app_key: "k",
            domain: "https://tf.jdy.com",
        }
    }

    fn temp(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("jdy-token-{}-{name}", std::process::id()));
        secure_file::create_private_folder(&dir).unwrap();
        dir.join("token.json")
    }

    #[test]
    fn round_trip_and_owner_only_permissions() {
        let path = temp("round");
        let file = TokenFile::new(&path);
        let token = FileToken {
            value: "t".into(),
            expires_ms: 42,
        };
        file.write(&owner(), &token).unwrap();
        assert_eq!(file.read(&owner()), Some(token));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let _ = std::fs::remove_file(&path);
    }

    #[test]
    fn corrupt_foreign_and_tampered_files_are_ignored() {
        let path = temp("bad");
        let file = TokenFile::new(&path);
        std::fs::write(&path, "not json").unwrap();
        assert_eq!(file.read(&owner()), None);
        let token = FileToken {
            value: "t".into(),
            expires_ms: 42,
        };
        file.write(&owner(), &token).unwrap();
        let other = Owner {
            app_key: "other",
            ..owner()
        };
        assert_eq!(file.read(&other), None, "written for another app");
        let wrong_secret = Owner {
            client_secret: "another-secret",
            ..owner()
        };
        assert_eq!(file.read(&wrong_secret), None, "MAC under another secret");
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, text.replace("\"expires\":42", "\"expires\":4200000")).unwrap();
        assert_eq!(file.read(&owner()), None, "tampered expiry");
        let _ = std::fs::remove_file(&path);
    }
}
