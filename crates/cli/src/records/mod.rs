//! Reading bulk-import files (CSV, JSON lines, JSON, workbooks) into member records.
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
//! format (`csv`, `json`, `workbook`) that yields the file's `FileRecord`s in order;
//! tabular formats share `table` (rows of cells under a header row), `header` (header text
//! to field), `unknown_columns` (columns that name no field: typos, columns to skip) and
//! `cells` (a cell to the value sent); `check` is the offline check of every record. A new
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
mod unknown_columns;
mod workbook;

pub use check::check;
pub use decode::TextEncoding;
pub use format::Format;
pub use unknown_columns::{ColumnChoices, REJECT_REASON_HEADER};

use jdy_member::Error;
use serde_json::{Map, Value};
use std::path::Path;

/// One record of an import file.
#[derive(Debug, Clone)]
pub struct FileRecord {
    /// 1-based: the physical line a CSV record starts on (the header is line 1; quoted line
    /// breaks and blank lines count) or of a JSON line; the item number in a JSON array;
    /// a workbook's row number as Excel shows it (title rows count).
    pub number: usize,
    /// The member as JSON object keyed by API field names, or why this record could not be read.
    pub member: Result<Map<String, Value>, String>,
    /// The record as it appeared (CSV: object of original header -> cell text; JSON: the value), for the rejects file.
    pub source: Value,
}

impl FileRecord {
    /// Where the record is, in the words a clerk uses to find it: "line 3", "item 3", or
    /// "row 3" of a sheet.
    pub fn location(&self, format: Format) -> String {
        match format {
            Format::Csv | Format::JsonLines => format!("line {}", self.number),
            Format::Json => format!("item {}", self.number),
            Format::Workbook => format!("row {}", self.number),
        }
    }
}

/// Every record of a file, with how it was read (reported so a wrong guess is visible).
#[derive(Debug)]
pub struct Records {
    pub format: Format,
    /// "utf-8", "utf-8 (BOM)", "gb18030", "utf-16le" or "utf-16be"; for a workbook "xlsx",
    /// "xls" or "ods".
    pub encoding: &'static str,
    /// The sheet a workbook's records come from.
    pub sheet: Option<SheetPlace>,
    /// A table's header row as the file has it (for a rejects file with the same columns);
    /// empty for JSON.
    pub header: Vec<String>,
    /// The headers of the columns left out (`--skip-columns`, `--skip-unknown-columns`).
    pub skipped: Vec<String>,
    pub records: Vec<FileRecord>,
}

/// Where in a workbook the records are.
#[derive(Debug, Clone)]
pub struct SheetPlace {
    pub name: String,
    /// The row of the header row (the rows above it are title rows).
    pub header_row: usize,
}

impl Records {
    /// How the file was read, for the first line a command prints: "utf-8", or
    /// "xlsx, sheet `会员资料`, header on row 3".
    pub fn how_read(&self) -> String {
        let mut how = self.encoding.to_string();
        if let Some(sheet) = &self.sheet {
            how.push_str(&format!(
                ", sheet `{}`, header on row {}",
                sheet.name, sheet.header_row
            ));
        }
        if !self.skipped.is_empty() {
            how.push_str(&format!("; columns left out: {}", self.skipped.join(", ")));
        }
        how
    }
}

/// How to read an import file: `--format`, `--encoding`, `--sheet` and the columns to
/// leave out.
#[derive(Debug, Clone)]
pub struct ReadOptions {
    /// None means "from the extension".
    pub format: Option<Format>,
    pub encoding: TextEncoding,
    /// The sheet of a workbook; None: the first whose header row is recognised.
    pub sheet: Option<String>,
    pub columns: ColumnChoices,
}

/// Reads `path` as `options` say.
pub fn read_file(path: &Path, options: &ReadOptions) -> Result<Records, Error> {
    let format = match options.format.or_else(|| Format::from_path(path)) {
        Some(format) => format,
        None => {
            return Err(Error::invalid_argument(format!(
                "cannot tell the format of `{}` from its extension; known extensions are {}; rename the file or give its format explicitly",
                path.display(),
                format::KNOWN_EXTENSIONS
            )))
        }
    };
    if format == Format::Workbook {
        let sheet = workbook::read(path, options.sheet.as_deref(), &options.columns)?;
        return Ok(Records {
            format,
            encoding: sheet.kind,
            sheet: Some(SheetPlace {
                name: sheet.sheet,
                header_row: sheet.header_row,
            }),
            header: sheet.header,
            skipped: sheet.skipped,
            records: sheet.records,
        });
    }
    if options.sheet.is_some() {
        return Err(Error::invalid_argument(format!(
            "--sheet is only for workbooks (.xlsx, .xlsm, .xls, .ods); leave it out for `{}`",
            path.display()
        )));
    }
    let bytes = std::fs::read(path).map_err(|e| {
        Error::invalid_argument(format!(
            "cannot read `{}` ({e}); check the path and that the file is readable",
            path.display()
        ))
    })?;
    read_text_file(&bytes, format, options.encoding, &options.columns)
}

/// Reads the contents of a text import file (CSV, JSON lines, JSON), every column taken.
pub fn read_bytes(bytes: &[u8], format: Format, encoding: TextEncoding) -> Result<Records, Error> {
    read_text_file(bytes, format, encoding, &ColumnChoices::default())
}

/// Reads the contents of a text import file, leaving out the columns `columns` says.
fn read_text_file(
    bytes: &[u8],
    format: Format,
    encoding: TextEncoding,
    columns: &ColumnChoices,
) -> Result<Records, Error> {
    let (text, encoding) = decode::decode(bytes, encoding)?;
    let (header, skipped, records) = match format {
        Format::Csv => {
            let table = csv::records(&text, columns)?;
            (table.header, table.skipped, table.records.collect())
        }
        Format::JsonLines => (vec![], vec![], json::line_records(&text)?.collect()),
        Format::Json => (vec![], vec![], json::array_records(&text)?.collect()),
        Format::Workbook => return Err(Error::invalid_argument(
            "a workbook is read from its file, not from text; name the file (.xlsx, .xls, .ods)",
        )),
    };
    Ok(Records {
        format,
        encoding,
        sheet: None,
        header,
        skipped,
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
