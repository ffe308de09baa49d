//! One cell of a table as the file holds it, and a row of them: all of a CSV is text; a
//! workbook also stores numbers, dates, booleans and the errors of failed formulas.

use std::borrow::Cow;

/// One cell as the file holds it (a formula gives its cached value).
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
