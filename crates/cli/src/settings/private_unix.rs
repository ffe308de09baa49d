//! The settings file readable by its owner only, on Unix: its folder 0700, the file 0600
//! from its first byte (a new file created exclusively, never through a symlink, then
//! renamed over the old one, so a reader never sees half a file), and a file that others
//! could read or that is someone else's is not read at all.

use super::shared_files;
use std::fs::{DirBuilder, File, OpenOptions};
use std::io::{ErrorKind, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

fn me() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

/// Creates `folder` (and its parents) 0700, or makes sure the one there is a folder of this
/// user's that nobody else can enter.
pub fn ensure_folder(folder: &Path) -> Result<(), String> {
    let shown = folder.display();
    let metadata = match std::fs::symlink_metadata(folder) {
        Err(e) if e.kind() == ErrorKind::NotFound => {
            return DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(folder)
                .map_err(|e| format!("the folder {shown} cannot be created ({e})"));
        }
        Err(e) => return Err(format!("the folder {shown} cannot be read ({e})")),
        Ok(metadata) => metadata,
    };
    if metadata.file_type().is_symlink() || !metadata.is_dir() {
        return Err(format!(
            "{shown} is not a folder (a symbolic link or a file); remove it and try again"
        ));
    }
    if metadata.uid() != me() {
        return Err(format!("the folder {shown} belongs to another user"));
    }
    if metadata.mode() & 0o077 != 0 {
        std::fs::set_permissions(folder, std::fs::Permissions::from_mode(0o700))
            .map_err(|e| format!("the folder {shown} cannot be made private ({e})"))?;
    }
    Ok(())
}

/// Replaces `path` with `bytes`: a new 0600 file with a random name beside it, created
/// exclusively and never through a symlink, synced, then renamed over `path`.
pub fn write_replacing(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let temp = shared_files::temp_beside(path)?;
    let written = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW)
        .open(&temp)
        .and_then(|mut file| {
            file.write_all(bytes)?;
            file.sync_all()
        })
        .and_then(|()| std::fs::rename(&temp, path));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&temp);
        return Err(format!("{} cannot be written ({e})", path.display()));
    }
    // The rename itself survives a power cut once the folder is synced.
    if let Ok(dir) = File::open(path.parent().unwrap_or(Path::new("."))) {
        let _ = dir.sync_all();
    }
    Ok(())
}

/// The bytes of `path`, a regular file of this user's that nobody else can read; None when
/// there is no file.
pub fn read_owned(path: &Path) -> Result<Option<Vec<u8>>, String> {
    let shown = path.display();
    let file = match OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
    {
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) => {
            return Err(format!(
                "{shown} is a symbolic link; a settings file is read only as a file of its own"
            ))
        }
        Err(e) => return Err(format!("{shown} cannot be read ({e})")),
        Ok(file) => file,
    };
    let metadata = file
        .metadata()
        .map_err(|e| format!("{shown} cannot be read ({e})"))?;
    if !metadata.is_file() {
        return Err(format!("{shown} is not a file"));
    }
    if metadata.uid() != me() {
        return Err(format!(
            "{shown} belongs to another user; this user's settings are its own"
        ));
    }
    if metadata.mode() & 0o077 != 0 {
        return Err(format!(
            "{shown} can be read by other users (mode {:o}); make it private with `chmod 600 {shown}`",
            metadata.mode() & 0o777
        ));
    }
    shared_files::read_whole(file, path).map(Some)
}
