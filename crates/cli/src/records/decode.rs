//! Decoding an import file's bytes into text: UTF-8 (with or without a BOM), UTF-16 with a
//! BOM, GBK/GB18030 (what Chinese Excel writes), chosen by `--encoding` or guessed, and
//! strict: a file that does not decode is refused with the offset of its first bad byte
//! rather than imported with garbled names.

use encoding_rs::{DecoderResult, GB18030, UTF_16BE, UTF_16LE};
use jdy_member::Error;
use std::borrow::Cow;
use std::str::FromStr;

/// How the bytes of a file are turned into text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextEncoding {
    /// UTF-8 (with or without BOM), UTF-16 with a BOM, else GB18030.
    Auto,
    Utf8,
    /// GB18030, which also reads GBK and GB2312 files.
    Gb18030,
}

impl FromStr for TextEncoding {
    type Err = String;

    fn from_str(s: &str) -> Result<TextEncoding, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "auto" => Ok(TextEncoding::Auto),
            "utf-8" | "utf8" => Ok(TextEncoding::Utf8),
            "gbk" | "gb18030" | "gb2312" => Ok(TextEncoding::Gb18030),
            _ => Err(format!(
                "unknown encoding `{s}`; use one of: auto, utf-8 (or utf8), gbk (or gb18030, gb2312)"
            )),
        }
    }
}

pub(super) const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";
const UTF16LE_BOM: &[u8] = b"\xFF\xFE";
const UTF16BE_BOM: &[u8] = b"\xFE\xFF";

/// Turns the file into text and names the encoding used.
pub(super) fn decode(
    bytes: &[u8],
    encoding: TextEncoding,
) -> Result<(Cow<'_, str>, &'static str), Error> {
    let (body, utf8_bom) = match bytes.strip_prefix(UTF8_BOM) {
        Some(rest) => (rest, true),
        None => (bytes, false),
    };
    let bom_len = if utf8_bom { UTF8_BOM.len() } else { 0 };
    let utf8_name = if utf8_bom { "utf-8 (BOM)" } else { "utf-8" };
    match encoding {
        TextEncoding::Utf8 => match std::str::from_utf8(body) {
            Ok(text) => Ok((Cow::Borrowed(text), utf8_name)),
            Err(e) => {
                let hint = if bytes.starts_with(UTF16LE_BOM) || bytes.starts_with(UTF16BE_BOM) {
                    " (it starts with a UTF-16 byte-order mark)"
                } else {
                    ""
                };
                Err(Error::invalid_argument(format!(
                    "the file is not valid UTF-8: the first bad byte is at offset {}{hint}; save it as UTF-8, or pass --encoding gbk (or auto) if it came from Chinese Excel",
                    e.valid_up_to() + bom_len
                )))
            }
        },
        TextEncoding::Gb18030 => match decode_gb18030(body) {
            Ok(text) => Ok((text, "gb18030")),
            Err(offset) => Err(Error::invalid_argument(format!(
                "the file is not valid GBK/GB18030 text: the first bad byte is at offset {}; save it as UTF-8, or pass --encoding utf-8 (or auto)",
                offset + bom_len
            ))),
        },
        TextEncoding::Auto => decode_auto(bytes, body, utf8_bom),
    }
}

/// The `Auto` guess: a BOM decides; else UTF-8 when the bytes are valid UTF-8, else
/// GB18030 (what Chinese Excel writes), else give up rather than import garbled names.
fn decode_auto<'a>(
    bytes: &'a [u8],
    body: &'a [u8],
    utf8_bom: bool,
) -> Result<(Cow<'a, str>, &'static str), Error> {
    if utf8_bom {
        return match std::str::from_utf8(body) {
            Ok(text) => Ok((Cow::Borrowed(text), "utf-8 (BOM)")),
            Err(e) => Err(Error::invalid_argument(format!(
                "the file starts with a UTF-8 byte-order mark but is not valid UTF-8: the first bad byte is at offset {}; save it again as UTF-8, or pass --encoding gbk if it is GBK",
                e.valid_up_to() + UTF8_BOM.len()
            ))),
        };
    }
    for (bom, encoding, name) in [
        (UTF16LE_BOM, UTF_16LE, "utf-16le"),
        (UTF16BE_BOM, UTF_16BE, "utf-16be"),
    ] {
        if let Some(rest) = bytes.strip_prefix(bom) {
            return match encoding.decode_without_bom_handling_and_without_replacement(rest) {
                Some(text) => Ok((text, name)),
                None => Err(Error::invalid_argument(format!(
                    "the file starts with a {name} byte-order mark but is not valid {name} text; save it as UTF-8"
                ))),
            };
        }
    }
    // NUL bytes are valid in UTF-8 and GB18030 alike, but no spreadsheet text has them:
    // they mean UTF-16 without a byte-order mark, which would otherwise import as garbage.
    if bytes.contains(&0) {
        return Err(Error::invalid_argument(
            "the file contains NUL bytes: it is probably UTF-16 without a byte-order mark, or not a text file; save it as UTF-8",
        ));
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Ok((Cow::Borrowed(text), "utf-8"));
    }
    decode_gb18030(bytes)
        .map(|text| (text, "gb18030"))
        .map_err(|_| {
            Error::invalid_argument(
                "the file is neither UTF-8 nor GBK/GB18030; save it as UTF-8 or pass --encoding",
            )
        })
}

/// Decodes GB18030 strictly; on malformed input, the byte offset of the first bad sequence.
fn decode_gb18030(bytes: &[u8]) -> Result<Cow<'_, str>, usize> {
    let mut decoder = GB18030.new_decoder_without_bom_handling();
    let capacity = decoder
        .max_utf8_buffer_length_without_replacement(bytes.len())
        .unwrap_or(bytes.len());
    let mut out = String::with_capacity(capacity);
    let mut consumed = 0;
    loop {
        let rest = bytes.get(consumed..).unwrap_or_default();
        let (result, read) = decoder.decode_to_string_without_replacement(rest, &mut out, true);
        consumed += read;
        match result {
            DecoderResult::InputEmpty => return Ok(Cow::Owned(out)),
            DecoderResult::OutputFull => {
                let more = decoder
                    .max_utf8_buffer_length_without_replacement(rest.len().saturating_sub(read))
                    .unwrap_or(64)
                    .max(64);
                out.reserve(more);
            }
            DecoderResult::Malformed(bad, after) => {
                return Err(consumed.saturating_sub(usize::from(bad) + usize::from(after)));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{read_bytes, FileRecord, Format};
    use super::*;
    use jdy_member::ErrorKind;
    use serde_json::{json, Value};

    fn member(record: &FileRecord) -> Value {
        Value::Object(record.member.clone().unwrap())
    }

    #[test]
    fn utf8_bom_is_stripped() {
        let mut bytes = UTF8_BOM.to_vec();
        bytes.extend_from_slice("手机号,姓名\n13800138000,张三\n".as_bytes());
        for encoding in [TextEncoding::Auto, TextEncoding::Utf8] {
            let records = read_bytes(&bytes, Format::Csv, encoding).unwrap();
            assert_eq!(records.encoding, "utf-8 (BOM)");
            assert_eq!(
                member(&records.records[0]),
                json!({"mobile": "13800138000", "name": "张三"})
            );
        }
        let plain = read_bytes(b"mobile,name\n", Format::Csv, TextEncoding::Auto).unwrap();
        assert_eq!(plain.encoding, "utf-8");
    }

    #[test]
    fn gbk_bytes_keep_their_names() {
        let text = "手机号,姓名,性别\n13800138000,欧阳娜娜,女\n13900139000,张伟,男\n";
        let (bytes, _, unmappable) = encoding_rs::GB18030.encode(text);
        assert!(!unmappable);
        assert!(std::str::from_utf8(&bytes).is_err());
        for encoding in [TextEncoding::Auto, TextEncoding::Gb18030] {
            let records = read_bytes(&bytes, Format::Csv, encoding).unwrap();
            assert_eq!(records.encoding, "gb18030");
            assert_eq!(records.records.len(), 2);
            assert_eq!(
                member(&records.records[0]),
                json!({"mobile": "13800138000", "name": "欧阳娜娜", "sex_group": "2"})
            );
            assert_eq!(records.records[1].source["姓名"], json!("张伟"));
        }
        // A UTF-8 BOM in front of GB18030 text is dropped when the caller says GBK.
        let mut with_bom = UTF8_BOM.to_vec();
        with_bom.extend_from_slice(&bytes);
        let records = read_bytes(&with_bom, Format::Csv, TextEncoding::Gb18030).unwrap();
        assert_eq!(
            records.records[0].member.as_ref().unwrap()["name"],
            "欧阳娜娜"
        );
    }

    #[test]
    fn explicit_utf8_refuses_gbk_with_the_offset() {
        let (bytes, _, _) = encoding_rs::GB18030.encode("mobile,name\n13800138000,张三\n");
        let e = read_bytes(&bytes, Format::Csv, TextEncoding::Utf8).unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidArgument);
        assert!(e.message.contains("not valid UTF-8"), "{}", e.message);
        assert!(e.message.contains("offset 24"), "{}", e.message);
        assert!(e.message.contains("--encoding"), "{}", e.message);
    }

    #[test]
    fn undecodable_bytes_are_refused() {
        // 0x80 alone and 0xFF are malformed in both UTF-8 and GB18030.
        let bytes = b"mobile,name\n13800138000,\xFF\xFF\n";
        let e = read_bytes(bytes, Format::Csv, TextEncoding::Auto).unwrap_err();
        assert_eq!(
            e.message,
            "the file is neither UTF-8 nor GBK/GB18030; save it as UTF-8 or pass --encoding"
        );
        let e = read_bytes(bytes, Format::Csv, TextEncoding::Gb18030).unwrap_err();
        assert!(e.message.contains("offset 24"), "{}", e.message);
        let e = read_bytes(b"m\0o\0", Format::Csv, TextEncoding::Auto).unwrap_err();
        assert!(e.message.contains("UTF-16"), "{}", e.message);
    }

    #[test]
    fn utf16_with_bom() {
        let text = "手机号\t姓名\n13800138000\t张三\n";
        let mut le = vec![0xFF, 0xFE];
        let mut be = vec![0xFE, 0xFF];
        for unit in text.encode_utf16() {
            le.extend_from_slice(&unit.to_le_bytes());
            be.extend_from_slice(&unit.to_be_bytes());
        }
        for (bytes, name) in [(le, "utf-16le"), (be, "utf-16be")] {
            let records = read_bytes(&bytes, Format::Csv, TextEncoding::Auto).unwrap();
            assert_eq!(records.encoding, name);
            assert_eq!(
                member(&records.records[0]),
                json!({"mobile": "13800138000", "name": "张三"})
            );
        }
    }

    #[test]
    fn text_encoding_from_str() {
        for (name, encoding) in [
            ("auto", TextEncoding::Auto),
            ("AUTO", TextEncoding::Auto),
            ("utf-8", TextEncoding::Utf8),
            ("UTF8", TextEncoding::Utf8),
            ("gbk", TextEncoding::Gb18030),
            ("GB18030", TextEncoding::Gb18030),
            ("gb2312", TextEncoding::Gb18030),
        ] {
            assert_eq!(name.parse::<TextEncoding>(), Ok(encoding));
        }
        let e = "latin1".parse::<TextEncoding>().unwrap_err();
        for accepted in ["auto", "utf-8", "utf8", "gbk", "gb18030", "gb2312"] {
            assert!(e.contains(accepted), "{e}");
        }
    }
}
