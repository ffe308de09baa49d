//! A request as the gateway sees it, and an answer as it is written.

use serde_json::Value;

pub(crate) const JSON_TYPE: &str = "application/json; charset=utf-8";
pub(crate) const HTML_TYPE: &str = "text/html; charset=utf-8";

/// One parsed HTTP request.
pub(crate) struct Request {
    pub method: String,
    pub path: String,
    /// The raw query string exactly as on the wire (signatures are checked against it).
    pub query: String,
    /// Lower-case names.
    pub headers: Vec<(String, Vec<u8>)>,
    pub body: Vec<u8>,
    pub keep_alive: bool,
}

impl Request {
    /// First occurrence of a header (name lower-case), trimmed; None if absent or not UTF-8.
    /// Unknown upstream: with a repeated header the first one counts.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .and_then(|(_, v)| std::str::from_utf8(v).ok())
            .map(str::trim)
    }

    /// Form-decoded query parameters; the first occurrence of a key wins.
    pub fn params(&self) -> std::collections::HashMap<String, String> {
        let mut params = std::collections::HashMap::new();
        for (key, value) in form_urlencoded::parse(self.query.as_bytes()) {
            params
                .entry(key.into_owned())
                .or_insert_with(|| value.into_owned());
        }
        params
    }
}

/// One answer: JSON, unless a fault asks for something else.
pub(crate) struct Response {
    pub status: u16,
    pub content_type: &'static str,
    /// Headers beyond Date, Content-Type, Content-Length and Connection.
    pub extra_headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
    /// Close the connection after this answer.
    pub close: bool,
}

impl Response {
    pub fn json(status: u16, body: &Value) -> Response {
        Response {
            status,
            content_type: JSON_TYPE,
            extra_headers: Vec::new(),
            body: serde_json::to_vec(body).unwrap_or_else(|_| b"{}".to_vec()),
            close: false,
        }
    }

    pub fn html(status: u16, body: String) -> Response {
        Response {
            status,
            content_type: HTML_TYPE,
            extra_headers: Vec::new(),
            body: body.into_bytes(),
            close: false,
        }
    }

    /// An HTTP-level failure (not a Kingdee answer): the connection closes after it.
    pub fn http_error(status: u16, message: &str) -> Response {
        Response {
            close: true,
            ..Response::json(
                status,
                &serde_json::json!({"status": status, "error": message}),
            )
        }
    }

    pub fn with_header(mut self, name: &'static str, value: String) -> Response {
        self.extra_headers.push((name, value));
        self
    }
}

/// The reason phrase of a status line. Unknown upstream: Kingdee's phrase for its
/// non-standard 519.
pub(crate) fn reason_phrase(status: u16) -> &'static str {
    http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Unknown")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reason_phrases() {
        assert_eq!(reason_phrase(200), "OK");
        assert_eq!(reason_phrase(429), "Too Many Requests");
        assert_eq!(reason_phrase(519), "Unknown");
    }
}
