//! One module per `jdy-member` command, each with a `run` that takes the parsed arguments
//! and returns the exit code; and the one way they read JSON input from a file or stdin.

pub mod call;
pub mod config;
pub mod doctor;
pub mod get;
pub mod import;
pub mod list;
pub mod outbox;
pub mod sandbox;
pub mod save;
pub mod ui;
pub mod validate;

use jdy_member::Error;
use std::io::Read;

/// The text of `file`, or of standard input for `-`.
pub fn read_input(file: &str) -> Result<String, Error> {
    let mut text = String::new();
    let read = if file == "-" {
        std::io::stdin().read_to_string(&mut text).map(|_| ())
    } else {
        std::fs::read_to_string(file).map(|t| text = t)
    };
    read.map_err(|e| Error::invalid_argument(format!("{file} cannot be read as UTF-8 text: {e}")))?;
    Ok(text)
}
