//! What the Unix and the Windows keeping of the settings file share once the file is opened
//! as each platform requires.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

/// The most a settings file may hold: a few hundred bytes of configuration, with room.
const MAX_BYTES: u64 = 1024 * 1024;

/// The name of the new file a settings file is written to before it is renamed over the
/// old one: beside it (a rename across folders is not atomic) and random (`.NAME.HEX.tmp`),
/// so a file placed at a guessable name is never written through.
pub fn temp_beside(path: &Path) -> Result<PathBuf, String> {
    let folder = path.parent().unwrap_or(Path::new("."));
    let mut random = [0u8; 8];
    getrandom::getrandom(&mut random).map_err(|e| format!("no random name ({e})"))?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
    Ok(folder.join(format!(
        ".{}.{:016x}.tmp",
        name.unwrap_or_default(),
        u64::from_le_bytes(random)
    )))
}

/// The whole of `file`, opened from `path`, refused when it is larger than a settings file
/// can be.
pub fn read_whole(file: File, path: &Path) -> Result<Vec<u8>, String> {
    let shown = path.display();
    let mut bytes = Vec::new();
    file.take(MAX_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("{shown} cannot be read ({e})"))?;
    if bytes.len() as u64 > MAX_BYTES {
        return Err(format!("{shown} is larger than a settings file can be"));
    }
    Ok(bytes)
}
