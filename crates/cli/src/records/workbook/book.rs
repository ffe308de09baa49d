//! An open workbook of any kind, and what it holds: its worksheets, the rows of one of them,
//! and which sheet holds the members (the first whose header row is recognised, or the one
//! `--sheet` names).

use super::super::cell::TableRow;
use super::super::choices::ColumnChoices;
use super::super::plan_problems::accepted_headers;
use super::container::{self, Kind};
use super::header_row::{self, Search};
use super::rows::{self, Rows};
use calamine::{Ods, OdsError, Reader, SheetType, SheetVisible, Xls, XlsError, Xlsx, XlsxError};
use jdy_member::Error;
use std::fs::File;
use std::io::{BufReader, Seek, SeekFrom};
use std::path::Path;

/// An open workbook of any kind.
pub(super) struct Book {
    pub path: String,
    reader: BookReader,
}

enum BookReader {
    Xlsx(Box<Xlsx<BufReader<File>>>),
    Xls(Box<Xls<BufReader<File>>>),
    Ods(Box<Ods<BufReader<File>>>),
}

impl Book {
    pub fn open(path: &Path) -> Result<Book, Error> {
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

    pub fn kind_name(&self) -> &'static str {
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
    pub fn rows(&mut self, name: &str) -> Result<Rows<'_>, Error> {
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

    fn search(&mut self, name: &str, choices: &ColumnChoices) -> Result<Search, Error> {
        let mut rows = self.rows(name)?;
        header_row::find(&mut rows, choices)
    }

    /// The header row of the sheet `--sheet` names; an error when there is no such sheet
    /// or it has no header row.
    pub fn header_row_of(&mut self, name: &str, choices: &ColumnChoices) -> Result<usize, Error> {
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
        match self.search(name, choices)? {
            Search::Found { number } => Ok(number),
            Search::NotFound { first } => Err(Error::invalid_argument(format!(
                "sheet `{name}` of `{}` has no header row of member fields (looked at its first {} rows with a value; it holds {}). {}",
                self.path,
                header_row::HEADER_SEARCH_ROWS,
                holds(first.as_ref()),
                expected_headers()
            ))),
        }
    }

    /// The shown sheets whose header row is recognised (the import page offers them when
    /// there are several): each sheet's first rows are read, an .xls or .ods sheet whole.
    pub fn member_sheets(&mut self, choices: &ColumnChoices) -> Result<Vec<String>, Error> {
        let mut found = Vec::new();
        for (name, shown) in self.worksheets() {
            if shown && matches!(self.search(&name, choices)?, Search::Found { .. }) {
                found.push(name);
            }
        }
        Ok(found)
    }

    /// The first shown sheet whose header row is recognised; an error naming every sheet
    /// and what it holds when there is none.
    pub fn first_member_sheet(
        &mut self,
        choices: &ColumnChoices,
    ) -> Result<(String, usize), Error> {
        let mut seen = Vec::new();
        for (name, shown) in self.worksheets() {
            if !shown {
                seen.push(format!("`{name}` (hidden: choose it with --sheet)"));
                continue;
            }
            match self.search(&name, choices)? {
                Search::Found { number } => return Ok((name, number)),
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
fn holds(first: Option<&TableRow>) -> String {
    match first {
        Some(row) => header_row::preview(row),
        None => "empty".to_string(),
    }
}

/// What a header row must look like.
fn expected_headers() -> String {
    format!(
        "A header row names the columns in one row above the members, at least 手机号 (mobile) and 姓名 (name) (or map them with --map HEADER=FIELD). {}.",
        accepted_headers()
    )
}
