//! Where the page keeps what it was given: a folder of this user's (`--data-dir`, else
//! `jdy-member/imports` under the local application data folder: `%LOCALAPPDATA%` on
//! Windows, `$XDG_DATA_HOME` or `~/.local/share` on Linux), one folder per uploaded file
//! with its journal, its verdicts and its rejects, so that an import survives a restart.
//! Member lists are personal data: on Unix the folder is readable by its owner only.

use jdy_member::Error;
use std::path::{Path, PathBuf};

/// The folder of the page's jobs, created when missing.
pub fn jobs_folder(chosen: Option<&Path>) -> Result<PathBuf, Error> {
    let folder = match chosen {
        Some(folder) => folder.to_path_buf(),
        None => local_data()
            .ok_or_else(|| {
                Error::config(
                    "this user has no local application data folder (no HOME or LOCALAPPDATA); give the page one with --data-dir DIR",
                )
            })?
            .join("jdy-member")
            .join("imports"),
    };
    create_private(&folder).map_err(|e| {
        Error::config(format!(
            "the page's folder {} cannot be created ({e}); give another with --data-dir DIR",
            folder.display()
        ))
    })?;
    Ok(folder)
}

#[cfg(windows)]
fn local_data() -> Option<PathBuf> {
    std::env::var_os("LOCALAPPDATA").map(PathBuf::from)
}

#[cfg(not(windows))]
fn local_data() -> Option<PathBuf> {
    dirs::data_local_dir()
}

/// Creates `folder` (and its parents); on Unix, `folder` itself is made owner-only.
pub fn create_private(folder: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(folder)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(folder, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}
