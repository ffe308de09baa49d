//! Which encoding an import file's bytes are in: UTF-8 (with or without a BOM), UTF-16 with a
//! BOM, GBK/GB18030 (what Chinese Excel writes), chosen by `--encoding` or guessed, and
//! strict: a file that does not decode is refused with the offset of its first bad byte
//! rather than imported with garbled names.
//!
//! The bytes are decoded as a stream (`decode_stream`), so the guess cannot look at the whole
//! file first. It is made as it would be with the whole file at hand: a byte-order mark
//! decides; else UTF-8 until a byte proves otherwise, then GB18030 from the start (the first
//! pass over the file reads it to the end, so the choice is final before a record is used);
//! else the file is refused. A prefix of the file makes the usual GBK file start as GB18030.

use encoding_rs::{Encoding, GB18030, UTF_16BE, UTF_16LE, UTF_8};
use jdy_member::Error;
use std::fmt;
use std::str::FromStr;

/// Why the bytes stopped decoding (`decode_stream` finds it, `after_problem` decides).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Problem {
    /// The first byte that does not decode, counted from the first byte after the BOM.
    Malformed { offset: u64 },
    /// A NUL byte in a file read without a byte-order mark.
    Nul,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Malformed { offset } => write!(f, "a byte that does not decode at {offset}"),
            Problem::Nul => write!(f, "a NUL byte"),
        }
    }
}

impl std::error::Error for Problem {}

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

/// How much of the file's start the guess looks at before decoding begins.
pub(super) const PREFIX_BYTES: usize = 64 << 10;

/// The encoding a file is being read in, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Chosen {
    pub encoding: &'static Encoding,
    /// Bytes of byte-order mark before the text.
    pub bom: usize,
    /// How the file is said to be read: "utf-8", "utf-8 (BOM)", "gb18030", "utf-16le", ...
    pub name: &'static str,
    /// What `--encoding` said.
    asked: TextEncoding,
    /// A guess of `Auto` that a bad byte may still overturn (UTF-8 without a BOM).
    tentative: bool,
}

impl Chosen {
    /// NUL bytes are valid UTF-8 and GB18030 alike, but no spreadsheet text has them: a guess
    /// without a byte-order mark refuses them (they mean UTF-16 without one).
    pub fn refuses_nul(&self) -> bool {
        self.asked == TextEncoding::Auto && self.bom == 0
    }
}

/// The first choice for a file that starts with `prefix`, as `asked`.
pub(super) fn choose(prefix: &[u8], asked: TextEncoding) -> Chosen {
    let utf8_bom = prefix.starts_with(UTF8_BOM);
    let bom = if utf8_bom { UTF8_BOM.len() } else { 0 };
    let chosen = |encoding, bom, name, tentative| Chosen {
        encoding,
        bom,
        name,
        asked,
        tentative,
    };
    let utf8_name = if utf8_bom { "utf-8 (BOM)" } else { "utf-8" };
    match asked {
        TextEncoding::Utf8 => chosen(UTF_8, bom, utf8_name, false),
        TextEncoding::Gb18030 => chosen(GB18030, bom, "gb18030", false),
        TextEncoding::Auto if utf8_bom => chosen(UTF_8, bom, utf8_name, false),
        TextEncoding::Auto if prefix.starts_with(UTF16LE_BOM) => {
            chosen(UTF_16LE, 2, "utf-16le", false)
        }
        TextEncoding::Auto if prefix.starts_with(UTF16BE_BOM) => {
            chosen(UTF_16BE, 2, "utf-16be", false)
        }
        TextEncoding::Auto if prefix_is_utf8(prefix) => chosen(UTF_8, 0, "utf-8", true),
        TextEncoding::Auto => chosen(GB18030, 0, "gb18030", false),
    }
}

/// Whether `prefix` is UTF-8, but for a character cut off at its end.
fn prefix_is_utf8(prefix: &[u8]) -> bool {
    match std::str::from_utf8(prefix) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none(),
    }
}

/// What to do when the bytes do not decode as `chosen`: try GB18030 from the start (a UTF-8
/// guess overturned), or refuse the file with what to do.
/// `prefix` is the file's start.
pub(super) fn after_problem(
    chosen: Chosen,
    problem: Problem,
    prefix: &[u8],
) -> Result<Chosen, Error> {
    if chosen.tentative && problem != Problem::Nul {
        return Ok(Chosen {
            encoding: GB18030,
            name: "gb18030",
            tentative: false,
            ..chosen
        });
    }
    Err(refusal(chosen, problem, prefix))
}

/// The error for a file that does not decode as `chosen`.
fn refusal(chosen: Chosen, problem: Problem, prefix: &[u8]) -> Error {
    let offset = match problem {
        Problem::Nul => return nul_refusal(),
        Problem::Malformed { offset } => offset + chosen.bom as u64,
    };
    let utf16_bom = prefix.starts_with(UTF16LE_BOM) || prefix.starts_with(UTF16BE_BOM);
    let message = match (chosen.asked, chosen.encoding.name()) {
        (TextEncoding::Utf8, _) => format!(
            "the file is not valid UTF-8: the first bad byte is at offset {offset}{}; save it as UTF-8, or pass --encoding gbk (or auto) if it came from Chinese Excel",
            if utf16_bom { " (it starts with a UTF-16 byte-order mark)" } else { "" }
        ),
        (TextEncoding::Gb18030, _) => format!(
            "the file is not valid GBK/GB18030 text: the first bad byte is at offset {offset}; save it as UTF-8, or pass --encoding utf-8 (or auto)"
        ),
        (TextEncoding::Auto, "UTF-8") => format!(
            "the file starts with a UTF-8 byte-order mark but is not valid UTF-8: the first bad byte is at offset {offset}; save it again as UTF-8, or pass --encoding gbk if it is GBK"
        ),
        (TextEncoding::Auto, "UTF-16LE" | "UTF-16BE") => format!(
            "the file starts with a {} byte-order mark but is not valid {} text; save it as UTF-8",
            chosen.name, chosen.name
        ),
        (TextEncoding::Auto, _) => {
            "the file is neither UTF-8 nor GBK/GB18030; save it as UTF-8 or pass --encoding"
                .to_string()
        }
    };
    Error::invalid_argument(message)
}

/// The error for a file with NUL bytes read without a byte-order mark.
pub(super) fn nul_refusal() -> Error {
    Error::invalid_argument(
        "the file contains NUL bytes: it is probably UTF-16 without a byte-order mark, or not a text file; save it as UTF-8",
    )
}

#[cfg(test)]
#[path = "decode_tests.rs"]
mod tests;
