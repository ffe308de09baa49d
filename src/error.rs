//! The one error type of the library and its JSON form.
//!
//! Every failure, from a NULL pointer to a Kingdee business refusal, becomes an [`Error`]
//! with a stable [`ErrorKind`]; the C ABI turns it into the `{"ok":false,"error":{...}}`
//! envelope. Messages say what went wrong and what to do, in English; Kingdee's own
//! `description` is passed through untouched.

use serde::Serialize;
use serde_json::{Map, Value};
use std::fmt;

/// What kind of failure this is. The names are part of the C ABI contract: never renamed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// A NULL pointer, invalid UTF-8, text that is not JSON, or JSON of the wrong shape.
    InvalidArgument,
    /// The member or query broke a field rule; `fields` lists every broken field.
    Validation,
    /// The client configuration is wrong or incomplete.
    Config,
    /// The gateway refused the credentials, the signature, the token or the app secret.
    Auth,
    /// Kingdee refused the call with a business `errcode`.
    Api,
    /// Too many requests (HTTP 429).
    RateLimited,
    /// The server failed (HTTP 5xx, gateway 5000/5003-5007, an unreadable answer).
    Server,
    /// The connection could not be made or broke.
    Network,
    /// A timeout expired.
    Timeout,
    /// A bug in this library (a caught panic, an impossible state).
    Internal,
}

impl ErrorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::InvalidArgument => "invalid_argument",
            ErrorKind::Validation => "validation",
            ErrorKind::Config => "config",
            ErrorKind::Auth => "auth",
            ErrorKind::Api => "api",
            ErrorKind::RateLimited => "rate_limited",
            ErrorKind::Server => "server",
            ErrorKind::Network => "network",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Internal => "internal",
        }
    }
}

/// One broken field of a member or query.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> FieldError {
        FieldError {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Whether a failed request may have reached the server: what decides if it is safe to
/// send again. Not part of the envelope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Delivery {
    /// Certainly not acted on: failed before sending (refused, DNS, connect), or never sent.
    #[default]
    NotSent,
    /// Sent, or partly sent, and no answer arrived: the server may have acted on it.
    Unknown,
    /// The server answered.
    Answered,
}

/// A failure, as reported to every caller in every language.
#[derive(Debug, Clone, PartialEq)]
pub struct Error {
    pub kind: ErrorKind,
    pub message: String,
    /// Whether the same call may succeed if tried again later.
    pub retryable: bool,
    /// Kingdee's numeric `errcode`, when the answer carried one.
    pub errcode: Option<i64>,
    /// Kingdee's own `description`, untouched (usually Chinese).
    pub description: Option<String>,
    /// The Chinese text the gateway adds to its own rejections (HTTP 519), untouched.
    pub description_cn: Option<String>,
    /// For `validation`: every broken field.
    pub fields: Vec<FieldError>,
    /// The HTTP status of the answer, when there was one.
    pub http_status: Option<u16>,
    /// For a save: the library could not find out whether it took effect.
    pub outcome_unknown: bool,
    /// How far the failed request got.
    pub delivery: Delivery,
}

impl Error {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        let retryable = matches!(
            kind,
            ErrorKind::RateLimited | ErrorKind::Server | ErrorKind::Network | ErrorKind::Timeout
        );
        Error {
            kind,
            message: message.into(),
            retryable,
            errcode: None,
            description: None,
            description_cn: None,
            fields: Vec::new(),
            http_status: None,
            outcome_unknown: false,
            delivery: Delivery::NotSent,
        }
    }

    pub fn invalid_argument(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::InvalidArgument, message)
    }

    pub fn config(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Config, message)
    }

    pub fn internal(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Internal, message)
    }

    /// A validation error naming every broken field (`what` is "member", "query", ...).
    pub fn validation(what: &str, fields: Vec<FieldError>) -> Error {
        let names: Vec<&str> = fields.iter().map(|f| f.field.as_str()).collect();
        let message = match fields.len() {
            1 => format!(
                "the {what} has 1 invalid field ({}): {}; correct it and call again",
                names[0], fields[0].message
            ),
            n => format!(
                "the {what} has {n} invalid fields ({}); see `fields` for each one, correct them and call again",
                names.join(", ")
            ),
        };
        Error {
            fields,
            ..Error::new(ErrorKind::Validation, message)
        }
    }

    pub fn with_errcode(mut self, errcode: i64, description: Option<String>) -> Error {
        self.errcode = Some(errcode);
        self.description = description;
        self
    }

    pub fn with_status(mut self, status: u16) -> Error {
        self.http_status = Some(status);
        self
    }

    pub fn delivered(mut self, delivery: Delivery) -> Error {
        self.delivery = delivery;
        self
    }

    pub fn retryable(mut self, retryable: bool) -> Error {
        self.retryable = retryable;
        self
    }

    /// The `error` object of the envelope.
    pub fn to_json(&self) -> Value {
        let mut error = Map::new();
        error.insert("kind".into(), Value::from(self.kind.as_str()));
        error.insert("message".into(), Value::from(self.message.as_str()));
        error.insert("retryable".into(), Value::from(self.retryable));
        if let Some(code) = self.errcode {
            error.insert("errcode".into(), Value::from(code));
        }
        if let Some(description) = &self.description {
            error.insert("description".into(), Value::from(description.as_str()));
        }
        if let Some(description_cn) = &self.description_cn {
            error.insert(
                "description_cn".into(),
                Value::from(description_cn.as_str()),
            );
        }
        if let Some(status) = self.http_status {
            error.insert("http_status".into(), Value::from(status));
        }
        if self.outcome_unknown {
            error.insert("outcome_unknown".into(), Value::from(true));
        }
        if !self.fields.is_empty() {
            let fields = self
                .fields
                .iter()
                .map(|f| serde_json::json!({"field": f.field, "message": f.message}))
                .collect();
            error.insert("fields".into(), Value::Array(fields));
        }
        Value::Object(error)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind.as_str(), self.message)?;
        if let Some(code) = self.errcode {
            write!(f, " (errcode {code}")?;
            if let Some(d) = &self.description {
                write!(f, ": {d}")?;
            }
            write!(f, ")")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

pub type Result<T, E = Error> = std::result::Result<T, E>;
