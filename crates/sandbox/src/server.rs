//! The socket side: one thread per connection, HTTP/1.1 keep-alive, plain or TLS, framed
//! by hand on `httparse` so that fault injection works at the byte level (close without an
//! answer, stream an oversized one, linger after an error).
//!
//! Unknown upstream, the sandbox's choices at the HTTP level: a body needs `Content-Length`
//! (none means empty); `Transfer-Encoding` answers 411; more than 2 MiB answers 413;
//! anything unparsable 400. These count in `rejections` as `http_400`, `http_411`,
//! `http_413`.

use crate::handler::{Outcome, POLL_INTERVAL};
use crate::http::{reason_phrase, Request, Response, JSON_TYPE};
use crate::state::Shared;
use std::io::{self, ErrorKind, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::panic::{self, AssertUnwindSafe};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// Whole request (head and body) limit.
pub(crate) const MAX_REQUEST_BYTES: usize = 2 * 1024 * 1024;
const MAX_HEADERS: usize = 100;
/// A connection silent this long is closed, so idle threads do not pile up.
const IDLE_TIMEOUT: Duration = Duration::from_secs(30);
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);
/// After an error answer the rest of the request is read and discarded for a while, so the
/// client sees the answer instead of a reset.
const LINGER: Duration = Duration::from_secs(2);
const LINGER_MAX_BYTES: usize = 8 * 1024 * 1024;
/// Open connections beyond this are closed at once, so a connection flood cannot exhaust
/// threads; far above what a test's connection pool uses.
const MAX_CONNECTIONS: usize = 512;
/// Chunk of an oversized answer's padding, written at a time.
const PAD_CHUNK: usize = 64 * 1024;
/// The oversized answer around its padding.
const OVERSIZED_HEAD: &str = r#"{"errcode":0,"description":"success","data":{"pad":""#;
const OVERSIZED_TAIL: &str = r#""}}"#;

/// A client's connection: plain, or TLS over the socket.
pub(crate) enum Conn {
    Plain(TcpStream),
    Tls(Box<rustls::StreamOwned<rustls::ServerConnection, TcpStream>>),
}

impl Conn {
    fn socket(&self) -> &TcpStream {
        match self {
            Conn::Plain(s) => s,
            Conn::Tls(s) => &s.sock,
        }
    }
}

impl Read for Conn {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Conn::Plain(s) => s.read(buf),
            Conn::Tls(s) => s.read(buf),
        }
    }
}

impl Write for Conn {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Conn::Plain(s) => s.write(buf),
            Conn::Tls(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Conn::Plain(s) => s.flush(),
            Conn::Tls(s) => s.flush(),
        }
    }
}

pub(crate) fn accept_loop(
    shared: Arc<Shared>,
    listener: TcpListener,
    tls: Option<Arc<rustls::ServerConfig>>,
) {
    let mut workers: Vec<JoinHandle<()>> = Vec::new();
    for incoming in listener.incoming() {
        if shared.is_stopping() {
            break;
        }
        match incoming {
            Ok(stream) => {
                workers.retain(|w| !w.is_finished());
                if workers.len() >= MAX_CONNECTIONS {
                    drop(stream);
                    continue;
                }
                let conn_shared = Arc::clone(&shared);
                let tls = tls.clone();
                let spawned = thread::Builder::new()
                    .name("jdy-sandbox-conn".into())
                    .spawn(move || {
                        let conn = match tls {
                            None => Conn::Plain(stream),
                            Some(config) => match rustls::ServerConnection::new(config) {
                                Ok(server) => {
                                    Conn::Tls(Box::new(rustls::StreamOwned::new(server, stream)))
                                }
                                Err(_) => return,
                            },
                        };
                        serve_connection(conn_shared, conn)
                    });
                if let Ok(worker) = spawned {
                    workers.push(worker);
                }
            }
            // Out of descriptors and the like: do not spin.
            Err(_) => thread::sleep(Duration::from_millis(10)),
        }
    }
    drop(listener);
    for worker in workers {
        let _ = worker.join();
    }
}

enum ReadOutcome {
    Request(Request),
    /// An HTTP-level failure: answer this status and close.
    Malformed(u16, &'static str),
    Closed,
}

fn serve_connection(shared: Arc<Shared>, mut stream: Conn) {
    let socket = stream.socket();
    let _ = socket.set_read_timeout(Some(POLL_INTERVAL));
    // Short, so that a write to a client that does not read still sees the stop flag;
    // `send_all` gives up after WRITE_TIMEOUT without progress.
    let _ = socket.set_write_timeout(Some(POLL_INTERVAL));
    let _ = socket.set_nodelay(true);
    let mut buf = Vec::new();
    loop {
        match read_request(&shared, &mut stream, &mut buf) {
            ReadOutcome::Closed => return,
            ReadOutcome::Malformed(status, why) => {
                shared.count_http_failure(status);
                let response = Response::http_error(status, why);
                if write_response(&shared, &mut stream, &response, false, true).is_ok() {
                    linger_close(&shared, &mut stream);
                }
                return;
            }
            ReadOutcome::Request(req) => {
                // A panic in a handler must not kill the connection thread silently.
                let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
                    shared.handle(&req, Some(stream.socket()))
                }))
                .unwrap_or_else(|_| {
                    Outcome::Respond(Response::http_error(500, "sandbox internal error"))
                });
                let head_only = req.method == "HEAD";
                match outcome {
                    Outcome::Close => return,
                    Outcome::Oversized(bytes) => {
                        let _ = write_oversized(&shared, &mut stream, bytes, head_only);
                        return;
                    }
                    Outcome::Respond(response) => {
                        let close = response.close || !req.keep_alive || shared.is_stopping();
                        if write_response(&shared, &mut stream, &response, head_only, close)
                            .is_err()
                            || close
                        {
                            return;
                        }
                    }
                }
            }
        }
    }
}

struct Head {
    method: String,
    target: String,
    version: u8,
    headers: Vec<(String, Vec<u8>)>,
    len: usize,
}

impl Head {
    fn has_token(&self, name: &str, token: &str) -> bool {
        self.headers
            .iter()
            .filter(|(n, _)| n == name)
            .filter_map(|(_, v)| std::str::from_utf8(v).ok())
            .flat_map(|v| v.split(','))
            .any(|t| t.trim().eq_ignore_ascii_case(token))
    }

    fn keep_alive(&self) -> bool {
        if self.version >= 1 {
            !self.has_token("connection", "close")
        } else {
            self.has_token("connection", "keep-alive")
        }
    }

    fn body_length(&self) -> Result<usize, (u16, &'static str)> {
        if self.headers.iter().any(|(n, _)| n == "transfer-encoding") {
            return Err((
                411,
                "Transfer-Encoding is not supported; send Content-Length",
            ));
        }
        let mut length: Option<usize> = None;
        for (_, value) in self.headers.iter().filter(|(n, _)| n == "content-length") {
            let text = std::str::from_utf8(value).unwrap_or("").trim();
            if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
                return Err((400, "invalid Content-Length"));
            }
            // Digits too many for usize: certainly too large.
            let value = text.parse::<usize>().unwrap_or(usize::MAX);
            if length.is_some_and(|previous| previous != value) {
                return Err((400, "conflicting Content-Length headers"));
            }
            length = Some(value);
        }
        Ok(length.unwrap_or(0))
    }
}

fn parse_head(buf: &[u8]) -> Result<Option<Head>, &'static str> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut parsed = httparse::Request::new(&mut headers);
    match parsed.parse(buf) {
        Ok(httparse::Status::Partial) => Ok(None),
        Ok(httparse::Status::Complete(len)) => {
            let (Some(method), Some(target), Some(version)) =
                (parsed.method, parsed.path, parsed.version)
            else {
                return Err("incomplete request line");
            };
            Ok(Some(Head {
                method: method.to_string(),
                target: target.to_string(),
                version,
                headers: parsed
                    .headers
                    .iter()
                    .filter(|h| !h.name.is_empty())
                    .map(|h| (h.name.to_ascii_lowercase(), h.value.to_vec()))
                    .collect(),
                len,
            }))
        }
        Err(httparse::Error::TooManyHeaders) => Err("too many headers"),
        Err(_) => Err("malformed HTTP request"),
    }
}

/// Path and raw query of a request target (origin form, or absolute form from a proxy).
fn split_target(target: &str) -> Option<(String, String)> {
    let origin = if target.starts_with('/') {
        target
    } else {
        let rest = target
            .strip_prefix("http://")
            .or_else(|| target.strip_prefix("https://"))?;
        rest.find('/').map_or("/", |i| &rest[i..])
    };
    let origin = origin.split('#').next().unwrap_or("");
    let (path, query) = origin.split_once('?').unwrap_or((origin, ""));
    Some((path.to_string(), query.to_string()))
}

/// Reads one request from the connection; `buf` keeps bytes of the next one (pipelining).
fn read_request(shared: &Shared, stream: &mut Conn, buf: &mut Vec<u8>) -> ReadOutcome {
    let mut last_activity = Instant::now();
    let mut head: Option<(Head, usize)> = None;
    let mut sent_continue = false;
    let mut chunk = [0u8; 16 * 1024];
    loop {
        if head.is_none() && !buf.is_empty() {
            match parse_head(buf) {
                Ok(Some(parsed)) => {
                    let body_len = match parsed.body_length() {
                        Ok(n) => n,
                        Err((status, why)) => return ReadOutcome::Malformed(status, why),
                    };
                    match parsed.len.checked_add(body_len) {
                        Some(total) if total <= MAX_REQUEST_BYTES => head = Some((parsed, total)),
                        _ => return ReadOutcome::Malformed(413, "request larger than 2 MiB"),
                    }
                }
                Ok(None) if buf.len() >= MAX_REQUEST_BYTES => {
                    return ReadOutcome::Malformed(413, "request larger than 2 MiB")
                }
                Ok(None) => {}
                Err(why) => return ReadOutcome::Malformed(400, why),
            }
        }
        if let Some((parsed, total)) = &head {
            if buf.len() >= *total {
                let Some((path, query)) = split_target(&parsed.target) else {
                    return ReadOutcome::Malformed(400, "unsupported request target");
                };
                let body = buf[parsed.len..*total].to_vec();
                buf.drain(..*total);
                return ReadOutcome::Request(Request {
                    method: parsed.method.clone(),
                    path,
                    query,
                    headers: parsed.headers.clone(),
                    body,
                    keep_alive: parsed.keep_alive(),
                });
            }
            if !sent_continue && parsed.has_token("expect", "100-continue") {
                sent_continue = true;
                if stream.write_all(b"HTTP/1.1 100 Continue\r\n\r\n").is_err() {
                    return ReadOutcome::Closed;
                }
            }
        }
        match stream.read(&mut chunk) {
            Ok(0) => return ReadOutcome::Closed,
            Ok(n) => {
                buf.extend_from_slice(&chunk[..n]);
                last_activity = Instant::now();
            }
            Err(e)
                if matches!(
                    e.kind(),
                    ErrorKind::WouldBlock | ErrorKind::TimedOut | ErrorKind::Interrupted
                ) =>
            {
                if shared.is_stopping() || last_activity.elapsed() >= IDLE_TIMEOUT {
                    return ReadOutcome::Closed;
                }
            }
            Err(_) => return ReadOutcome::Closed,
        }
    }
}

fn write_response(
    shared: &Shared,
    stream: &mut Conn,
    response: &Response,
    head_only: bool,
    close: bool,
) -> io::Result<()> {
    let mut head = format!(
        "HTTP/1.1 {} {}\r\nDate: {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: {}\r\n",
        response.status,
        reason_phrase(response.status),
        crate::clock::http_date(shared.clock.now_ms()),
        response.content_type,
        response.body.len(),
        if close { "close" } else { "keep-alive" },
    );
    for (name, value) in &response.extra_headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    let mut bytes = head.into_bytes();
    if !head_only {
        bytes.extend_from_slice(&response.body);
    }
    send_all(shared, stream, &bytes)
}

/// A 200 JSON success answer of exactly `bytes` bytes (at least the envelope), written in
/// chunks so that a huge one is never built in memory; the connection closes after it.
fn write_oversized(
    shared: &Shared,
    stream: &mut Conn,
    bytes: u64,
    head_only: bool,
) -> io::Result<()> {
    let envelope = (OVERSIZED_HEAD.len() + OVERSIZED_TAIL.len()) as u64;
    let total = bytes.max(envelope);
    let head = format!(
        "HTTP/1.1 200 OK\r\nDate: {}\r\nContent-Type: {JSON_TYPE}\r\nContent-Length: {total}\r\nConnection: close\r\n\r\n",
        crate::clock::http_date(shared.clock.now_ms()),
    );
    send_all(shared, stream, head.as_bytes())?;
    if head_only {
        return Ok(());
    }
    send_all(shared, stream, OVERSIZED_HEAD.as_bytes())?;
    let pad = [b'x'; PAD_CHUNK];
    let mut left = total - envelope;
    while left > 0 {
        let n = usize::try_from(left).map_or(PAD_CHUNK, |left| left.min(PAD_CHUNK));
        send_all(shared, stream, pad.get(..n).unwrap_or(&pad))?;
        left = left.saturating_sub(n as u64);
    }
    send_all(shared, stream, OVERSIZED_TAIL.as_bytes())
}

/// Writes everything, giving up when the sandbox stops or the client reads nothing for
/// WRITE_TIMEOUT (the socket's own timeout is short, so the stop flag is seen promptly).
fn send_all(shared: &Shared, stream: &mut Conn, mut bytes: &[u8]) -> io::Result<()> {
    let mut last_progress = Instant::now();
    while !bytes.is_empty() {
        match stream.write(bytes) {
            Ok(0) => return Err(ErrorKind::WriteZero.into()),
            Ok(n) => {
                bytes = bytes.get(n..).unwrap_or_default();
                last_progress = Instant::now();
            }
            Err(e)
                if matches!(
                    e.kind(),
                    ErrorKind::WouldBlock | ErrorKind::TimedOut | ErrorKind::Interrupted
                ) =>
            {
                if shared.is_stopping() || last_progress.elapsed() >= WRITE_TIMEOUT {
                    return Err(e);
                }
            }
            Err(e) => return Err(e),
        }
    }
    stream.flush()
}

/// Half-closes and discards what the client still sends, so it reads our answer instead of
/// a connection reset (closing with unread data makes the kernel send RST).
fn linger_close(shared: &Shared, stream: &mut Conn) {
    let _ = stream.socket().shutdown(Shutdown::Write);
    let deadline = Instant::now() + LINGER;
    let mut drained = 0usize;
    let mut chunk = [0u8; 16 * 1024];
    while Instant::now() < deadline && drained < LINGER_MAX_BYTES && !shared.is_stopping() {
        match stream.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => drained += n,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(_) => break,
        }
    }
}

#[cfg(test)]
mod tests;
