//! Reading bulk-import files (CSV, JSON lines, JSON) into member records.
//!
//! Shops export their members from Chinese Excel: CSV with Chinese headers, often in
//! GBK/GB18030, sometimes UTF-8 with a BOM, and code columns written as words (男, 有效).
//! This module only turns such a file into JSON objects keyed by API field names, each with
//! its place in the file; whether a member is acceptable is `member::validate`'s call.
//!
//! Problems with the file as a whole (it cannot be decoded, its header row is unusable)
//! are errors; a problem with one record is kept on that record so the rest still imports.
//!
//! The parts: `format` (which kind of file), `decode` (bytes to text), one module per
//! format (`csv`, `json`) that yields the file's `FileRecord`s in order; tabular formats
//! share `table` (rows under a header row), `header` (header text to field) and `cells`
//! (a cell's text to the value sent); `check` is the offline check of every record. A new
//! format is one more module yielding `FileRecord`s (a tabular one builds `TableRow`s).

mod cells;
mod check;
mod csv;
mod decode;
mod format;
mod header;
mod json;
mod table;
#[cfg(test)]
mod tests;

pub use check::check;
pub use decode::TextEncoding;
pub use format::Format;

use jdy_member::Error;
use serde_json::{Map, Value};
use std::path::Path;

/// One record of an import file.
#[derive(Debug, Clone)]
pub struct FileRecord {
    /// 1-based: the physical line a CSV record starts on (the header is line 1; quoted line
    /// breaks and blank lines count) or of a JSON line; the item number in a JSON array.
    pub number: usize,
    /// The member as JSON object keyed by API field names, or why this record could not be read.
    pub member: Result<Map<String, Value>, String>,
    /// The record as it appeared (CSV: object of original header -> cell text; JSON: the value), for the rejects file.
    pub source: Value,
}

impl FileRecord {
    /// Where the record is, in the words a clerk uses to find it: "line 3" or "item 3".
    pub fn location(&self, format: Format) -> String {
        match format {
            Format::Csv | Format::JsonLines => format!("line {}", self.number),
            Format::Json => format!("item {}", self.number),
        }
    }
}

/// Every record of a file, with how it was read (reported so a wrong guess is visible).
#[derive(Debug)]
pub struct Records {
    pub format: Format,
    /// "utf-8", "utf-8 (BOM)", "gb18030", "utf-16le" or "utf-16be".
    pub encoding: &'static str,
    pub records: Vec<FileRecord>,
}

/// Reads `path`; `format` None means "from the extension".
pub fn read_file(
    path: &Path,
    format: Option<Format>,
    encoding: TextEncoding,
) -> Result<Records, Error> {
    let format = match format.or_else(|| Format::from_path(path)) {
        Some(format) => format,
        None => {
            return Err(Error::invalid_argument(format!(
                "cannot tell the format of `{}` from its extension; known extensions are {}; rename the file or give its format explicitly",
                path.display(),
                format::KNOWN_EXTENSIONS
            )))
        }
    };
    let bytes = std::fs::read(path).map_err(|e| {
        Error::invalid_argument(format!(
            "cannot read `{}` ({e}); check the path and that the file is readable",
            path.display()
        ))
    })?;
    read_bytes(&bytes, format, encoding)
}

/// Reads the contents of an import file.
pub fn read_bytes(bytes: &[u8], format: Format, encoding: TextEncoding) -> Result<Records, Error> {
    let (text, encoding) = decode::decode(bytes, encoding)?;
    let records = match format {
        Format::Csv => csv::records(&text)?.collect(),
        Format::JsonLines => json::line_records(&text)?.collect(),
        Format::Json => json::array_records(&text)?.collect(),
    };
    Ok(Records {
        format,
        encoding,
        records,
    })
}

/// Reads JSON text that holds one member, an array of members, or JSON lines: what
/// `jdy-member save` takes on stdin. Also says whether it held many.
pub fn read_json_text(text: &str) -> Result<(Records, bool), Error> {
    let text = jdy_member::input::without_bom(text);
    let (format, many) = match serde_json::from_str::<Value>(text) {
        Ok(Value::Array(_)) => (Format::Json, true),
        Ok(Value::Object(_)) => (Format::Json, false),
        _ => (Format::JsonLines, true),
    };
    Ok((
        read_bytes(text.as_bytes(), format, TextEncoding::Utf8)?,
        many,
    ))
}
