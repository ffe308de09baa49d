//! The HTTP the page's server speaks, over `tiny_http`: what a request asks (method, path,
//! query, headers), and the responses: JSON, an error in words, a file to download, the
//! page. Every response says: never cache, never sniff, never frame, send no referrer.

use serde_json::{json, Value};
use std::io::{Cursor, Read};
use tiny_http::{Header, Request, Response, ResponseBox};

/// A request's method, path and query, taken apart.
pub struct Asking {
    pub method: String,
    pub path: String,
    query: Vec<(String, String)>,
}

impl Asking {
    pub fn of(request: &Request) -> Asking {
        let url = request.url();
        let (path, query) = url.split_once('?').unwrap_or((url, ""));
        Asking {
            method: request.method().as_str().to_ascii_uppercase(),
            path: path.to_string(),
            query: form_urlencoded::parse(query.as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        }
    }

    /// The query's value of `key`.
    pub fn query(&self, key: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The path's parts: `/api/jobs/ab12` → `["api", "jobs", "ab12"]`.
    pub fn parts(&self) -> Vec<&str> {
        self.path.split('/').filter(|p| !p.is_empty()).collect()
    }
}

/// The request's body, at most `limit` bytes; an error response when it is longer or cannot
/// be read.
pub fn read_body(request: &mut Request, limit: usize) -> Result<Vec<u8>, ResponseBox> {
    if request.body_length().is_some_and(|n| n > limit) {
        return Err(error_response(
            413,
            &format!("the request is larger than {limit} bytes"),
        ));
    }
    let mut body = Vec::new();
    let read = request
        .as_reader()
        .take(limit as u64 + 1)
        .read_to_end(&mut body);
    match read {
        Ok(_) if body.len() <= limit => Ok(body),
        Ok(_) => Err(error_response(
            413,
            &format!("the request is larger than {limit} bytes"),
        )),
        Err(e) => Err(error_response(
            400,
            &format!("the request could not be read: {e}"),
        )),
    }
}

/// The request's body as a JSON value (an empty body is `{}`), at most `limit` bytes.
pub fn read_json(request: &mut Request, limit: usize) -> Result<Value, ResponseBox> {
    let body = read_body(request, limit)?;
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(json!({}));
    }
    serde_json::from_slice(&body)
        .map_err(|e| error_response(400, &format!("the request is not JSON: {e}")))
}

/// A request header's value (the first, when there are several).
pub fn header<'r>(request: &'r Request, name: &str) -> Option<&'r str> {
    request
        .headers()
        .iter()
        .find(|h| h.field.as_str().as_str().eq_ignore_ascii_case(name))
        .map(|h| h.value.as_str())
}

fn with_header<R: Read>(response: Response<R>, name: &str, value: &str) -> Response<R> {
    match Header::from_bytes(name.as_bytes(), value.as_bytes()) {
        Ok(header) => response.with_header(header),
        Err(()) => response,
    }
}

/// What every response says about itself.
fn guarded<R: Read + Send + 'static>(response: Response<R>) -> ResponseBox {
    let response = with_header(response, "Cache-Control", "no-store");
    let response = with_header(response, "X-Content-Type-Options", "nosniff");
    let response = with_header(response, "X-Frame-Options", "DENY");
    with_header(response, "Referrer-Policy", "no-referrer").boxed()
}

/// A JSON body with `status`.
pub fn json_response(status: u16, body: &Value) -> ResponseBox {
    let response = Response::from_string(body.to_string()).with_status_code(status);
    guarded(with_header(
        response,
        "Content-Type",
        "application/json; charset=utf-8",
    ))
}

/// An error: `{"error": {"message": ...}}` with `status`.
pub fn error_response(status: u16, message: &str) -> ResponseBox {
    json_response(status, &json!({"error": {"message": message}}))
}

/// The page itself, with its content security policy.
pub fn html_response(html: String, policy: &str) -> ResponseBox {
    let response = Response::from_string(html);
    let response = with_header(response, "Content-Type", "text/html; charset=utf-8");
    guarded(with_header(response, "Content-Security-Policy", policy))
}

/// A file to download as `name` (which may be Chinese: RFC 6266's `filename*`).
pub fn download_response<R: Read + Send + 'static>(
    response: Response<R>,
    name: &str,
    content_type: &str,
) -> ResponseBox {
    let response = with_header(response, "Content-Type", content_type);
    let disposition = format!(
        "attachment; filename=\"{}\"; filename*=UTF-8''{}",
        ascii_fallback(name),
        percent_encode(name)
    );
    guarded(with_header(response, "Content-Disposition", &disposition))
}

/// An empty body with `status`.
pub fn empty_response(status: u16) -> ResponseBox {
    guarded(Response::new(
        status.into(),
        Vec::new(),
        Cursor::new(Vec::new()),
        Some(0),
        None,
    ))
}

/// `name` with every character but plain ASCII letters, digits, `.`, `-` and `_` as `_`.
fn ascii_fallback(name: &str) -> String {
    name.chars()
        .map(|c| match c {
            'a'..='z' | 'A'..='Z' | '0'..='9' | '.' | '-' | '_' => c,
            _ => '_',
        })
        .collect()
}

/// RFC 3986 percent-encoding of every byte but the unreserved ones.
fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn download_names_survive_in_both_forms() {
        assert_eq!(
            super::percent_encode("会员 a.xlsx"),
            "%E4%BC%9A%E5%91%98%20a.xlsx"
        );
        assert_eq!(super::ascii_fallback("会员 a.xlsx"), "___a.xlsx");
    }
}
