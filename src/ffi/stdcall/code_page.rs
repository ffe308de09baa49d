//! The text of the `_a` exports: the system code page (`CP_ACP`: GBK on a Chinese till,
//! Big5, Shift-JIS, a Western code page or UTF-8 elsewhere), converted by the operating
//! system (`windows_code_page`), never by a table of our own.
//!
//! Conversions are exact or refused: input that is not valid text in the code page is an
//! error, and a character of a result that the code page cannot represent is written as a
//! JSON `\uXXXX` escape (a surrogate pair for one beyond the BMP), never as `?` or a
//! "best fit" look-alike. Every envelope is JSON with non-ASCII characters only inside
//! strings, so the escaped text is the same JSON; and a caller may send any character the
//! same way.

use crate::error::{Error, Result};
use std::collections::HashMap;

/// A code page the `_a` exports convert through.
pub(super) trait CodePage {
    /// Its number, for messages (936 for GBK).
    fn number(&self) -> u32;
    /// `bytes` (without a NUL) as text; None when they are not valid in this code page.
    fn decode(&self, bytes: &[u8]) -> Option<String>;
    /// `text` in this code page when every character of it has an exact equivalent there;
    /// None otherwise.
    fn encode_exact(&self, text: &str) -> Option<Vec<u8>>;
}

/// `text` in the code page, each character it cannot represent as a JSON `\uXXXX` escape.
pub(super) fn to_ansi(code_page: &impl CodePage, text: &str) -> Vec<u8> {
    if let Some(bytes) = code_page.encode_exact(text) {
        return bytes;
    }
    // Character by character (ASCII is the same in every ANSI code page); each distinct
    // character is converted once.
    let mut out = Vec::with_capacity(text.len() + 16);
    let mut known: HashMap<char, Option<Vec<u8>>> = HashMap::new();
    for ch in text.chars() {
        if ch.is_ascii() {
            out.push(ch as u8);
            continue;
        }
        let exact = known
            .entry(ch)
            .or_insert_with(|| code_page.encode_exact(ch.encode_utf8(&mut [0; 4])));
        match exact {
            Some(bytes) => out.extend_from_slice(bytes),
            None => {
                for unit in ch.encode_utf16(&mut [0; 2]) {
                    out.extend_from_slice(format!("\\u{unit:04x}").as_bytes());
                }
            }
        }
    }
    out
}

/// The text of an `_a` argument (`what` names it in the error).
pub(super) fn from_ansi(code_page: &impl CodePage, bytes: &[u8], what: &str) -> Result<String> {
    code_page.decode(bytes).ok_or_else(|| {
        Error::invalid_argument(format!(
            "the {what} is not valid text in the system code page ({}): some bytes are no character there; send text in that code page, and any character it lacks as a JSON \\uXXXX escape",
            code_page.number()
        ))
    })
}

/// UTF-8 as a code page (65001): every character is exact. Where there is no ANSI code
/// page (the `_a` functions are exported only from the Windows DLLs; elsewhere they exist
/// for the tests), it stands in for one.
#[cfg(not(windows))]
pub(super) struct Utf8;

#[cfg(not(windows))]
impl CodePage for Utf8 {
    fn number(&self) -> u32 {
        65001
    }
    fn decode(&self, bytes: &[u8]) -> Option<String> {
        String::from_utf8(bytes.to_vec()).ok()
    }
    fn encode_exact(&self, text: &str) -> Option<Vec<u8>> {
        Some(text.as_bytes().to_vec())
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use serde_json::{json, Value};

    /// A stand-in for a narrow code page: Windows-1252 without its 0x80-0x9F row (those
    /// bytes are invalid here), so U+0000-U+007F and U+00A0-U+00FF are exact and nothing
    /// else is.
    pub struct Latin1;

    impl CodePage for Latin1 {
        fn number(&self) -> u32 {
            28591
        }
        fn decode(&self, bytes: &[u8]) -> Option<String> {
            bytes
                .iter()
                .map(|&b| (!(0x80..0xa0).contains(&b)).then_some(char::from(b)))
                .collect()
        }
        fn encode_exact(&self, text: &str) -> Option<Vec<u8>> {
            text.chars()
                .map(|c| match u32::from(c) {
                    n @ (0..=0x7f | 0xa0..=0xff) => Some(n as u8),
                    _ => None,
                })
                .collect()
        }
    }

    #[test]
    fn what_the_code_page_has_is_written_as_its_bytes() {
        assert_eq!(
            to_ansi(&Latin1, "{\"name\":\"Zoë?\"}"),
            b"{\"name\":\"Zo\xeb?\"}"
        );
    }

    #[test]
    fn what_it_lacks_is_a_json_escape_never_a_question_mark() {
        let envelope = r#"{"ok":true,"data":{"name":"Zoë 会员 𠮷 😀 €","n":1}}"#;
        let ansi = to_ansi(&Latin1, envelope);
        let text = Latin1
            .decode(&ansi)
            .expect("the output is valid in the code page");
        assert!(
            text.contains("Zo\u{eb} \\u4f1a\\u5458 \\ud842\\udfb7 \\ud83d\\ude00 \\u20ac"),
            "{text}"
        );
        assert!(!text.contains('?'));
        assert!(text.starts_with("{\"ok\":true"));
        let decoded: Value = serde_json::from_str(&text).expect("still JSON");
        assert_eq!(decoded, serde_json::from_str::<Value>(envelope).unwrap());
    }

    #[test]
    fn every_character_survives_the_round_trip() {
        // Every 97th code point, surrogates excluded, inside an envelope's string.
        let all: String = (0..=0x10ffffu32)
            .step_by(97)
            .filter_map(char::from_u32)
            .collect();
        let envelope = json!({"ok": true, "data": all}).to_string();
        let text = Latin1.decode(&to_ansi(&Latin1, &envelope)).unwrap();
        let back: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back["data"], all.as_str());
    }

    #[test]
    fn input_that_is_not_text_in_the_code_page_is_refused() {
        assert_eq!(
            from_ansi(&Latin1, b"{\"a\":\"\xe9\"}", "member").unwrap(),
            "{\"a\":\"é\"}"
        );
        let error = from_ansi(&Latin1, b"{\"a\":\"\x81\"}", "member").unwrap_err();
        assert_eq!(error.kind, crate::error::ErrorKind::InvalidArgument);
        assert!(error
            .message
            .contains("the member is not valid text in the system code page (28591)"));
        assert!(error.message.contains("\\uXXXX"), "{}", error.message);
    }

    #[test]
    fn a_character_sent_as_an_escape_arrives_whole() {
        let sent = from_ansi(&Latin1, b"{\"name\":\"\\ud842\\udfb7\"}", "member").unwrap();
        let member: Value = serde_json::from_str(&sent).unwrap();
        assert_eq!(member["name"], "𠮷");
    }
}
