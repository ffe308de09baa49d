//! CSV (and tab-separated text named `.csv`): the file parsed into rows numbered by their
//! physical line, the first row the header, the rest turned into records by `table`.

use super::table::{self, Cell, Layout, TableRecords, TableRow};
use super::unknown_columns::ColumnChoices;
use super::FileRecord;
use jdy_member::Error;

/// The records of a CSV file's text, in file order.
pub(super) fn records(
    text: &str,
    choices: &ColumnChoices,
) -> Result<TableRecords<impl Iterator<Item = FileRecord>>, Error> {
    let mut rows = rows(text)?.into_iter();
    let header = match rows.next() {
        Some(header) if !header.is_blank() => header
            .cells
            .iter()
            .map(|cell| cell.text().into_owned())
            .collect(),
        _ => {
            return Err(Error::invalid_argument(
                "the CSV file has no header row; put the column names (e.g. 手机号,姓名 or mobile,name) on the first line",
            ))
        }
    };
    table::records(header, rows.map(Ok), Layout::Text, choices)
}

/// Every row of the file, the header included, each with the line it starts on.
fn rows(text: &str) -> Result<Vec<TableRow>, Error> {
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
        rows.push(TableRow {
            number: lines.line_at(byte),
            cells: cells.iter().map(|c| Cell::Text(c.to_string())).collect(),
        });
    }
    Ok(rows)
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
