//! Workbooks: the member list a shop's POS or Kingdee exported, read directly (.xlsx,
//! .xlsm, .xls, .ods), so nothing is lost in a "save as CSV" (a mobile shown as 1.38E+10
//! keeps its digits in the workbook).
//!
//! The parts: `container` (what the file really is, and the size limits checked before
//! anything is unpacked), `book` (the open workbook, its sheets, which one holds the
//! members), `header_row` (the first row of recognised headers, below any title rows),
//! `rows` (a sheet's rows numbered as Excel shows them, each cell as Excel stores it; an
//! .xlsx read as a stream). The rows then become records like a CSV's (`table`), in two
//! passes over the sheet: the first learns what the header needs (`TableSurvey`), the
//! second hands the records on one at a time. An .xlsx sheet is never held; an .xls or
//! .ods sheet is loaded whole by its reader, once per pass.

mod book;
mod container;
mod header_row;
mod rows;

use super::choices::ColumnChoices;
use super::layout::Layout;
use super::survey;
use super::table::{self, Table};
use super::FileRecord;
use book::Book;
use jdy_member::Error;
use rows::Rows;
use std::path::Path;

/// The sheet of a workbook that holds the members, after the first pass over its rows.
pub(super) struct Sheet {
    book: Book,
    /// "xlsx", "xls" or "ods".
    pub kind: &'static str,
    pub name: String,
    pub header_row: usize,
    pub table: Table,
    /// How many records the first pass found.
    pub records: usize,
}

/// Opens the sheet named `sheet`, or else the first sheet whose header row is recognised,
/// and makes the first pass over its rows.
pub(super) fn open(
    path: &Path,
    sheet: Option<&str>,
    choices: &ColumnChoices,
) -> Result<Sheet, Error> {
    let mut book = Book::open(path)?;
    let kind = book.kind_name();
    let (name, header_row) = match sheet {
        Some(name) => (name.to_string(), book.header_row_of(name, choices)?),
        None => book.first_member_sheet(choices)?,
    };
    let (header, survey) = {
        let path = book.path.clone();
        let mut rows = book.rows(&name)?;
        let header = header_at(&mut rows, header_row, &path)?;
        let survey = survey::survey(&header, rows)?;
        (header, survey)
    };
    let layout = Layout::Sheet {
        name: name.clone(),
        header_row,
    };
    let records = survey.rows;
    let table = Table::new(header, survey, layout, choices);
    Ok(Sheet {
        book,
        kind,
        name,
        header_row,
        table,
        records,
    })
}

impl Sheet {
    /// The shown sheets of the workbook whose header row is recognised.
    pub fn member_sheets(&mut self, choices: &ColumnChoices) -> Result<Vec<String>, Error> {
        self.book.member_sheets(choices)
    }

    /// The second pass: hands `each` every record, in sheet order; returns how many there
    /// were.
    pub fn each_record(
        &mut self,
        each: &mut dyn FnMut(FileRecord) -> Result<(), Error>,
    ) -> Result<usize, Error> {
        let path = self.book.path.clone();
        let mut rows = self.book.rows(&self.name)?;
        if header_at(&mut rows, self.header_row, &path)? != self.table.header {
            return Err(super::changed_while_read("its header row is not the same"));
        }
        table::each_record(&self.table, rows, each)
    }
}

/// Passes over the rows before the header (title rows) and returns the header row, which
/// the sheet's first reading found at `number`.
fn header_at(rows: &mut Rows<'_>, number: usize, path: &str) -> Result<Vec<String>, Error> {
    for row in rows.by_ref() {
        let row = row?;
        if row.number == number {
            return Ok(header_row::header_of(&row));
        }
        if row.number > number {
            break;
        }
    }
    Err(container::damaged(
        Path::new(path),
        &"the sheet changed while read",
    ))
}
