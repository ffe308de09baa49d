//! An optional request log for support: one line per request, never a secret.
//!
//! Lines hold the method, the path without its query (a token request's query carries a
//! signature, a detail query a mobile), status, errcode, attempt and duration. Secrets,
//! tokens and signatures are never handed to the logger; mobiles are masked (`133****3333`)
//! and names are never logged. The file is created owner-only (it names members' masked
//! mobiles and the shop's traffic) and never opened through a symlink.

use crate::error::{Error, Result};
use crate::sys::secure_file;
use crate::sys::time::{iso_time, system_now_ms};
use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::sync::Mutex;

/// How much the log says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    /// Bugs and failures the caller sees.
    Error,
    /// Retries, refusals, recovered saves.
    Warn,
    /// One line per request.
    Info,
    /// Token and cache events too.
    Debug,
}

impl LogLevel {
    /// The level's name in the log and in the configuration.
    pub fn as_str(self) -> &'static str {
        match self {
            LogLevel::Error => "error",
            LogLevel::Warn => "warn",
            LogLevel::Info => "info",
            LogLevel::Debug => "debug",
        }
    }

    /// The level a configuration value names (`warning` too), in any case.
    pub(crate) fn parse(text: &str) -> Option<LogLevel> {
        match text.to_ascii_lowercase().as_str() {
            "error" => Some(LogLevel::Error),
            "warn" | "warning" => Some(LogLevel::Warn),
            "info" => Some(LogLevel::Info),
            "debug" => Some(LogLevel::Debug),
            _ => None,
        }
    }
}

/// The request log of a client (`log_path`, `log_level`).
pub(crate) struct Logger {
    level: LogLevel,
    file: Mutex<File>,
}

impl Logger {
    /// Opens `path` for appending (created 0600 when missing).
    pub fn open(path: &Path, level: LogLevel) -> Result<Logger> {
        let file = secure_file::open_append_private(path).map_err(|e| {
            Error::config(format!(
                "`log_path` {} cannot be opened for appending: {e}",
                path.display()
            ))
        })?;
        Ok(Logger {
            level,
            file: Mutex::new(file),
        })
    }

    /// Whether lines of `level` are written.
    pub fn enabled(&self, level: LogLevel) -> bool {
        level <= self.level
    }

    /// Appends one line: a UTC timestamp, the level, then `text`.
    pub fn write(&self, level: LogLevel, text: &str) {
        if !self.enabled(level) {
            return;
        }
        let line = format!(
            "{} {:<5} {text}\n",
            iso_time(system_now_ms()),
            level.as_str()
        );
        let mut file = self.file.lock().unwrap_or_else(|p| p.into_inner());
        // A full disk must not fail a save: logging is best effort.
        let _ = file.write_all(line.as_bytes());
    }
}

/// `13333333333` → `133****3333`; anything shorter than 7 characters is fully masked.
pub(crate) fn mask_mobile(mobile: &str) -> String {
    let chars: Vec<char> = mobile.chars().collect();
    if chars.len() < 7 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 7))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mobiles_are_masked() {
        assert_eq!(mask_mobile("13333333333"), "133****3333");
        assert_eq!(mask_mobile("123"), "***");
        assert_eq!(mask_mobile("+8613333333333"), "+86*******3333");
    }

    #[test]
    fn levels_filter_lines() {
        let path = std::env::temp_dir().join(format!("jdy-log-{}.log", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let logger = Logger::open(&path, LogLevel::Warn).unwrap();
        logger.write(LogLevel::Info, "hidden");
        logger.write(LogLevel::Error, "shown");
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.contains("error shown") && !text.contains("hidden"),
            "{text}"
        );
        assert!(text.as_bytes()[..24].iter().all(|b| b.is_ascii()) && text.contains('T'));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "the log is owner-only");
        }
        let _ = std::fs::remove_file(&path);
    }
}
