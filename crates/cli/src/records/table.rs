//! Tables: rows of cells under a header row, the shape of a CSV file and of a workbook's
//! sheet. The rows are read twice, as a stream: the first pass (`survey`) learns what the
//! header needs of the whole table, the header row is then mapped to fields once
//! (`header`), and in the second pass (`each_record`) each row becomes a record on its own:
//! its member (`cells`) and its source for the rejects file. Blank rows are skipped; a row
//! with too few or too many cells is a bad record.

use super::cells;
use super::header::{self, Column};
use super::unknown_columns::ColumnChoices;
use super::FileRecord;
use jdy_member::Error;
use serde_json::{Map, Value};
use std::borrow::Cow;

/// One cell as the file holds it: all of a CSV is text; a workbook also stores numbers,
/// dates, booleans and the errors of failed formulas (a formula gives its cached value).
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Cell {
    Text(String),
    /// Excel stores every number as a double: a mobile is 13800138000.0 in the file.
    Number(f64),
    /// A date cell: `YYYY-MM-DD`, and the time of day when it is not midnight.
    Date {
        date: String,
        time: Option<String>,
    },
    Bool(bool),
    /// The error a formula left in the cell (`#N/A`, `#DIV/0!`, ...).
    Error(String),
    Empty,
}

impl Cell {
    /// The cell as text, as a person reads it in the spreadsheet (for the rejects file and
    /// for cells whose field takes any text): an integer-valued number without `.0` or an
    /// exponent, a date as `YYYY-MM-DD`.
    pub fn text(&self) -> Cow<'_, str> {
        match self {
            Cell::Text(text) => Cow::Borrowed(text),
            Cell::Number(number) => Cow::Owned(number_text(*number)),
            Cell::Date { date, time: None } => Cow::Borrowed(date),
            Cell::Date {
                date,
                time: Some(time),
            } => Cow::Owned(format!("{date} {time}")),
            Cell::Bool(true) => Cow::Borrowed("TRUE"),
            Cell::Bool(false) => Cow::Borrowed("FALSE"),
            Cell::Error(error) => Cow::Borrowed(error),
            Cell::Empty => Cow::Borrowed(""),
        }
    }

    pub fn is_blank(&self) -> bool {
        match self {
            Cell::Text(text) => text.trim().is_empty(),
            Cell::Empty => true,
            _ => false,
        }
    }
}

/// The largest integer a double holds exactly (2^53): above it, digits may be lost.
pub(super) const EXACT_INTEGER_LIMIT: f64 = 9_007_199_254_740_992.0;

/// A number as its integer text when it is one a double holds exactly (`13800138000`),
/// else the shortest text that reads back as the same double (`3.5`).
pub(super) fn number_text(number: f64) -> String {
    if number.fract() == 0.0 && number.abs() <= EXACT_INTEGER_LIMIT {
        format!("{number:.0}")
    } else {
        format!("{number}")
    }
}

/// How places in a table are named in messages: a CSV's physical lines and column
/// numbers, or a sheet's rows and column letters as Excel shows them.
#[derive(Debug, Clone)]
pub(super) enum Layout {
    Text,
    Sheet { name: String, header_row: usize },
}

impl Layout {
    /// "line 3", or "row 3" of a sheet.
    pub fn row(&self, number: usize) -> String {
        match self {
            Layout::Text => format!("line {number}"),
            Layout::Sheet { .. } => format!("row {number}"),
        }
    }

    /// The 0-based column `index` as the file's user knows it: "3", or the letter "C".
    pub fn column(&self, index: usize) -> String {
        match self {
            Layout::Text => (index + 1).to_string(),
            Layout::Sheet { .. } => column_letters(index),
        }
    }

    /// Where the header row is, for the start of a message about it.
    pub fn header_row(&self) -> String {
        match self {
            Layout::Text => "the CSV header row".to_string(),
            Layout::Sheet { name, header_row } => {
                format!("the header row (row {header_row} of sheet `{name}`)")
            }
        }
    }

    /// What to fix, for the end of a message about the header row.
    pub fn fix_header(&self) -> String {
        match self {
            Layout::Text => "Fix the first line of the file".to_string(),
            Layout::Sheet { name, header_row } => {
                format!("Fix row {header_row} of sheet `{name}`")
            }
        }
    }
}

/// A 0-based column index as Excel's letters: 0 → A, 25 → Z, 26 → AA.
pub(super) fn column_letters(index: usize) -> String {
    let mut letters = Vec::new();
    let mut n = index + 1;
    while n > 0 {
        let rest = (n - 1) % 26;
        letters.push(b'A' + rest as u8);
        n = (n - 1) / 26;
    }
    letters.reverse();
    String::from_utf8(letters).unwrap_or_default()
}

/// A row of a table with where it is in the file (for CSV, the physical line it starts
/// on; for a sheet, its row number as Excel shows it).
pub(super) struct TableRow {
    pub number: usize,
    pub cells: Vec<Cell>,
}

impl TableRow {
    pub fn is_blank(&self) -> bool {
        self.cells.iter().all(Cell::is_blank)
    }
}

/// What the first pass over a table's rows learns, without keeping them: how many records
/// there are and, per column, the first row with a value (an unnamed column is accepted only
/// when it has none, which only the last row can tell).
///
/// This is also the place for whatever else a column's values must tell before the header
/// is settled: issue 25's share of a column's non-empty cells that are mainland mobiles and
/// its first three values belong in `add`, beside `first_text`.
#[derive(Debug, Default)]
pub(super) struct TableSurvey {
    /// The rows with a value under the header: the records.
    pub rows: usize,
    /// For each column, the number of the first row with a value in it.
    first_text: Vec<Option<usize>>,
}

impl TableSurvey {
    /// Counts one row under the header.
    fn add(&mut self, row: &TableRow) {
        if row.is_blank() {
            return;
        }
        self.rows += 1;
        for (index, cell) in row.cells.iter().enumerate() {
            if cell.is_blank() {
                continue;
            }
            if self.first_text.len() <= index {
                self.first_text.resize(index + 1, None);
            }
            self.first_text[index].get_or_insert(row.number);
        }
    }

    /// The number of the first row with a value in column `index`, if any.
    fn first_text(&self, index: usize) -> Option<usize> {
        self.first_text.get(index).copied().flatten()
    }
}

/// The first pass over the rows under the header. A row the file cannot give (a damaged
/// workbook) ends the reading with its error.
pub(super) fn survey(
    rows: impl Iterator<Item = Result<TableRow, Error>>,
) -> Result<TableSurvey, Error> {
    let mut survey = TableSurvey::default();
    for row in rows {
        survey.add(&row?);
    }
    Ok(survey)
}

/// Hands `each` the record of every row with a value under the header, in order; returns how
/// many there were. Stops at the first error, of the file or of `each`.
pub(super) fn each_record(
    table: &Table,
    rows: impl Iterator<Item = Result<TableRow, Error>>,
    each: &mut dyn FnMut(FileRecord) -> Result<(), Error>,
) -> Result<usize, Error> {
    let mut count = 0;
    for row in rows {
        let row = row?;
        if row.is_blank() {
            continue;
        }
        count += 1;
        each(table.record(row))?;
    }
    Ok(count)
}

/// A header row mapped to fields, ready to turn rows into records.
pub(super) struct Table {
    /// The header row as it is in the file, for a rejects file with the same columns.
    pub header: Vec<String>,
    columns: Vec<Column>,
    /// Rows may stop before the empty trailing columns Excel leaves, but not before a used
    /// one: the fewest cells a row may have.
    width: usize,
    layout: Layout,
}

impl Table {
    /// The header row's columns mapped to fields, with what the first pass saw under them.
    pub fn new(
        header: Vec<String>,
        survey: &TableSurvey,
        layout: Layout,
        choices: &ColumnChoices,
    ) -> Result<Table, Error> {
        let columns =
            header::map_header(&header, |index| survey.first_text(index), &layout, choices)?;
        let width = columns
            .iter()
            .rposition(|c| *c != Column::Ignored)
            .map_or(0, |i| i + 1);
        Ok(Table {
            header,
            columns,
            width,
            layout,
        })
    }

    /// The headers of the columns left out on purpose (`--skip-columns` and the like).
    pub fn skipped(&self) -> Vec<String> {
        self.columns
            .iter()
            .zip(&self.header)
            .filter(|(column, _)| **column == Column::Skipped)
            .map(|(_, header)| header.trim().to_string())
            .collect()
    }

    fn record(&self, mut row: TableRow) -> FileRecord {
        if matches!(self.layout, Layout::Sheet { .. }) && row.cells.len() < self.columns.len() {
            // A sheet stores no empty cells: a row ends at its last value.
            row.cells.resize(self.columns.len(), Cell::Empty);
        }
        let count = row.cells.len();
        let member = if count < self.width || count > self.columns.len() {
            match self.layout {
                Layout::Text => {
                    let noun = if count == 1 { "cell" } else { "cells" };
                    Err(format!(
                        "has {count} {noun}, the header has {}",
                        self.columns.len()
                    ))
                }
                // A sheet's rows are as wide as the header (filled above), so only a cell
                // beyond the last header can be wrong.
                Layout::Sheet { .. } => Err(format!(
                    "has text in column {}, which has no header; give it a header or delete it",
                    self.layout.column(count.saturating_sub(1))
                )),
            }
        } else {
            cells::member(&self.columns, &row.cells)
        };
        FileRecord {
            number: row.number,
            member,
            source: self.source(&row.cells),
        }
    }

    /// The row as it appeared, keyed by the original header text; cells beyond the header
    /// are keyed "column N" so a ragged row is kept whole for the rejects file.
    fn source(&self, cells: &[Cell]) -> Value {
        let mut source = Map::new();
        for (index, cell) in cells.iter().enumerate() {
            let key = match self.header.get(index) {
                Some(name) if !name.trim().is_empty() => name.to_string(),
                Some(_) if cell.is_blank() => continue,
                _ => format!("column {}", self.layout.column(index)),
            };
            source.insert(key, Value::from(cell.text()));
        }
        Value::Object(source)
    }
}
