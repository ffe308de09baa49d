//! Where the command line writes: results on stdout, messages on stderr; with `--json`,
//! everything a program needs on stdout as JSON.

use jdy_member::{batch, envelope, Error, ErrorKind, Saved};
use serde_json::Value;
use std::io::Write;

/// The documented exit codes, ordered by severity (the worst one wins).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Exit {
    Ok = 0,
    Internal = 1,
    Unusable = 3,
    Refused = 4,
    Rejected = 5,
    Transport = 6,
    NotFound = 7,
}

impl Exit {
    pub fn for_kind(kind: ErrorKind) -> Exit {
        match kind {
            ErrorKind::InvalidArgument | ErrorKind::Config => Exit::Unusable,
            ErrorKind::Validation => Exit::Refused,
            ErrorKind::Auth | ErrorKind::Api => Exit::Rejected,
            ErrorKind::RateLimited
            | ErrorKind::Server
            | ErrorKind::Network
            | ErrorKind::Timeout => Exit::Transport,
            ErrorKind::Internal => Exit::Internal,
        }
    }
}

pub struct Output {
    pub json: bool,
}

impl Output {
    pub fn new(json: bool) -> Output {
        Output { json }
    }

    /// A result: pretty JSON for people, an envelope line with `--json`.
    pub fn data(&self, data: &Value) {
        if self.json {
            self.text(&envelope::ok(data.clone()));
        } else {
            let pretty = serde_json::to_string_pretty(data).unwrap_or_else(|_| data.to_string());
            self.text(&pretty);
        }
    }

    /// A saved member; a recovered save is said so.
    pub fn saved(&self, saved: &Saved) {
        if self.json {
            self.text(&batch::saved_envelope(saved).to_text());
            return;
        }
        if saved.recovered {
            self.note("the save's answer was lost; the member was found stored as sent");
        }
        self.data(&saved.data);
    }

    /// A line of text on stdout.
    pub fn line_text(&self, text: &str) {
        self.text(text);
    }

    /// One JSON line on stdout, whatever the mode.
    pub fn line(&self, value: &Value) {
        self.text(&value.to_string());
    }

    fn text(&self, text: &str) {
        let mut stdout = std::io::stdout().lock();
        let _ = writeln!(stdout, "{text}");
        let _ = stdout.flush();
    }

    /// A message for the person at the terminal (stderr).
    pub fn note(&self, text: &str) {
        eprintln!("{text}");
    }

    /// The error that ended the command.
    pub fn error(&self, error: &Error) {
        if self.json {
            self.text(&envelope::err(error));
        } else {
            eprintln!("error: {}", describe(error));
        }
    }

    /// An error of one record of a file or batch, located.
    pub fn record_error(&self, location: &str, error: &Error) {
        if self.json {
            self.line(&serde_json::json!({"at": location, "error": error.to_json()}));
            return;
        }
        if error.fields.is_empty() {
            eprintln!("{location}: {}", describe(error));
        }
        for field in &error.fields {
            eprintln!("{location}: {}: {}", field.field, field.message);
        }
    }
}

/// The message, with Kingdee's own description after it when there is one.
pub fn describe(error: &Error) -> String {
    match (&error.description, error.description_cn.as_deref()) {
        (Some(d), Some(cn)) if d != cn => format!("{} [{d} / {cn}]", error.message),
        (Some(d), _) => format!("{} [{d}]", error.message),
        (None, Some(cn)) => format!("{} [{cn}]", error.message),
        (None, None) => error.message.clone(),
    }
}
