//! Gateway request signing, `X-Api-Auth-Version: 2.0`.
//!
//! Kingdee's own C# and Python samples get this wrong; the rules here follow the official
//! Java SDK and are pinned byte for byte by `tests/fixtures/signing.json`:
//!
//! ```text
//! METHOD\n
//! percent-encoded path (RFC 3986, `/` encoded too)\n
//! signed query line (or empty)\n
//! x-api-nonce:<nonce>\n
//! x-api-timestamp:<timestamp>\n
//! ```
//!
//! Signature = Base64(lower-hex(HMAC-SHA256(client_secret, string to sign))): Base64 of the
//! 64-character hex *text*, not of the raw 32 bytes.

use base64::Engine as _;
use hmac::{Hmac, KeyInit, Mac};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use sha2::Sha256;

/// RFC 3986 unreserved characters stay; every other byte becomes `%XX` (upper-case hex).
const RFC3986: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// The value of `X-Api-SignHeaders`: the two headers covered by the signature.
pub const SIGN_HEADERS: &str = "X-Api-TimeStamp,X-Api-Nonce";
/// The value of `X-Api-Auth-Version`.
pub const AUTH_VERSION: &str = "2.0";

/// Percent-encodes once with the RFC 3986 unreserved set (used for the path and the
/// signed query line).
pub fn rfc3986_encode(text: &str) -> String {
    utf8_percent_encode(text, RFC3986).to_string()
}

/// One query parameter as it goes on the wire and into the signature.
struct EncodedParam {
    wire: String,
    signed: String,
}

fn encode_param(key: &str, value: &str) -> EncodedParam {
    // The wire form is Java's URLEncoder (= application/x-www-form-urlencoded): `*-._`
    // stay, space becomes `+`. The signed form encodes each wire key and value once more.
    let wire_key: String = form_urlencoded::byte_serialize(key.as_bytes()).collect();
    let wire_value: String = form_urlencoded::byte_serialize(value.as_bytes()).collect();
    let signed = format!(
        "{}={}",
        rfc3986_encode(&wire_key),
        rfc3986_encode(&wire_value)
    );
    EncodedParam {
        wire: format!("{wire_key}={wire_value}"),
        signed,
    }
}

/// A query ready to send: the wire string and the line that goes into the signature.
/// Both list the parameters in the same (sorted) order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query {
    /// The query string as sent (`a=1&b=2`, form-encoded, sorted).
    pub wire: String,
    /// The query line of the string to sign.
    pub signed_line: String,
}

impl Query {
    /// Encodes `params` (any order) the way the official SDK does.
    pub fn from_params<K: AsRef<str>, V: AsRef<str>>(params: &[(K, V)]) -> Query {
        let mut encoded: Vec<EncodedParam> = params
            .iter()
            .map(|(k, v)| encode_param(k.as_ref(), v.as_ref()))
            .collect();
        encoded.sort_by(|a, b| a.signed.cmp(&b.signed));
        Query {
            wire: join(encoded.iter().map(|p| p.wire.as_str())),
            signed_line: join(encoded.iter().map(|p| p.signed.as_str())),
        }
    }
}

fn join<'a>(parts: impl Iterator<Item = &'a str>) -> String {
    parts.collect::<Vec<_>>().join("&")
}

/// The signed query line for a query string as received on the wire (what a gateway
/// does to check a signature): each `key=value` encoded once more, sorted, joined by `&`.
pub fn signed_line_from_wire(wire_query: &str) -> String {
    let mut parts: Vec<String> = wire_query
        .split('&')
        .filter(|part| !part.is_empty())
        .map(|part| match part.split_once('=') {
            Some((k, v)) => format!("{}={}", rfc3986_encode(k), rfc3986_encode(v)),
            None => format!("{}=", rfc3986_encode(part)),
        })
        .collect();
    parts.sort();
    parts.join("&")
}

/// The five-line string to sign; every line ends with `\n`, the last one too.
pub fn string_to_sign(
    method: &str,
    path: &str,
    signed_query_line: &str,
    nonce: &str,
    timestamp: &str,
) -> String {
    format!(
        "{}\n{}\n{}\nx-api-nonce:{}\nx-api-timestamp:{}\n",
        method.to_ascii_uppercase(),
        rfc3986_encode(path),
        signed_query_line,
        nonce,
        timestamp
    )
}

/// Base64 of the lower-case hex HMAC-SHA256 of `message` under `key`: the shape of both
/// the request signature and the app signature.
pub fn base64_hex_hmac(key: &str, message: &str) -> String {
    // HMAC accepts keys of any length, so this never fails; the fallback keeps the
    // function total without a panic path.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key.as_bytes()) else {
        return String::new();
    };
    mac.update(message.as_bytes());
    let digest = mac.finalize().into_bytes();
    let mut hex_buf = [0u8; 64];
    match base16ct::lower::encode_str(&digest, &mut hex_buf) {
        Ok(hex) => base64::engine::general_purpose::STANDARD.encode(hex),
        Err(_) => String::new(),
    }
}

/// `X-Api-Signature` for a string to sign.
pub fn signature(client_secret: &str, string_to_sign: &str) -> String {
    base64_hex_hmac(client_secret, string_to_sign)
}

/// `app_signature` for the token request: the app key signed with the app secret.
pub fn app_signature(app_key: &str, app_secret: &str) -> String {
    base64_hex_hmac(app_secret, app_key)
}

/// A fresh `X-Api-Nonce`: a random positive integer of 10 digits, like the SDKs send.
pub fn new_nonce() -> String {
    fastrand::u64(1_000_000_000..10_000_000_000).to_string()
}

/// The six gateway headers of a signed request, in the order they are sent.
pub fn gateway_headers(
    client_id: &str,
    client_secret: &str,
    method: &str,
    path: &str,
    query: &Query,
    nonce: &str,
    timestamp_ms: u64,
) -> [(&'static str, String); 6] {
    let timestamp = timestamp_ms.to_string();
    let to_sign = string_to_sign(method, path, &query.signed_line, nonce, &timestamp);
    [
        ("X-Api-ClientID", client_id.to_string()),
        ("X-Api-Auth-Version", AUTH_VERSION.to_string()),
        ("X-Api-TimeStamp", timestamp),
        ("X-Api-Nonce", nonce.to_string()),
        ("X-Api-SignHeaders", SIGN_HEADERS.to_string()),
        ("X-Api-Signature", signature(client_secret, &to_sign)),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn vectors() -> Value {
        let text = include_str!("../../tests/fixtures/signing.json");
        serde_json::from_str(text).expect("fixture is valid JSON")
    }

    fn s(v: &Value, key: &str) -> String {
        v[key].as_str().expect("fixture string").to_string()
    }

    #[test]
    fn every_signature_vector_matches_byte_for_byte() {
        let vectors = vectors();
        let cases = vectors["signature_cases"].as_array().expect("cases");
        assert!(cases.len() >= 5);
        for case in cases {
            let name = s(case, "name");
            let params: Vec<(String, String)> = case["params"]
                .as_array()
                .expect("params")
                .iter()
                .map(|p| (p[0].as_str().unwrap().into(), p[1].as_str().unwrap().into()))
                .collect();
            let query = Query::from_params(&params);
            assert_eq!(query.wire, s(case, "wire_query"), "{name}: wire query");
            assert_eq!(
                query.signed_line,
                s(case, "signed_query_line"),
                "{name}: signed line"
            );
            assert_eq!(
                signed_line_from_wire(&query.wire),
                query.signed_line,
                "{name}: gateway-side line"
            );
            let to_sign = string_to_sign(
                &s(case, "method"),
                &s(case, "path"),
                &query.signed_line,
                &s(case, "nonce"),
                &s(case, "timestamp"),
            );
            assert_eq!(to_sign, s(case, "string_to_sign"), "{name}: string to sign");
            assert_eq!(
                signature(&s(case, "client_secret"), &to_sign),
                s(case, "signature"),
                "{name}: signature"
            );
            let headers = gateway_headers(
                "205022",
                &s(case, "client_secret"),
                &s(case, "method"),
                &s(case, "path"),
                &query,
                &s(case, "nonce"),
                s(case, "timestamp").parse().unwrap(),
            );
            assert_eq!(headers[5].1, s(case, "signature"), "{name}: header");
        }
    }

    #[test]
    fn app_signature_vectors_match() {
        let vectors = vectors();
        for case in vectors["app_signature_cases"].as_array().expect("cases") {
            assert_eq!(
                app_signature(&s(case, "app_key"), &s(case, "app_secret")),
                s(case, "app_signature")
            );
        }
        // The published token example carries an app signature too.
        let first = &vectors["signature_cases"][0]["params"][1][1];
        assert_eq!(first.as_str().unwrap().len(), 88);
    }

    #[test]
    fn classic_mistakes_give_different_signatures() {
        let right = string_to_sign("POST", "/jdy/v2/ls/member", "", "1", "2");
        let no_final_newline = right.trim_end_matches('\n');
        let swapped = "POST\n%2Fjdy%2Fv2%2Fls%2Fmember\n\nx-api-timestamp:2\nx-api-nonce:1\n";
        let good = signature("k", &right);
        assert_ne!(good, signature("k", no_final_newline));
        assert_ne!(good, signature("k", swapped));
        assert_eq!(good.len(), 88, "Base64 of 64 hex characters");
    }

    #[test]
    fn nonce_has_ten_digits() {
        for _ in 0..100 {
            let n = new_nonce();
            assert_eq!(n.len(), 10);
            assert!(n.bytes().all(|b| b.is_ascii_digit()));
        }
    }

    #[test]
    fn method_is_upper_cased_and_path_fully_encoded() {
        let line = string_to_sign("get", "/a b/c~", "", "1", "2");
        assert!(line.starts_with("GET\n%2Fa%20b%2Fc~\n\n"));
    }
}
