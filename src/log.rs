//! An optional request log for support: one line per request, never a secret.
//!
//! Lines hold the method, the path without its query (a token request's query carries a
//! signature, a detail query a mobile), status, errcode, attempt and duration. Secrets,
//! tokens and signatures are never handed to the logger; mobiles are masked (`133****3333`)
//! and names are never logged.

use crate::config::LogLevel;
use crate::error::{Error, Result};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::sync::Mutex;

pub struct Logger {
    level: LogLevel,
    file: Mutex<File>,
}

impl Logger {
    pub fn open(path: &Path, level: LogLevel) -> Result<Logger> {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| {
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

    pub fn enabled(&self, level: LogLevel) -> bool {
        level <= self.level
    }

    /// Appends one line: a UTC timestamp, the level, then `text`.
    pub fn write(&self, level: LogLevel, text: &str) {
        if !self.enabled(level) {
            return;
        }
        let line = format!("{} {:<5} {text}\n", utc_timestamp(), level.as_str());
        let mut file = self.file.lock().unwrap_or_else(|p| p.into_inner());
        // A full disk must not fail a save: logging is best effort.
        let _ = file.write_all(line.as_bytes());
    }
}

/// `2026-11-29T09:30:00.123Z`.
fn utc_timestamp() -> String {
    let now = time::OffsetDateTime::now_utc();
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        now.year(),
        now.month() as u8,
        now.day(),
        now.hour(),
        now.minute(),
        now.second(),
        now.millisecond()
    )
}

/// `13333333333` → `133****3333`; anything shorter than 7 characters is fully masked.
pub fn mask_mobile(mobile: &str) -> String {
    let chars: Vec<char> = mobile.chars().collect();
    if chars.len() < 7 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 7))
}

thread_local! {
    static LAST_PANIC_LOCATION: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

/// Records where a panic happened so the C boundary can report it; the previous hook
/// still runs. Installed once per process, the first time a client is created.
pub fn install_panic_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let location = info
                .location()
                .map(|l| format!("{}:{}:{}", l.file(), l.line(), l.column()));
            LAST_PANIC_LOCATION.with(|cell| *cell.borrow_mut() = location);
            previous(info);
        }));
    });
}

/// Where the last panic on this thread happened, if the hook saw it.
pub fn take_panic_location() -> Option<String> {
    LAST_PANIC_LOCATION.with(|cell| cell.borrow_mut().take())
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
        let _ = std::fs::remove_file(&path);
    }
}
