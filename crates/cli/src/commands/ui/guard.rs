//! Who may drive the page's server: only a page opened from the address it printed.
//!
//! The server listens on 127.0.0.1 only, yet on a shared shop PC that still lets in another
//! local user and any web page in the same browser. So every request must carry:
//! - a `Host` header naming this server as the browser reached it (`127.0.0.1:PORT` or
//!   `localhost:PORT`): a web page that points its own DNS name at 127.0.0.1 (DNS
//!   rebinding) sends its own name and is refused;
//! - the random token that only the printed address holds, as the `X-JDY-Token` header (or,
//!   for a GET the browser makes itself: the page, a download, as `?token=`), compared in
//!   constant time;
//! - for a request that changes anything (every method but GET and HEAD), an `Origin`
//!   naming this server: a form another site posts here carries that site's origin.

use std::fmt::Write as _;

/// The header the page sends its token in.
pub const TOKEN_HEADER: &str = "X-JDY-Token";

/// What the guard looks at in a request.
pub struct Asked<'a> {
    pub method: &'a str,
    pub host: Option<&'a str>,
    pub origin: Option<&'a str>,
    /// The `X-JDY-Token` header.
    pub token_header: Option<&'a str>,
    /// The `token` of the query string.
    pub token_query: Option<&'a str>,
}

/// Why a request was refused (each a 403, with this in words).
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    ForeignHost,
    NoToken,
    ForeignOrigin,
}

impl Refusal {
    pub fn message(&self) -> &'static str {
        match self {
            Refusal::ForeignHost => "refused: the Host header must be 127.0.0.1:PORT or localhost:PORT of this server (open the address jdy-member ui printed)",
            Refusal::NoToken => "refused: this request lacks the page's token (open the address jdy-member ui printed, with its ?token=)",
            Refusal::ForeignOrigin => "refused: a request that changes anything must come from the page itself (Origin)",
        }
    }
}

/// The token and the port a request must name.
pub struct Guard {
    token: String,
    port: u16,
}

impl Guard {
    pub fn new(token: String, port: u16) -> Guard {
        Guard { token, port }
    }

    /// Lets the request through, or says why not.
    pub fn check(&self, asked: &Asked) -> Result<(), Refusal> {
        if !asked.host.is_some_and(|host| self.is_own_host(host)) {
            return Err(Refusal::ForeignHost);
        }
        let reads = matches!(asked.method, "GET" | "HEAD");
        // The token travels in the query only where the browser itself makes the request.
        let token = match (asked.token_header, reads) {
            (Some(token), _) => Some(token),
            (None, true) => asked.token_query,
            (None, false) => None,
        };
        if !token.is_some_and(|token| same(token.as_bytes(), self.token.as_bytes())) {
            return Err(Refusal::NoToken);
        }
        if !reads
            && !asked
                .origin
                .is_some_and(|origin| self.is_own_origin(origin))
        {
            return Err(Refusal::ForeignOrigin);
        }
        Ok(())
    }

    fn is_own_host(&self, host: &str) -> bool {
        let Some((name, port)) = host.rsplit_once(':') else {
            return false;
        };
        let loopback = name == "127.0.0.1" || name.eq_ignore_ascii_case("localhost");
        loopback && port.parse::<u16>().ok() == Some(self.port)
    }

    fn is_own_origin(&self, origin: &str) -> bool {
        origin
            .strip_prefix("http://")
            .is_some_and(|host| self.is_own_host(host))
    }
}

/// Compares two secrets in time that depends on their length only.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |d, (x, y)| d | (x ^ y)) == 0
}

/// `bytes` random bytes from the operating system, as hex.
pub fn random_hex(bytes: usize) -> Result<String, getrandom::Error> {
    let mut buffer = vec![0u8; bytes];
    getrandom::getrandom(&mut buffer)?;
    Ok(buffer.iter().fold(String::new(), |mut text, b| {
        let _ = write!(text, "{b:02x}");
        text
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asked<'a>(method: &'a str, host: &'a str, token: Option<&'a str>) -> Asked<'a> {
        Asked {
            method,
            host: Some(host),
            origin: None,
            token_header: token,
            token_query: None,
        }
    }

    #[test]
    fn a_request_needs_the_loopback_host_and_port_and_the_token() {
        let guard = Guard::new("t0k3n".into(), 8791);
        assert_eq!(
            guard.check(&asked("GET", "127.0.0.1:8791", Some("t0k3n"))),
            Ok(())
        );
        assert_eq!(
            guard.check(&asked("GET", "LocalHost:8791", Some("t0k3n"))),
            Ok(())
        );
        for host in [
            "evil.example:8791",
            "127.0.0.1:8792",
            "127.0.0.1",
            "127.0.0.2:8791",
            "[::1]:8791",
            "",
        ] {
            let refused = guard.check(&asked("GET", host, Some("t0k3n")));
            assert_eq!(refused, Err(Refusal::ForeignHost), "{host}");
        }
        let no_host = Asked {
            host: None,
            ..asked("GET", "", Some("t0k3n"))
        };
        assert_eq!(guard.check(&no_host), Err(Refusal::ForeignHost));
        for token in [None, Some(""), Some("t0k3"), Some("t0k3n "), Some("T0K3N")] {
            let refused = guard.check(&asked("GET", "127.0.0.1:8791", token));
            assert_eq!(refused, Err(Refusal::NoToken), "{token:?}");
        }
    }

    #[test]
    fn the_query_token_serves_reads_only_and_changes_need_the_origin() {
        let guard = Guard::new("t0k3n".into(), 8791);
        let in_query = |method| Asked {
            token_query: Some("t0k3n"),
            ..asked(method, "127.0.0.1:8791", None)
        };
        assert_eq!(guard.check(&in_query("GET")), Ok(()));
        assert_eq!(guard.check(&in_query("POST")), Err(Refusal::NoToken));
        let post = |origin| Asked {
            origin,
            ..asked("POST", "127.0.0.1:8791", Some("t0k3n"))
        };
        assert_eq!(guard.check(&post(Some("http://127.0.0.1:8791"))), Ok(()));
        assert_eq!(guard.check(&post(Some("http://localhost:8791"))), Ok(()));
        for origin in [
            None,
            Some("null"),
            Some("http://evil.example"),
            Some("https://127.0.0.1:8791"),
            Some("http://127.0.0.1:8792"),
        ] {
            assert_eq!(
                guard.check(&post(origin)),
                Err(Refusal::ForeignOrigin),
                "{origin:?}"
            );
        }
    }

    #[test]
    fn tokens_are_random_hex() {
        let (a, b) = (random_hex(32).unwrap(), random_hex(32).unwrap());
        assert_eq!(a.len(), 64);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }
}
