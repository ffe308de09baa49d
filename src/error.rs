//! The one error type of the library and its JSON form.
//!
//! Every failure, from a NULL pointer to a Kingdee business refusal, becomes an [`Error`]
//! with a stable [`ErrorKind`]; the C ABI turns it into the `{"ok":false,"error":{...}}`
//! envelope. Messages say what went wrong and what to do, in English; Kingdee's own
//! `description` is passed through untouched.

use serde::Serialize;
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
    /// The name in the envelope, e.g. `"rate_limited"`.
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
    /// The field's name (`label[2]` for an element of a list).
    pub field: String,
    /// What is wrong and what is expected; never the value itself.
    pub message: String,
}

impl FieldError {
    /// A broken field and what is wrong with it.
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

/// A failure, as reported to every caller in every language. Serialised, it is the `error`
/// object of the envelope, its keys in this order (absent ones left out).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Error {
    /// The stable kind.
    pub kind: ErrorKind,
    /// What went wrong and what to do, in English.
    pub message: String,
    /// Whether the same call may succeed if tried again later.
    pub retryable: bool,
    /// Kingdee's numeric `errcode`, when the answer carried one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errcode: Option<i64>,
    /// Kingdee's own `description`, untouched (usually Chinese).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The Chinese text the gateway adds to its own rejections (HTTP 519), untouched.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description_cn: Option<Box<str>>,
    /// The HTTP status of the answer, when there was one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_status: Option<u16>,
    /// For a save: the library could not find out whether it took effect. A failed save
    /// without it certainly did not save the member.
    #[serde(skip_serializing_if = "is_false")]
    pub outcome_unknown: bool,
    /// For `validation`: every broken field.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldError>,
    /// How far the failed request got (not part of the envelope).
    #[serde(skip)]
    pub delivery: Delivery,
    /// How long the server asked to wait before trying again (`Retry-After`), in ms.
    #[serde(skip)]
    pub retry_after_ms: Option<u32>,
}

fn is_false(value: &bool) -> bool {
    !*value
}

impl Error {
    /// An error of `kind`; network, timeout, server and rate-limit errors are retryable.
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
            retry_after_ms: None,
        }
    }

    /// An `invalid_argument` error.
    pub fn invalid_argument(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::InvalidArgument, message)
    }

    /// A `config` error.
    pub fn config(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Config, message)
    }

    /// An `internal` error (a bug).
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

    /// With Kingdee's code and description.
    pub fn with_errcode(mut self, errcode: i64, description: Option<String>) -> Error {
        self.errcode = Some(errcode);
        self.description = description;
        self
    }

    /// With the answer's HTTP status.
    pub fn with_status(mut self, status: u16) -> Error {
        self.http_status = Some(status);
        self
    }

    /// With how far the request got.
    pub fn delivered(mut self, delivery: Delivery) -> Error {
        self.delivery = delivery;
        self
    }

    /// The wait the server asked for, if it asked.
    pub fn retry_after(&self) -> Option<std::time::Duration> {
        self.retry_after_ms
            .map(|ms| std::time::Duration::from_millis(u64::from(ms)))
    }

    /// With `retryable` set.
    pub fn retryable(mut self, retryable: bool) -> Error {
        self.retryable = retryable;
        self
    }

    /// The `error` object of the envelope, as JSON.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
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

/// The library's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
