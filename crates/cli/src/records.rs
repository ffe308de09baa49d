//! Reading bulk-import files (CSV, JSON lines, JSON) into member records.
//!
//! Shops export their members from Chinese Excel: CSV with Chinese headers, often in
//! GBK/GB18030, sometimes UTF-8 with a BOM, and code columns written as words (男, 有效).
//! This module only turns such a file into JSON objects keyed by API field names, each with
//! its place in the file; whether a member is acceptable is `member::validate`'s call.
//!
//! Problems with the file as a whole (it cannot be decoded, its header row is unusable)
//! are errors; a problem with one record is kept on that record so the rest still imports.

use encoding_rs::{DecoderResult, GB18030, UTF_16BE, UTF_16LE};
use jdy_member::fields::{self, Rule, MEMBER_FIELDS};
use jdy_member::input::{json_type_name, nearest};
use jdy_member::Error;
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::path::Path;
use std::str::FromStr;

/// The kind of file being imported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Comma-separated values with a header row (tab-separated is recognised too).
    Csv,
    /// One JSON object per line (`.jsonl`, `.ndjson`).
    JsonLines,
    /// One JSON array of objects, or a single object.
    Json,
}

/// The extensions `Format::from_path` knows, for messages.
const KNOWN_EXTENSIONS: &str = ".csv (CSV), .jsonl or .ndjson (JSON lines), .json (JSON)";

impl FromStr for Format {
    type Err = String;

    /// `csv`, `jsonl` (or `ndjson`) or `json`, any case.
    fn from_str(s: &str) -> Result<Format, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "csv" => Ok(Format::Csv),
            "jsonl" | "ndjson" => Ok(Format::JsonLines),
            "json" => Ok(Format::Json),
            _ => Err("use csv, jsonl or json".into()),
        }
    }
}

impl Format {
    /// The format a file's extension names (case-insensitive), if any.
    pub fn from_path(path: &Path) -> Option<Format> {
        path.extension()?.to_str()?.parse().ok()
    }
}

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

/// One record of an import file.
#[derive(Debug, Clone)]
pub struct Record {
    /// 1-based: the physical line a CSV record starts on (the header is line 1; quoted line
    /// breaks and blank lines count) or of a JSON line; the item number in a JSON array.
    pub number: usize,
    /// The member as JSON object keyed by API field names, or why this record could not be read.
    pub member: Result<Map<String, Value>, String>,
    /// The record as it appeared (CSV: object of original header -> cell text; JSON: the value), for the rejects file.
    pub source: Value,
}

impl Record {
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
    pub records: Vec<Record>,
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
                "cannot tell the format of `{}` from its extension; known extensions are {KNOWN_EXTENSIONS}; rename the file or give its format explicitly",
                path.display()
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
    let (text, encoding) = decode(bytes, encoding)?;
    let records = match format {
        Format::Csv => read_csv(&text)?,
        Format::JsonLines => read_json_lines(&text),
        Format::Json => read_json(&text)?,
    };
    Ok(Records {
        format,
        encoding,
        records,
    })
}

/// The API field a column header names: an API name (case-insensitive, trimmed), its
/// Chinese label or one of the other headers shop software exports.
pub fn header_field(header: &str) -> Option<&'static str> {
    fields::field_for_header(header).map(|f| f.name)
}

/// Every record checked offline, as it would be sent: a record that cannot be read, a
/// member that breaks a field rule, and a later row with the mobile of an earlier one
/// ("same mobile as line 6": the first is saved, whatever the concurrency) are errors.
pub fn check(records: &Records) -> Vec<Result<Map<String, Value>, Error>> {
    let checked: Vec<Result<Map<String, Value>, Error>> = records
        .records
        .iter()
        .map(|record| match &record.member {
            Ok(member) => jdy_member::member::validate(member),
            Err(problem) => Err(Error::invalid_argument(problem.clone())),
        })
        .collect();
    let valid: Vec<Option<&Map<String, Value>>> = checked.iter().map(|c| c.as_ref().ok()).collect();
    let earlier = jdy_member::batch::earlier_same_mobile(&valid);
    checked
        .into_iter()
        .zip(earlier)
        .map(|(result, earlier)| match earlier {
            Some(first) => Err(jdy_member::batch::duplicate_error(
                &records.records[first].location(records.format),
            )),
            None => result,
        })
        .collect()
}

/// Reads JSON text that holds one member, an array of members, or JSON lines: what
/// `jdy-member save` takes on stdin. Also says whether it held many.
pub fn read_json_text(text: &str) -> Result<(Records, bool), Error> {
    let text = text.trim_start_matches('\u{feff}');
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

// ---------------------------------------------------------------------------------------
// Decoding
// ---------------------------------------------------------------------------------------

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";
const UTF16LE_BOM: &[u8] = b"\xFF\xFE";
const UTF16BE_BOM: &[u8] = b"\xFE\xFF";

/// Turns the file into text and names the encoding used.
fn decode(bytes: &[u8], encoding: TextEncoding) -> Result<(Cow<'_, str>, &'static str), Error> {
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

// ---------------------------------------------------------------------------------------
// CSV
// ---------------------------------------------------------------------------------------

/// What one CSV column feeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    Field(&'static str),
    /// A column with an empty header and no text (Excel leaves such columns behind).
    Ignored,
}

/// A CSV row with the physical line it starts on.
struct Row {
    line: usize,
    cells: csv::StringRecord,
}

impl Row {
    fn is_blank(&self) -> bool {
        self.cells.iter().all(|cell| cell.trim().is_empty())
    }
}

fn read_csv(text: &str) -> Result<Vec<Record>, Error> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(sniff_delimiter(text))
        .from_reader(text.as_bytes());
    let mut lines = LineCounter::new(text.as_bytes());
    let mut rows = Vec::new();
    for result in reader.records() {
        let cells = result.map_err(|e| {
            Error::invalid_argument(format!(
                "the CSV file could not be read ({e}); save it again from the spreadsheet as CSV"
            ))
        })?;
        let byte = cells
            .position()
            .map_or(0, |p| usize::try_from(p.byte()).unwrap_or(usize::MAX));
        rows.push(Row {
            line: lines.line_at(byte),
            cells,
        });
    }
    let mut rows = rows.into_iter();
    let header = match rows.next() {
        Some(header) if !header.is_blank() => header.cells,
        _ => {
            return Err(Error::invalid_argument(
                "the CSV file has no header row; put the column names (e.g. 手机号,姓名 or mobile,name) on the first line",
            ))
        }
    };
    let rows: Vec<Row> = rows.filter(|row| !row.is_blank()).collect();
    let columns = map_header(&header, &rows)?;
    // Rows may stop before the empty trailing columns Excel leaves, but not before a used one.
    let width = columns
        .iter()
        .rposition(|c| *c != Column::Ignored)
        .map_or(0, |i| i + 1);
    Ok(rows
        .iter()
        .map(|row| {
            let count = row.cells.len();
            let member = if count < width || count > columns.len() {
                let noun = if count == 1 { "cell" } else { "cells" };
                Err(format!(
                    "has {count} {noun}, the header has {}",
                    columns.len()
                ))
            } else {
                csv_member(&columns, &row.cells)
            };
            Record {
                number: row.line,
                member,
                source: csv_source(&header, &row.cells),
            }
        })
        .collect())
}

/// Physical line numbers of CSV records.
///
/// csv's `Position::line` points at the blank lines it skips before a record and counts
/// CRLF files wrong (csv 1.4), so the line is counted here from the record's byte offset:
/// the first byte after the skipped line breaks, and the `\n`s before it.
struct LineCounter<'a> {
    bytes: &'a [u8],
    /// Where counting has reached, and the line that byte is on.
    at: usize,
    line: usize,
}

impl<'a> LineCounter<'a> {
    fn new(bytes: &'a [u8]) -> LineCounter<'a> {
        LineCounter {
            bytes,
            at: 0,
            line: 1,
        }
    }

    /// The line of the record whose parse started at `byte`; records come in file order.
    fn line_at(&mut self, byte: usize) -> usize {
        let mut start = byte.min(self.bytes.len());
        while matches!(self.bytes.get(start), Some(b'\r' | b'\n')) {
            start += 1;
        }
        if let Some(skipped) = self.bytes.get(self.at..start) {
            self.line += skipped.iter().filter(|b| **b == b'\n').count();
            self.at = start;
        }
        self.line
    }
}

/// Comma, unless the header line has tabs and no commas: Excel's "Unicode text" export is
/// tab-separated UTF-16, and shops name it `.csv` anyway.
fn sniff_delimiter(text: &str) -> u8 {
    let first_line = text.lines().next().unwrap_or_default();
    if first_line.contains('\t') && !first_line.contains(',') {
        b'\t'
    } else {
        b','
    }
}

/// Maps each header cell to its field; every problem with the header row is reported in
/// one error, so the shop fixes the export once.
fn map_header(header: &csv::StringRecord, rows: &[Row]) -> Result<Vec<Column>, Error> {
    let mut columns = Vec::with_capacity(header.len());
    let mut unknown = Vec::new();
    let mut problems = Vec::new();
    let mut seen: Vec<(&'static str, usize, &str)> = Vec::new();
    for (index, raw) in header.iter().enumerate() {
        let name = raw.trim();
        if name.is_empty() {
            let used = rows.iter().find(|row| {
                row.cells
                    .get(index)
                    .is_some_and(|cell| !cell.trim().is_empty())
            });
            match used {
                None => columns.push(Column::Ignored),
                Some(row) => problems.push(format!(
                    "column {} has no header but has text (first on line {}); give it a header or delete it",
                    index + 1,
                    row.line
                )),
            }
            continue;
        }
        match header_field(name) {
            Some(field) => {
                if let Some((_, first, first_name)) = seen.iter().find(|(f, _, _)| *f == field) {
                    problems.push(format!(
                        "columns {first} `{first_name}` and {} `{name}` both give `{field}`; keep one of them",
                        index + 1
                    ));
                } else {
                    seen.push((field, index + 1, name));
                }
                columns.push(Column::Field(field));
            }
            None => {
                unknown.push(match suggestion(name) {
                    Some(s) => format!("`{name}` (did you mean `{s}`?)"),
                    None => format!("`{name}`"),
                });
            }
        }
    }
    let mut missing = Vec::new();
    for required in ["mobile", "name"] {
        if !seen.iter().any(|(f, _, _)| *f == required) {
            missing.push(format!(
                "`{required}` ({})",
                labels_of(required).join(" / ")
            ));
        }
    }
    if !unknown.is_empty() {
        let noun = if unknown.len() == 1 {
            "header"
        } else {
            "headers"
        };
        problems.insert(0, format!("unknown column {noun} {}", unknown.join(", ")));
    }
    if !missing.is_empty() {
        problems.push(format!(
            "no column gives {}, which every member needs",
            missing.join(" or ")
        ));
    }
    if problems.is_empty() {
        return Ok(columns);
    }
    let mut message = format!("the CSV header row is not usable: {}", problems.join("; "));
    if !unknown.is_empty() || !missing.is_empty() {
        message.push_str(&format!(
            ". Accepted headers (API name or Chinese label): {}",
            accepted_headers()
        ));
    }
    message.push_str(". Fix the first line of the file and import again");
    Err(Error::invalid_argument(message))
}

/// The likely intended header: an API field name, else a Chinese label.
fn suggestion(unknown: &str) -> Option<&'static str> {
    let labels: Vec<&'static str> = MEMBER_FIELDS
        .iter()
        .flat_map(|f| std::iter::once(f.label).chain(f.aliases.iter().copied()))
        .collect();
    nearest(unknown, &fields::member_field_names()).or_else(|| nearest(unknown, &labels))
}

fn labels_of(field: &str) -> Vec<&'static str> {
    fields::member_field(field)
        .map(|f| {
            std::iter::once(f.label)
                .chain(f.aliases.iter().copied())
                .collect()
        })
        .unwrap_or_default()
}

/// "mobile (手机号 / 手机 / 手机号码), name (姓名 / ...), ...", in the seed's order.
fn accepted_headers() -> String {
    MEMBER_FIELDS
        .iter()
        .map(|field| format!("{} ({})", field.name, labels_of(field.name).join(" / ")))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The member of a well-shaped row: trimmed, non-empty cells, with the conveniences.
fn csv_member(columns: &[Column], cells: &csv::StringRecord) -> Result<Map<String, Value>, String> {
    let mut member = Map::new();
    for (column, cell) in columns.iter().zip(cells.iter()) {
        let Column::Field(field) = *column else {
            continue;
        };
        let cell = cell.trim();
        if cell.is_empty() {
            continue;
        }
        if let Some(value) = csv_value(field, cell)? {
            member.insert(field.to_string(), value);
        }
    }
    Ok(member)
}

/// A non-empty, trimmed cell as the value to send; None drops it (a label cell of only
/// separators). Only reading problems are errors; the member rules are checked later.
fn csv_value(field: &str, cell: &str) -> Result<Option<Value>, String> {
    let rule = fields::member_field(field).map(|f| f.rule);
    match (field, rule) {
        ("mobile", _) if is_scientific(cell) => Err(
            "mobile was saved by Excel in scientific notation (like 1.38E+10), which loses digits; format the column as text in Excel and export again"
                .to_string(),
        ),
        (_, Some(Rule::Label)) => {
            let labels: Vec<Value> = cell
                .split([',', ';', '，', '；', '、', '|'])
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(Value::from)
                .collect();
            Ok((!labels.is_empty()).then_some(Value::Array(labels)))
        }
        (_, Some(Rule::Date)) => Ok(Some(Value::from(
            padded_date(cell).unwrap_or_else(|| cell.to_string()),
        ))),
        _ => {
            let code = fields::member_field(field).and_then(|f| fields::code_for_word(f, cell));
            Ok(Some(Value::from(code.unwrap_or(cell))))
        }
    }
}

/// `2001/5/7`, `2001-5-7` or `2001.5.7` as `2001-05-07`; None for anything else. The
/// calendar is not checked here: member validation reports impossible dates.
fn padded_date(cell: &str) -> Option<String> {
    let separator = cell.chars().find(|c| matches!(c, '/' | '-' | '.'))?;
    let mut parts = cell.split(separator);
    let (year, month, day) = (parts.next()?, parts.next()?, parts.next()?);
    let digits = |s: &str, min: usize, max: usize| {
        (min..=max).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
    };
    (parts.next().is_none() && digits(year, 4, 4) && digits(month, 1, 2) && digits(day, 1, 2))
        .then(|| format!("{year}-{month:0>2}-{day:0>2}"))
}

/// Whether a cell looks like Excel's scientific notation (`1.38001E+10`).
fn is_scientific(cell: &str) -> bool {
    let Some((mantissa, exponent)) = cell.split_once(['e', 'E']) else {
        return false;
    };
    let exponent = exponent.strip_prefix('+').unwrap_or(exponent);
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, "0"));
    [whole, fraction, exponent]
        .iter()
        .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()))
}

/// The row as it appeared, keyed by the original header text; cells beyond the header are
/// keyed "column N" so a ragged row is kept whole for the rejects file.
fn csv_source(header: &csv::StringRecord, cells: &csv::StringRecord) -> Value {
    let mut source = Map::new();
    for (index, cell) in cells.iter().enumerate() {
        let key = match header.get(index) {
            Some(name) if !name.trim().is_empty() => name.to_string(),
            Some(_) if cell.trim().is_empty() => continue,
            _ => format!("column {}", index + 1),
        };
        source.insert(key, Value::from(cell));
    }
    Value::Object(source)
}

// ---------------------------------------------------------------------------------------
// JSON
// ---------------------------------------------------------------------------------------

fn read_json_lines(text: &str) -> Vec<Record> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(index, line)| {
            let number = index + 1;
            match serde_json::from_str::<Value>(line) {
                Ok(value) => json_record(number, value, "put one member object on each line"),
                Err(e) => Record {
                    number,
                    member: Err(format!(
                        "is not valid JSON ({e}); put one member object on each line"
                    )),
                    source: Value::from(line),
                },
            }
        })
        .collect()
}

fn read_json(text: &str) -> Result<Vec<Record>, Error> {
    let value: Value = serde_json::from_str(text).map_err(|e| {
        Error::invalid_argument(format!(
            "the file is not valid JSON ({e}); give an array of member objects or one object, or name the file .jsonl if it holds one object per line"
        ))
    })?;
    match value {
        Value::Array(items) => Ok(items
            .into_iter()
            .enumerate()
            .map(|(index, item)| json_record(index + 1, item, "every item must be a member object"))
            .collect()),
        Value::Object(_) => Ok(vec![json_record(1, value, "")]),
        other => Err(Error::invalid_argument(format!(
            "the JSON file holds {}, not an array of member objects or one object; wrap the members in [ ]",
            json_type_name(&other)
        ))),
    }
}

/// A record from a parsed JSON value, passed through as-is; non-objects are refused.
fn json_record(number: usize, value: Value, advice: &str) -> Record {
    let member = match &value {
        Value::Object(map) => Ok(map.clone()),
        other => Err(format!(
            "is {}, not a JSON object; {advice}",
            json_type_name(other)
        )),
    };
    Record {
        number,
        member,
        source: value,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jdy_member::ErrorKind;
    use serde_json::json;

    fn csv(text: &str) -> Vec<Record> {
        read_bytes(text.as_bytes(), Format::Csv, TextEncoding::Auto)
            .unwrap()
            .records
    }

    fn csv_error(text: &str) -> String {
        let e = read_bytes(text.as_bytes(), Format::Csv, TextEncoding::Auto).unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidArgument);
        e.message
    }

    fn member(record: &Record) -> Value {
        Value::Object(record.member.clone().unwrap())
    }

    #[test]
    fn csv_with_api_headers() {
        let records = csv("mobile,name,remark\n13800138000,张三,  老客户 \n");
        assert_eq!(records.len(), 1);
        assert_eq!(records[0].number, 2);
        assert_eq!(
            member(&records[0]),
            json!({"mobile": "13800138000", "name": "张三", "remark": "老客户"})
        );
        assert_eq!(
            records[0].source,
            json!({"mobile": "13800138000", "name": "张三", "remark": "  老客户 "})
        );
        // API names are matched case-insensitively and trimmed.
        let records = csv(" Mobile ,NAME\n13800138000,李四\n");
        assert_eq!(
            member(&records[0]),
            json!({"mobile": "13800138000", "name": "李四"})
        );
    }

    #[test]
    fn csv_with_chinese_headers_and_variants() {
        let records = csv("手机号码,会员姓名,会员级别,开卡门店,入会业务员\n13800138000,王五,1,850693217107061760,1\n");
        assert_eq!(
            member(&records[0]),
            json!({"mobile": "13800138000", "name": "王五", "level": "1",
                   "shop": "850693217107061760", "referrere_mp": "1"})
        );
        for field in MEMBER_FIELDS {
            assert_eq!(header_field(field.label), Some(field.name));
            for alias in field.aliases {
                assert_eq!(header_field(alias), Some(field.name));
            }
            assert_eq!(header_field(&field.name.to_uppercase()), Some(field.name));
        }
        assert_eq!(header_field("手机"), Some("mobile"));
        assert_eq!(header_field("会员名称"), Some("name"));
        assert_eq!(header_field("会员卡号"), None);
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
    fn unknown_headers_are_all_named_with_suggestions() {
        let message = csv_error("moblie,name,会员卡号,nmae\n13800138000,张三,1,x\n");
        assert!(
            message.contains("`moblie` (did you mean `mobile`?)"),
            "{message}"
        );
        assert!(message.contains("`会员卡号`"), "{message}");
        assert!(
            message.contains("`nmae` (did you mean `name`?)"),
            "{message}"
        );
        assert!(message.contains("no column gives `mobile`"), "{message}");
        assert!(message.contains("Accepted headers"), "{message}");
        assert!(message.contains("sex_group (性别)"), "{message}");
    }

    #[test]
    fn two_columns_for_one_field_are_refused() {
        let message = csv_error("手机号,姓名,手机\n13800138000,张三,13800138001\n");
        assert!(
            message.contains("columns 1 `手机号` and 3 `手机` both give `mobile`"),
            "{message}"
        );
    }

    #[test]
    fn missing_name_column_is_refused() {
        let message = csv_error("手机号,备注\n13800138000,x\n");
        assert!(message.contains("no column gives `name`"), "{message}");
        assert!(!message.contains("`mobile` ("), "{message}");
        let message = csv_error("");
        assert!(message.contains("no header row"), "{message}");
    }

    #[test]
    fn empty_trailing_header_columns_are_ignored() {
        let records = csv("手机号,姓名,,\n13800138000,张三,,\n13900139000,李四\n");
        assert_eq!(records.len(), 2);
        assert_eq!(
            member(&records[1]),
            json!({"mobile": "13900139000", "name": "李四"})
        );
        assert_eq!(
            records[0].source,
            json!({"手机号": "13800138000", "姓名": "张三"})
        );
        // ...but not when something is written under them.
        let message = csv_error("手机号,姓名,\n13800138000,张三,\n13900139000,李四,VIP\n");
        assert!(message.contains("column 3 has no header"), "{message}");
        assert!(message.contains("line 3"), "{message}");
    }

    #[test]
    fn ragged_row_is_an_err_record_on_its_line() {
        let records =
            csv("手机号,姓名,备注\n13800138000,张三,x\n13900139000,李四\n13700137000,王五,a,b\n");
        assert_eq!(records.len(), 3);
        assert!(records[0].member.is_ok());
        assert_eq!(records[1].number, 3);
        assert_eq!(
            records[1].member.as_ref().unwrap_err(),
            "has 2 cells, the header has 3"
        );
        assert_eq!(records[2].number, 4);
        assert_eq!(
            records[2].member.as_ref().unwrap_err(),
            "has 4 cells, the header has 3"
        );
        assert_eq!(records[2].source["column 4"], json!("b"));
        assert_eq!(records[2].location(Format::Csv), "line 4");
    }

    #[test]
    fn quoted_cells_keep_commas_and_newlines() {
        let text = "手机号,姓名,备注,详细地址\n\
                    13800138000,张三,\"第一行\n第二行\n第三行\",\"北京市,朝阳区\"\n\
                    13900139000,\"李,四\",,\n";
        let records = csv(text);
        assert_eq!(records.len(), 2);
        assert_eq!(records[0].number, 2);
        assert_eq!(
            member(&records[0]),
            json!({"mobile": "13800138000", "name": "张三",
                   "remark": "第一行\n第二行\n第三行", "detail_address": "北京市,朝阳区"})
        );
        assert_eq!(records[1].number, 5);
        assert_eq!(records[1].member.as_ref().unwrap()["name"], "李,四");
    }

    #[test]
    fn empty_rows_are_skipped_and_numbering_stays_physical() {
        let records = csv("手机号,姓名\n\n13800138000,张三\n,\n  ,  \n13900139000,李四\n\n");
        assert_eq!(records.len(), 2);
        assert_eq!(records[0].number, 3);
        assert_eq!(records[1].number, 6);
        // The same with Windows line ends and a quoted line break.
        let records =
            csv("手机号,姓名\r\n\r\n13800138000,\"张\r\n三\"\r\n\r\n\r\n13900139000,李四\r\n");
        assert_eq!(records.len(), 2);
        assert_eq!(records[0].number, 3);
        assert_eq!(records[1].number, 7);
        // Empty cells are left out of the member.
        let records = csv("手机号,姓名,备注,生日\n13800138000,张三,, \n");
        assert_eq!(
            member(&records[0]),
            json!({"mobile": "13800138000", "name": "张三"})
        );
    }

    #[test]
    fn labels_are_split() {
        let records = csv(
            "手机号,姓名,标签\n13800138000,张三,\"VIP, 老客户；会员日、生日|周末;\"\n13900139000,李四,\"，；\"\n",
        );
        assert_eq!(
            records[0].member.as_ref().unwrap()["label"],
            json!(["VIP", "老客户", "会员日", "生日", "周末"])
        );
        assert!(!records[1].member.as_ref().unwrap().contains_key("label"));
    }

    #[test]
    fn chinese_code_values_become_codes() {
        let records = csv(
            "手机号,姓名,性别,状态,是否删除,入会方式,有效期管理,会员来源\n\
             13800138001,甲,男,有效,否,营业员发展,长期有效,门店\n\
             13800138002,乙,女,失效,是,会员推荐,限期有效,微信\n\
             13800138003,丙,1,无效,未删除,2,1,电商\n\
             13800138004,丁,未知,1,已删除,1,2,微商城\n\
             13800138005,戊,2,0,0,1,1,自建商城\n",
        );
        let codes: Vec<Vec<&str>> = records
            .iter()
            .map(|r| {
                let m = r.member.as_ref().unwrap();
                [
                    "sex_group",
                    "enable",
                    "is_delete",
                    "join_way",
                    "period",
                    "source",
                ]
                .iter()
                .map(|f| m[*f].as_str().unwrap())
                .collect()
            })
            .collect();
        assert_eq!(
            codes,
            vec![
                vec!["1", "1", "0", "1", "1", "1"],
                vec!["2", "0", "1", "2", "2", "2"],
                vec!["1", "0", "0", "2", "1", "3"],
                vec!["未知", "1", "1", "1", "2", "4"],
                vec!["2", "0", "0", "1", "1", "5"],
            ]
        );
        // Meanings only count in their own column.
        let records = csv("手机号,姓名,备注\n13800138000,男,有效\n");
        assert_eq!(
            member(&records[0]),
            json!({"mobile": "13800138000", "name": "男", "remark": "有效"})
        );
    }

    #[test]
    fn dates_are_zero_padded() {
        let records = csv("手机号,姓名,生日,有效开始日期,有效结束日期\n\
             13800138000,张三,2001/5/7,2022-1-1,2023.12.31\n\
             13900139000,李四,2023-02-30,2022/01/1,5/7/2001\n\
             13700137000,王五,2001/5/7/1,2022年1月1日,20220101\n");
        let dates = |i: usize| {
            let m = records[i].member.as_ref().unwrap();
            (
                m["birthday"].clone(),
                m["start_date"].clone(),
                m["end_date"].clone(),
            )
        };
        assert_eq!(
            dates(0),
            (
                json!("2001-05-07"),
                json!("2022-01-01"),
                json!("2023-12-31")
            )
        );
        assert_eq!(
            dates(1),
            (json!("2023-02-30"), json!("2022-01-01"), json!("5/7/2001"))
        );
        assert_eq!(
            dates(2),
            (
                json!("2001/5/7/1"),
                json!("2022年1月1日"),
                json!("20220101")
            )
        );
        // Only date columns are rewritten.
        let records = csv("手机号,姓名,备注\n13800138000,张三,2001/5/7\n");
        assert_eq!(records[0].member.as_ref().unwrap()["remark"], "2001/5/7");
    }

    #[test]
    fn mobile_stays_text_and_scientific_notation_is_refused() {
        let records = csv("手机号,姓名\n013800138000,张三\n1.38001E+10,李四\n");
        assert_eq!(
            records[0].member.as_ref().unwrap()["mobile"],
            "013800138000"
        );
        let err = records[1].member.as_ref().unwrap_err();
        assert!(err.contains("scientific notation"), "{err}");
        assert!(!err.contains("1.38001"), "{err}");
    }

    #[test]
    fn json_lines_with_a_bad_line() {
        let text = "{\"mobile\":\"13800138000\",\"name\":\"张三\"}\r\n\n   \n{not json}\n[1,2]\n{\"mobile\":13900139000,\"name\":\"李四\",\"sex_group\":\"男\"}\n";
        let records = read_bytes(text.as_bytes(), Format::JsonLines, TextEncoding::Auto)
            .unwrap()
            .records;
        assert_eq!(
            records.iter().map(|r| r.number).collect::<Vec<_>>(),
            vec![1, 4, 5, 6]
        );
        assert!(records[0].member.is_ok());
        let bad = records[1].member.as_ref().unwrap_err();
        assert!(bad.contains("not valid JSON"), "{bad}");
        assert_eq!(records[1].source, json!("{not json}"));
        let array = records[2].member.as_ref().unwrap_err();
        assert!(array.contains("is an array, not a JSON object"), "{array}");
        assert_eq!(records[2].source, json!([1, 2]));
        // JSON values are passed through untouched: no conveniences.
        assert_eq!(
            member(&records[3]),
            json!({"mobile": 13900139000u64, "name": "李四", "sex_group": "男"})
        );
        assert_eq!(records[3].location(Format::JsonLines), "line 6");
    }

    #[test]
    fn json_array_with_a_non_object() {
        let text = r#"[{"mobile":"13800138000","name":"张三","label":"a,b"}, "x", null]"#;
        let records = read_bytes(text.as_bytes(), Format::Json, TextEncoding::Auto)
            .unwrap()
            .records;
        assert_eq!(records.len(), 3);
        assert_eq!(
            member(&records[0]),
            json!({"mobile": "13800138000", "name": "张三", "label": "a,b"})
        );
        assert_eq!(records[1].number, 2);
        assert!(records[1]
            .member
            .as_ref()
            .unwrap_err()
            .contains("is a string, not a JSON object"));
        assert_eq!(records[2].source, Value::Null);
        assert_eq!(records[2].location(Format::Json), "item 3");
    }

    #[test]
    fn json_single_object_and_bad_files() {
        let seed = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../examples/seed-member.json"
        ))
        .unwrap();
        let records = read_bytes(&seed, Format::Json, TextEncoding::Auto).unwrap();
        assert_eq!(records.records.len(), 1);
        let m = records.records[0].member.as_ref().unwrap();
        assert_eq!(m.len(), 22);
        assert_eq!(m["name"], "会员A");
        assert_eq!(m["label"], Value::Null);
        assert!(jdy_member::member::validate(m).is_ok());

        for bad in ["42", "\"x\"", "", "{\"a\":1}\n{\"b\":2}"] {
            let e = read_bytes(bad.as_bytes(), Format::Json, TextEncoding::Auto).unwrap_err();
            assert_eq!(e.kind, ErrorKind::InvalidArgument, "{bad}");
        }
    }

    #[test]
    fn example_members_csv() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/members.csv");
        let records = read_file(&path, None, TextEncoding::Auto).unwrap();
        assert_eq!(records.format, Format::Csv);
        assert_eq!(records.encoding, "utf-8");
        assert_eq!(records.records.len(), 20);
        let mut without_name = 0;
        for record in &records.records {
            let m = record.member.as_ref().unwrap();
            assert!(m.contains_key("mobile"), "{}", record.number);
            if !m.contains_key("name") {
                without_name += 1;
            }
        }
        assert_eq!(without_name, 1);
        let refused: Vec<Vec<String>> = records
            .records
            .iter()
            .filter_map(|r| jdy_member::member::validate(r.member.as_ref().unwrap()).err())
            .map(|e| e.fields.into_iter().map(|f| f.field).collect())
            .collect();
        assert_eq!(
            refused,
            vec![
                vec!["mobile".to_string()],
                vec!["name".to_string()],
                vec!["birthday".to_string()],
                vec!["sex_group".to_string()],
            ]
        );
    }

    #[test]
    fn read_file_needs_a_known_extension_and_a_readable_file() {
        let e = read_file(Path::new("members.xlsx"), None, TextEncoding::Auto).unwrap_err();
        assert!(e.message.contains(".jsonl"), "{}", e.message);
        let e = read_file(
            Path::new("/nonexistent/members.csv"),
            None,
            TextEncoding::Auto,
        )
        .unwrap_err();
        assert!(e.message.contains("cannot read"), "{}", e.message);
    }

    #[test]
    fn format_from_path() {
        assert_eq!(Format::from_path(Path::new("a.csv")), Some(Format::Csv));
        assert_eq!(Format::from_path(Path::new("A.CSV")), Some(Format::Csv));
        assert_eq!(
            Format::from_path(Path::new("dir/a.jsonl")),
            Some(Format::JsonLines)
        );
        assert_eq!(
            Format::from_path(Path::new("a.NDJSON")),
            Some(Format::JsonLines)
        );
        assert_eq!(Format::from_path(Path::new("a.Json")), Some(Format::Json));
        assert_eq!(Format::from_path(Path::new("a.xlsx")), None);
        assert_eq!(Format::from_path(Path::new("csv")), None);
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
