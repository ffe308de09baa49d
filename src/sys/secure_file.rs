//! Files that hold secrets or personal data (the token cache, the request budget, the log):
//! created owner-only from the first byte, never through a symlink, replaced atomically, and
//! only in folders nobody else can write to.
//!
//! Whoever can write to a folder can replace what is in it, or plant a symlink that makes the
//! library overwrite another file. So a cache folder writable by others is not used at all,
//! new files are opened with `O_EXCL`/`O_NOFOLLOW` (Windows: `CREATE_NEW` and no reparse
//! points), and a file is replaced through a temporary file with a random name.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// Temporary files older than this are leftovers of a killed process.
const STALE_TEMP: Duration = Duration::from_secs(300);

#[cfg(unix)]
fn private(options: &mut OpenOptions) -> &mut OpenOptions {
    use std::os::unix::fs::OpenOptionsExt;
    options.mode(0o600).custom_flags(libc::O_NOFOLLOW)
}

#[cfg(windows)]
fn private(options: &mut OpenOptions) -> &mut OpenOptions {
    use std::os::windows::fs::OpenOptionsExt;
    // FILE_FLAG_OPEN_REPARSE_POINT: open a symlink itself instead of following it.
    options.custom_flags(0x0020_0000)
}

#[cfg(not(any(unix, windows)))]
fn private(options: &mut OpenOptions) -> &mut OpenOptions {
    options
}

/// Opens `path` for reading and writing, creating it owner-only when missing; a symlink at
/// `path` is refused.
pub fn open_private(path: &Path) -> io::Result<File> {
    private(
        OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false),
    )
    .open(path)
}

/// Opens `path` for appending, creating it owner-only when missing; a symlink is refused.
pub fn open_append_private(path: &Path) -> io::Result<File> {
    private(OpenOptions::new().append(true).create(true)).open(path)
}

/// Creates a new file owner-only; fails if anything (a symlink too) is at `path` already.
pub fn create_new_private(path: &Path) -> io::Result<File> {
    private(OpenOptions::new().write(true).create_new(true)).open(path)
}

/// Why the folder of `path` must not hold a secret, if it must not: it can be written by
/// others, or belongs to another user.
pub fn unsafe_folder(path: &Path) -> Option<String> {
    let folder = folder_of(path);
    let metadata = match std::fs::metadata(&folder) {
        Ok(metadata) => metadata,
        Err(e) => {
            return Some(format!(
                "its folder {} cannot be read ({e})",
                folder.display()
            ))
        }
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        // SAFETY: geteuid has no preconditions and cannot fail.
        let me = unsafe { libc::geteuid() };
        if metadata.uid() != me && metadata.uid() != 0 {
            return Some(format!(
                "its folder {} belongs to another user",
                folder.display()
            ));
        }
        if metadata.mode() & 0o022 != 0 {
            return Some(format!(
                "its folder {} can be written by other users (mode {:o}); use a folder only this user can write to",
                folder.display(),
                metadata.mode() & 0o7777
            ));
        }
    }
    #[cfg(not(unix))]
    let _ = metadata;
    None
}

/// Creates `folder` (and its parents) owner-only, for the per-user cache.
pub fn create_private_folder(folder: &Path) -> io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(folder)
}

fn folder_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".into())
}

/// Replaces `path` with `content`: written to a new owner-only file with a random name
/// beside it, synced, then renamed over `path` (a symlink at `path` is replaced, not
/// followed). Leftover temporary files of killed processes are removed on the way.
pub fn write_atomically(path: &Path, content: &[u8]) -> io::Result<()> {
    let folder = folder_of(path);
    let prefix = format!(".{}.", file_name(path));
    remove_stale_temps(&folder, &prefix);
    let temp = folder.join(format!("{prefix}{:016x}.tmp", fastrand::u64(..)));
    let written = create_new_private(&temp)
        .and_then(|mut file| {
            file.write_all(content)?;
            file.sync_all()
        })
        .and_then(|()| std::fs::rename(&temp, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    written
}

fn remove_stale_temps(folder: &Path, prefix: &str) {
    let Ok(entries) = std::fs::read_dir(folder) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !(name.starts_with(prefix) && name.ends_with(".tmp")) {
            continue;
        }
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| SystemTime::now().duration_since(t).ok())
            .is_some_and(|age| age > STALE_TEMP);
        if old {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("jdy-secure-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        create_private_folder(&dir).unwrap();
        dir
    }

    #[cfg(unix)]
    fn mode(path: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        std::fs::symlink_metadata(path)
            .unwrap()
            .permissions()
            .mode()
            & 0o777
    }

    #[test]
    #[cfg(unix)]
    fn files_are_owner_only_and_symlinks_are_not_followed() {
        let dir = folder("links");
        let victim = dir.join("victim.txt");
        std::fs::write(&victim, "precious").unwrap();
        let path = dir.join("cache.json");
        std::os::unix::fs::symlink(&victim, &path).unwrap();
        assert!(open_private(&path).is_err(), "a symlink is refused");
        assert!(open_append_private(&path).is_err());
        write_atomically(&path, b"new").unwrap();
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
        assert_eq!(mode(&path), 0o600);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    #[cfg(unix)]
    fn stale_temp_files_are_never_reused_and_are_cleaned() {
        let dir = folder("stale");
        let path = dir.join("token.json");
        let stale = dir.join(".token.json.0000000000000000.tmp");
        std::fs::write(&stale, "old").unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&stale, std::fs::Permissions::from_mode(0o644)).unwrap();
        let old = SystemTime::now() - Duration::from_secs(3600);
        File::options()
            .write(true)
            .open(&stale)
            .unwrap()
            .set_modified(old)
            .unwrap();
        write_atomically(&path, b"fresh").unwrap();
        assert!(!stale.exists(), "the stale temporary file is removed");
        assert_eq!(mode(&path), 0o600, "never the stale file's 0644");
        let leftovers: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(leftovers.len(), 1, "{leftovers:?}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    #[cfg(unix)]
    fn folders_writable_by_others_are_unsafe() {
        use std::os::unix::fs::PermissionsExt;
        let dir = folder("shared");
        assert_eq!(unsafe_folder(&dir.join("x")), None);
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
        let why = unsafe_folder(&dir.join("x")).unwrap();
        assert!(why.contains("can be written by other users"), "{why}");
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o770)).unwrap();
        assert!(
            unsafe_folder(&dir.join("x")).is_some(),
            "group-writable too"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
