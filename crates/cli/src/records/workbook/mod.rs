//! Workbooks: the member list a shop's POS or Kingdee exported, read directly (.xlsx,
//! .xlsm, .xls, .ods), so nothing is lost in a "save as CSV" (a mobile shown as 1.38E+10
//! keeps its digits in the workbook).
//!
//! The parts: `container` (what the file really is, and the size limits checked before
//! anything is unpacked), `header_row` (the first row of recognised headers, below any
//! title rows), `rows` (a sheet's rows numbered as Excel shows them, each cell as Excel
//! stores it; an .xlsx read as a stream). The rows then become records like a CSV's
//! (`table`).

mod container;
mod header_row;
mod rows;

use super::header::accepted_headers;
use super::table::{self, Layout, TableRecords};
use super::unknown_columns::ColumnChoices;
use super::FileRecord;
use calamine::{Ods, OdsError, Reader, SheetType, SheetVisible, Xls, XlsError, Xlsx, XlsxError};
use container::Kind;
use header_row::Search;
use jdy_member::Error;
use rows::Rows;
use std::fs::File;
use std::io::{BufReader, Seek, SeekFrom};
use std::path::Path;

/// The records of one sheet of a workbook, and where they came from.
pub(super) struct SheetRecords {
    /// "xlsx", "xls" or "ods".
    pub kind: &'static str,
    pub sheet: String,
    pub header_row: usize,
    pub header: Vec<String>,
    pub skipped: Vec<String>,
    pub records: Vec<FileRecord>,
}

/// Reads the sheet named `sheet`, or else the first sheet whose header row is recognised.
pub(super) fn read(
    path: &Path,
    sheet: Option<&str>,
    choices: &ColumnChoices,
) -> Result<SheetRecords, Error> {
    let mut book = Book::open(path)?;
    let kind = book.kind_name();
    let (name, header_row) = match sheet {
        Some(name) => (name.to_string(), book.header_row_of(name)?),
        None => book.first_member_sheet()?,
    };
    let mut rows = book.rows(&name)?;
    // The rows before the header (title rows) are passed over again, now for good.
    let header = match header_row::find(&mut rows)? {
        Search::Found { number, header } if number == header_row => header,
        _ => return Err(container::damaged(path, &"the sheet changed while read")),
    };
    let layout = Layout::Sheet {
        name: name.clone(),
        header_row,
    };
    let TableRecords {
        header,
        skipped,
        records,
    } = table::records(header, rows, layout, choices)?;
    Ok(SheetRecords {
        kind,
        sheet: name,
        header_row,
        header,
        skipped,
        // The one place the rows of a workbook are gathered (issue 27 streams them on).
        records: records.collect(),
    })
}

/// An open workbook of any kind.
struct Book {
    path: String,
    reader: BookReader,
}

enum BookReader {
    Xlsx(Box<Xlsx<BufReader<File>>>),
    Xls(Box<Xls<BufReader<File>>>),
    Ods(Box<Ods<BufReader<File>>>),
}

impl Book {
    fn open(path: &Path) -> Result<Book, Error> {
        let open = || {
            File::open(path)
                .map(BufReader::new)
                .map_err(|e| container::unreadable(path, &e))
        };
        let mut file = open()?;
        let kind = container::inspect(path, &mut file)?;
        file.seek(SeekFrom::Start(0))
            .map_err(|e| container::unreadable(path, &e))?;
        let reader = match kind {
            Kind::Xlsx => match Xlsx::new(file) {
                Ok(book) => BookReader::Xlsx(Box::new(book)),
                Err(XlsxError::Password) => return Err(container::password_protected(path)),
                Err(e) => return Err(container::damaged(path, &e)),
            },
            Kind::Ods => match Ods::new(file) {
                Ok(book) => BookReader::Ods(Box::new(book)),
                Err(OdsError::Password) => return Err(container::password_protected(path)),
                Err(e) => return Err(container::damaged(path, &e)),
            },
            Kind::Xls => match Xls::new(file) {
                Ok(book) => BookReader::Xls(Box::new(book)),
                Err(XlsError::Password) => return Err(container::password_protected(path)),
                // Office wraps an .xlsx encrypted with a password in the container of an
                // .xls; the .xlsx reader recognises it.
                Err(e) => match Xlsx::new(open()?) {
                    Err(XlsxError::Password) => return Err(container::password_protected(path)),
                    _ => return Err(container::damaged(path, &e)),
                },
            },
        };
        Ok(Book {
            path: path.display().to_string(),
            reader,
        })
    }

    fn kind_name(&self) -> &'static str {
        match self.reader {
            BookReader::Xlsx(_) => "xlsx",
            BookReader::Xls(_) => "xls",
            BookReader::Ods(_) => "ods",
        }
    }

    /// The worksheets (not charts or macro sheets), each with whether it is shown.
    fn worksheets(&self) -> Vec<(String, bool)> {
        let sheets = match &self.reader {
            BookReader::Xlsx(book) => book.sheets_metadata(),
            BookReader::Xls(book) => book.sheets_metadata(),
            BookReader::Ods(book) => book.sheets_metadata(),
        };
        sheets
            .iter()
            .filter(|s| s.typ == SheetType::WorkSheet)
            .map(|s| (s.name.clone(), s.visible == SheetVisible::Visible))
            .collect()
    }

    /// The rows of the sheet `name`.
    fn rows(&mut self, name: &str) -> Result<Rows<'_>, Error> {
        let path = self.path.clone();
        let damaged =
            move |cause: &dyn std::fmt::Display| container::damaged(Path::new(&path), cause);
        match &mut self.reader {
            BookReader::Xlsx(book) => {
                let reader = book.worksheet_cells_reader(name).map_err(|e| damaged(&e))?;
                Ok(rows::xlsx_rows(reader, damaged))
            }
            BookReader::Xls(book) => {
                let range = book.worksheet_range(name).map_err(|e| damaged(&e))?;
                Ok(rows::range_rows(range))
            }
            BookReader::Ods(book) => {
                let range = book.worksheet_range(name).map_err(|e| damaged(&e))?;
                Ok(rows::range_rows(range))
            }
        }
    }

    fn search(&mut self, name: &str) -> Result<Search, Error> {
        let mut rows = self.rows(name)?;
        header_row::find(&mut rows)
    }

    /// The header row of the sheet `--sheet` names; an error when there is no such sheet
    /// or it has no header row.
    fn header_row_of(&mut self, name: &str) -> Result<usize, Error> {
        let sheets = self.worksheets();
        if !sheets.iter().any(|(sheet, _)| sheet == name) {
            return Err(Error::invalid_argument(format!(
                "`{}` has no sheet named `{name}`; its sheets are {}",
                self.path,
                sheets
                    .iter()
                    .map(|(sheet, _)| format!("`{sheet}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        match self.search(name)? {
            Search::Found { number, .. } => Ok(number),
            Search::NotFound { first } => Err(Error::invalid_argument(format!(
                "sheet `{name}` of `{}` has no header row of member fields (looked at its first {} rows with a value; it holds {}). {}",
                self.path,
                header_row::HEADER_SEARCH_ROWS,
                holds(first.as_ref()),
                expected_headers()
            ))),
        }
    }

    /// The first shown sheet whose header row is recognised; an error naming every sheet
    /// and what it holds when there is none.
    fn first_member_sheet(&mut self) -> Result<(String, usize), Error> {
        let mut seen = Vec::new();
        for (name, shown) in self.worksheets() {
            if !shown {
                seen.push(format!("`{name}` (hidden: choose it with --sheet)"));
                continue;
            }
            match self.search(&name)? {
                Search::Found { number, .. } => return Ok((name, number)),
                Search::NotFound { first } => {
                    seen.push(format!("`{name}` ({})", holds(first.as_ref())))
                }
            }
        }
        if seen.is_empty() {
            return Err(Error::invalid_argument(format!(
                "`{}` has no worksheet (only charts or macros); export the member list again",
                self.path
            )));
        }
        Err(Error::invalid_argument(format!(
            "no sheet of `{}` has a header row of member fields (looked at the first {} rows with a value of each): {}. {} Choose the sheet with --sheet NAME if it is another",
            self.path,
            header_row::HEADER_SEARCH_ROWS,
            seen.join("; "),
            expected_headers()
        )))
    }
}

/// What a sheet holds, from its first row with a value.
fn holds(first: Option<&table::TableRow>) -> String {
    match first {
        Some(row) => header_row::preview(row),
        None => "empty".to_string(),
    }
}

/// What a header row must look like.
fn expected_headers() -> String {
    format!(
        "A header row names the columns in one row above the members, at least 手机号 (mobile) and 姓名 (name); accepted headers (API name or Chinese label): {}.",
        accepted_headers()
    )
}
