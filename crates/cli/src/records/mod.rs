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
//! A file is read as a stream, in two passes, so that memory stays flat whatever its size:
//! `ImportFile::open` makes the first pass (the encoding, the header row and what its
//! columns hold, the count of records; nothing of the rows is kept), and
//! `ImportFile::each_record` the second, handing each record on as it is read; `check`
//! gives each its verdict as it comes (`verdicts`).
//!
//! The parts: `format` (which kind of file), `decode` (which encoding) and `decode_stream`
//! (bytes to text as a stream), `text_file` (the two passes over a text file), one module
//! per format (`csv`, `json`, `workbook`) that yields the file's `FileRecord`s in order;
//! tabular formats share `table` (rows of `cell`s under a header row), `survey` (what the
//! first pass learns of each column), `plan` (how each column is taken: the mapping, the
//! skip flags, the library's header table; `planned` the result, `plan_problems` what stops
//! it), `layout` (lines,
//! rows and column letters in messages) and `cells` (a cell to the value sent). What the
//! person importing says of the columns is a `ColumnChoices` (`choices`, with its
//! `ColumnMap`: `column_map`); a JSON file's keys take the mapping in `json_keys`. `check`
//! is the offline check of every record. A new format is one more module yielding
//! `FileRecord`s (a tabular one builds `TableRow`s).
//!
//! Imports go one way: `cell`, `layout`, `planned`, `column_map` and `decode` use no
//! sibling; `choices`, `survey`, `json_keys` and `decode_stream` only those; `plan_problems`
//! the choices and the planned columns, `plan` these and the survey; `cells` the cell and the
//! planned columns; `table` all of these; the formats `table`.

mod cell;
mod cells;
mod check;
mod choices;
mod column_map;
mod csv;
mod decode;
mod decode_stream;
mod format;
#[cfg(test)]
mod held;
mod json;
mod json_keys;
mod layout;
mod plan;
mod plan_problems;
mod planned;
mod survey;
mod table;
#[cfg(test)]
mod tests;
mod text_file;
mod workbook;

pub use check::{verdicts, Verdict};
pub use choices::{ColumnChoices, REJECT_REASON_HEADER};
pub use column_map::ColumnMap;
pub use decode::TextEncoding;
pub use format::Format;
pub use planned::PlannedColumn;
pub use text_file::ReadSeek;

use jdy_member::Error;
use serde_json::{Map, Value};
use std::io::Read;
use std::path::Path;
use text_file::TextFile;

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
        location(format, self.number)
    }
}

/// Where record `number` of a file in `format` is: "line 3", "item 3" or "row 3".
pub fn location(format: Format, number: usize) -> String {
    match format {
        Format::Csv | Format::JsonLines => format!("line {number}"),
        Format::Json => format!("item {number}"),
        Format::Workbook => format!("row {number}"),
    }
}

/// An import file after its first pass: how it is read, and its records to be read as a
/// stream by `each_record`.
pub struct ImportFile {
    pub format: Format,
    /// "utf-8", "utf-8 (BOM)", "gb18030", "utf-16le" or "utf-16be"; for a workbook "xlsx",
    /// "xls" or "ods".
    pub encoding: &'static str,
    /// The sheet a workbook's records come from.
    pub sheet: Option<SheetPlace>,
    /// A table's header row as the file has it (for a rejects file with the same columns);
    /// empty for JSON.
    pub header: Vec<String>,
    /// The headers of the columns left out (`--skip-columns`, `--skip-unknown-columns`,
    /// `--map HEADER=-`).
    pub skipped: Vec<String>,
    /// How many records the file holds (blank rows and lines are none).
    pub records: usize,
    reader: Reader,
}

enum Reader {
    Text(Box<TextFile>),
    Workbook(Box<workbook::Sheet>),
}

/// Where in a workbook the records are.
#[derive(Debug, Clone)]
pub struct SheetPlace {
    pub name: String,
    /// The row of the header row (the rows above it are title rows).
    pub header_row: usize,
}

/// How to read an import file: `--format`, `--encoding`, `--sheet`, and what the person
/// importing says of the columns (`--skip-columns`, `--skip-unknown-columns`, `--map`,
/// `--map-file`).
#[derive(Debug, Clone)]
pub struct ReadOptions {
    /// None means "from the extension".
    pub format: Option<Format>,
    pub encoding: TextEncoding,
    /// The sheet of a workbook; None: the first whose header row is recognised.
    pub sheet: Option<String>,
    pub columns: ColumnChoices,
}

impl ImportFile {
    /// Opens `path` as `options` say and makes the first pass over it; a file whose columns
    /// are not settled (an unknown column, a suggestion, ...) is refused with the one error
    /// naming them.
    // The import page's import opens files so; the commands show the plan first (`read`).
    pub fn open(path: &Path, options: &ReadOptions) -> Result<ImportFile, Error> {
        let file = ImportFile::read(path, options)?;
        file.ready()?;
        Ok(file)
    }

    /// Opens `path` as `options` say and makes the first pass over it, its columns planned
    /// but not necessarily settled: `columns` shows the plan, `replan` takes a mapping,
    /// `ready` says whether the records may be read. Errors are the file's own (it cannot
    /// be read or decoded, it has no header row).
    pub fn read(path: &Path, options: &ReadOptions) -> Result<ImportFile, Error> {
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
            let sheet = workbook::open(path, options.sheet.as_deref(), &options.columns)?;
            return Ok(ImportFile {
                format,
                encoding: sheet.kind,
                sheet: Some(SheetPlace {
                    name: sheet.name.clone(),
                    header_row: sheet.header_row,
                }),
                header: sheet.table.header.clone(),
                skipped: sheet.table.skipped(),
                records: sheet.records,
                reader: Reader::Workbook(Box::new(sheet)),
            });
        }
        if options.sheet.is_some() {
            return Err(Error::invalid_argument(format!(
                "--sheet is only for workbooks (.xlsx, .xlsm, .xls, .ods); leave it out for `{}`",
                path.display()
            )));
        }
        let cannot_read = |e: std::io::Error| {
            Error::invalid_argument(format!(
                "cannot read `{}` ({e}); check the path and that the file is readable",
                path.display()
            ))
        };
        let mut file = std::fs::File::open(path).map_err(cannot_read)?;
        let source: Box<dyn ReadSeek> = if file.metadata().map_err(cannot_read)?.is_file() {
            Box::new(std::io::BufReader::new(file))
        } else {
            // A pipe (`/dev/stdin`) cannot be read twice: it is held whole.
            let mut bytes = Vec::new();
            file.read_to_end(&mut bytes).map_err(cannot_read)?;
            Box::new(std::io::Cursor::new(bytes))
        };
        ImportFile::from_source(source, format, options.encoding, &options.columns)
    }

    /// Makes the first pass over the bytes of a text file (CSV, JSON lines, JSON), its
    /// columns not necessarily settled (see `read`).
    pub fn from_source(
        source: Box<dyn ReadSeek>,
        format: Format,
        encoding: TextEncoding,
        columns: &ColumnChoices,
    ) -> Result<ImportFile, Error> {
        let text = TextFile::open(source, format, encoding, columns)?;
        let (header, skipped) = match &text.table {
            Some(table) => (table.header.clone(), table.skipped()),
            None => (Vec::new(), Vec::new()),
        };
        Ok(ImportFile {
            format,
            encoding: text.encoding(),
            sheet: None,
            header,
            skipped,
            records: text.records,
            reader: Reader::Text(Box::new(text)),
        })
    }

    /// The plan of a table's columns (a CSV's or a sheet's): every column with a header or a
    /// value, with its first values, the field it goes to and how; empty for JSON.
    pub fn columns(&self) -> &[PlannedColumn] {
        match &self.reader {
            Reader::Text(text) => text.table.as_ref().map_or(&[], |t| t.columns()),
            Reader::Workbook(sheet) => sheet.table.columns(),
        }
    }

    /// Plans the columns again with `choices` (the import page's mapping): a table's from
    /// what the first pass saw, without reading the file again; a JSON file's keys are read
    /// again. The header row and the sheet stay those the first pass found.
    pub fn replan(&mut self, choices: &ColumnChoices) -> Result<(), Error> {
        match &mut self.reader {
            Reader::Text(text) => text.replan(choices)?,
            Reader::Workbook(sheet) => sheet.table.replan(choices),
        }
        self.skipped = match &self.reader {
            Reader::Text(text) => text.table.as_ref().map(|t| t.skipped()).unwrap_or_default(),
            Reader::Workbook(sheet) => sheet.table.skipped(),
        };
        Ok(())
    }

    /// The sheets of a workbook that hold members (a recognised header row), for the import
    /// page to offer when there are several; empty for a text file.
    pub fn member_sheets(&mut self, choices: &ColumnChoices) -> Result<Vec<String>, Error> {
        match &mut self.reader {
            Reader::Text(_) => Ok(Vec::new()),
            Reader::Workbook(sheet) => sheet.member_sheets(choices),
        }
    }

    /// Whether the columns are settled, so that the records may be read; else the one error
    /// naming every column to settle (and every other problem of the header row).
    pub fn ready(&self) -> Result<(), Error> {
        match &self.reader {
            Reader::Text(text) => text.ready(),
            Reader::Workbook(sheet) => sheet.table.ready(),
        }
    }

    /// The mapping in use: every column with a header, to its field or to None (left out);
    /// for JSON the mapping given. What `--save-map` writes and `--map-file` reads back.
    pub fn mapping(&self) -> ColumnMap {
        match &self.reader {
            Reader::Text(text) => text.mapping(),
            Reader::Workbook(sheet) => sheet.table.mapping(),
        }
    }

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

    /// The second pass: hands `each` every record, in file order, as it is read. Stops at
    /// the first error, of the file or of `each`; a file whose columns are not settled, or
    /// that no longer holds what the first pass found, is an error.
    pub fn each_record(
        &mut self,
        each: &mut dyn FnMut(FileRecord) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let count = match &mut self.reader {
            Reader::Text(text) => text.each_record(each)?,
            Reader::Workbook(sheet) => sheet.each_record(each)?,
        };
        if count != self.records {
            return Err(changed_while_read(&format!(
                "it holds {count} records, not {}",
                self.records
            )));
        }
        Ok(())
    }

    /// Every record, held: for small inputs (`save`'s standard input) and tests.
    pub fn collect(&mut self) -> Result<Vec<FileRecord>, Error> {
        let mut records = Vec::with_capacity(self.records);
        self.each_record(&mut |record| {
            records.push(record);
            Ok(())
        })?;
        Ok(records)
    }
}

/// The error for a file that changed between the passes (saved again from Excel while it
/// was being imported).
fn changed_while_read(what: &str) -> Error {
    Error::invalid_argument(format!(
        "the file changed while it was being read ({what}); leave it alone until the command ends, and run the command again (an import: with --resume)"
    ))
}

/// Reads JSON text that holds one member, an array of members, or JSON lines: what
/// `jdy-member save` takes on stdin. Also says whether it held many.
pub fn read_json_text(text: &str) -> Result<(Vec<FileRecord>, bool), Error> {
    let text = jdy_member::input::without_bom(text);
    let (format, many) = match serde_json::from_str::<Value>(text) {
        Ok(Value::Array(_)) => (Format::Json, true),
        Ok(Value::Object(_)) => (Format::Json, false),
        _ => (Format::JsonLines, true),
    };
    let source = Box::new(std::io::Cursor::new(text.as_bytes().to_vec()));
    let mut file = ImportFile::from_source(
        source,
        format,
        TextEncoding::Utf8,
        &ColumnChoices::default(),
    )?;
    file.ready()?;
    Ok((file.collect()?, many))
}
