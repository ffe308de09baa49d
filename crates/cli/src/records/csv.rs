//! CSV (and tab-separated text named `.csv`): the decoded text parsed into rows numbered by
//! their physical line, the first row the header, the rest turned into records by `table`.
//! Read as a stream: one row at a time, whatever the size of the file.

use super::cell::{Cell, TableRow};
use super::decode_stream::DecodeReader;
use super::survey::{self, TableSurvey};
use super::table::{self, Table};
use super::FileRecord;
use jdy_member::Error;
use std::collections::VecDeque;
use std::io::{BufRead, Read};

/// The first pass: the header row, and what the rows under it tell (see `TableSurvey`).
pub(super) fn survey(text: &mut DecodeReader<'_>) -> Result<(Vec<String>, TableSurvey), Error> {
    let mut rows = CsvRows::new(text)?;
    let header = header(&mut rows)?;
    let survey = survey::survey(&header, rows)?;
    Ok((header, survey))
}

/// The second pass: hands `each` every record, in file order; returns how many there were.
pub(super) fn each_record(
    text: &mut DecodeReader<'_>,
    table: &Table,
    each: &mut dyn FnMut(FileRecord) -> Result<(), Error>,
) -> Result<usize, Error> {
    let mut rows = CsvRows::new(text)?;
    if header(&mut rows)? != table.header {
        return Err(super::changed_while_read("its header row is not the same"));
    }
    table::each_record(table, rows, each)
}

/// The first row's cells: the header.
fn header(rows: &mut CsvRows<'_, '_>) -> Result<Vec<String>, Error> {
    match rows.next().transpose()? {
        Some(header) if !header.is_blank() => Ok(header
            .cells
            .iter()
            .map(|cell| cell.text().into_owned())
            .collect()),
        _ => Err(Error::invalid_argument(
            "the CSV file has no header row; put the column names (e.g. 手机号,姓名 or mobile,name) on the first line",
        )),
    }
}

/// The rows of the file, the header included, each with the line it starts on.
struct CsvRows<'t, 'f> {
    reader: csv::Reader<LineCounter<&'t mut DecodeReader<'f>>>,
    record: csv::StringRecord,
}

impl<'t, 'f> CsvRows<'t, 'f> {
    fn new(text: &'t mut DecodeReader<'f>) -> Result<CsvRows<'t, 'f>, Error> {
        let delimiter = sniff_delimiter(text.fill_buf().map_err(unreadable)?);
        let reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(delimiter)
            .from_reader(LineCounter::new(text));
        Ok(CsvRows {
            reader,
            record: csv::StringRecord::new(),
        })
    }
}

impl Iterator for CsvRows<'_, '_> {
    type Item = Result<TableRow, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        match self.reader.read_record(&mut self.record) {
            Ok(false) => None,
            Err(e) => Some(Err(unreadable(e))),
            Ok(true) => {
                let byte = self.record.position().map_or(0, |p| p.byte());
                let number = self.reader.get_mut().line_at(byte);
                let cells = self
                    .record
                    .iter()
                    .map(|c| Cell::Text(c.to_string()))
                    .collect();
                Some(Ok(TableRow { number, cells }))
            }
        }
    }
}

fn unreadable(e: impl std::fmt::Display) -> Error {
    Error::invalid_argument(format!(
        "the CSV file could not be read ({e}); save it again from the spreadsheet as CSV"
    ))
}

/// Physical line numbers of CSV records, counted as the text streams through to the parser.
///
/// csv's `Position::line` points at the blank lines it skips before a record and counts
/// CRLF files wrong (csv 1.4), so the line is counted here from the record's byte offset:
/// the first byte after the skipped line breaks, and the `\n`s before it. The line breaks
/// the parser has read ahead are kept until a record passes them (a buffer's worth).
struct LineCounter<R> {
    inner: R,
    /// Bytes passed to the parser so far.
    passed: u64,
    /// Where each `\r` or `\n` not yet counted is, and whether it is a `\n`.
    breaks: VecDeque<(u64, bool)>,
    line: usize,
}

impl<R: Read> LineCounter<R> {
    fn new(inner: R) -> LineCounter<R> {
        LineCounter {
            inner,
            passed: 0,
            breaks: VecDeque::new(),
            line: 1,
        }
    }

    /// The line of the record whose parse started at `byte`; records come in file order.
    fn line_at(&mut self, byte: u64) -> usize {
        while let Some(&(at, newline)) = self.breaks.front() {
            if at >= byte {
                break;
            }
            self.line += usize::from(newline);
            self.breaks.pop_front();
        }
        // The line breaks the record starts with are blank lines the parser skipped.
        let mut start = byte;
        while let Some(&(at, newline)) = self.breaks.front() {
            if at != start {
                break;
            }
            self.line += usize::from(newline);
            self.breaks.pop_front();
            start += 1;
        }
        self.line
    }
}

impl<R: Read> Read for LineCounter<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        for (offset, byte) in buf[..n].iter().enumerate() {
            if matches!(byte, b'\r' | b'\n') {
                self.breaks
                    .push_back((self.passed + offset as u64, *byte == b'\n'));
            }
        }
        self.passed += n as u64;
        Ok(n)
    }
}

/// Comma, unless the header line has tabs and no commas: Excel's "Unicode text" export is
/// tab-separated UTF-16, and shops name it `.csv` anyway. `start` is the text's first chunk.
fn sniff_delimiter(start: &[u8]) -> u8 {
    let first_line = start.split(|b| *b == b'\n').next().unwrap_or_default();
    if first_line.contains(&b'\t') && !first_line.contains(&b',') {
        b'\t'
    } else {
        b','
    }
}
