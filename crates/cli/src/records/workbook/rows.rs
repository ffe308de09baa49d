//! A sheet's rows as table rows, numbered as Excel shows them (title rows and empty rows
//! count), each cell as Excel stores it. An .xlsx sheet is read as a stream of cells, so
//! memory does not grow with the sheet: a row is built from its cells and handed on, and
//! rows without a value (Excel's formatted but empty rows, to row 1,048,576) cost nothing.
//! An .xls or .ods sheet comes whole from its reader (their formats are read so: an .xls
//! holds at most 65,536 rows), and its rows are built from it one at a time.

use super::super::cell::{Cell, TableRow};
use calamine::{Data, DataRef, Range, XlsxCellReader};
use jdy_member::Error;
use std::io::{Read, Seek};

/// The rows of a sheet in file order; an error ends them (a damaged sheet).
pub(super) type Rows<'a> = Box<dyn Iterator<Item = Result<TableRow, Error>> + 'a>;

/// Makes the error for a sheet that cannot be read on (the file's name is the caller's).
pub(super) type Damaged<'a> = Box<dyn Fn(&dyn std::fmt::Display) -> Error + 'a>;

/// Excel's last column (XFD): a cell beyond it is damage, not data.
const MAX_COLUMNS: u32 = 16_384;

/// The rows of an .xlsx sheet as its cell reader streams them.
pub(super) fn xlsx_rows<'a, RS: Read + Seek>(
    reader: XlsxCellReader<'a, RS>,
    damaged: impl Fn(&dyn std::fmt::Display) -> Error + 'a,
) -> Rows<'a> {
    Box::new(XlsxRows {
        reader,
        pending: None,
        done: false,
        damaged: Box::new(damaged),
    })
}

struct XlsxRows<'a, RS: Read + Seek> {
    reader: XlsxCellReader<'a, RS>,
    /// The first cell of the next row, read while finishing the previous one.
    pending: Option<(u32, u32, Cell)>,
    done: bool,
    damaged: Damaged<'a>,
}

impl<RS: Read + Seek> XlsxRows<'_, RS> {
    /// The next cell with a value: (0-based row, 0-based column, value).
    fn next_cell(&mut self) -> Result<Option<(u32, u32, Cell)>, Error> {
        loop {
            let Some(cell) = self.reader.next_cell().map_err(|e| (self.damaged)(&e))? else {
                return Ok(None);
            };
            let (row, column) = cell.get_position();
            if column >= MAX_COLUMNS {
                return Err((self.damaged)(&format!(
                    "a cell in row {} lies beyond Excel's last column",
                    u64::from(row) + 1
                )));
            }
            let value = from_data_ref(cell.get_value());
            if !value.is_blank() {
                return Ok(Some((row, column, value)));
            }
        }
    }
}

impl<RS: Read + Seek> Iterator for XlsxRows<'_, RS> {
    type Item = Result<TableRow, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let first = match self.pending.take() {
            Some(cell) => cell,
            None => match self.next_cell() {
                Ok(Some(cell)) => cell,
                Ok(None) => {
                    self.done = true;
                    return None;
                }
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
            },
        };
        let row = first.0;
        let mut cells = Vec::new();
        place(&mut cells, first.1, first.2);
        loop {
            match self.next_cell() {
                Ok(Some((r, column, value))) if r == row => place(&mut cells, column, value),
                Ok(Some(other)) => {
                    self.pending = Some(other);
                    break;
                }
                Ok(None) => {
                    self.done = true;
                    break;
                }
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
            }
        }
        Some(Ok(TableRow {
            number: row as usize + 1,
            cells,
        }))
    }
}

/// Puts `value` in its column, filling the columns before it with empty cells.
fn place(cells: &mut Vec<Cell>, column: u32, value: Cell) {
    let column = column as usize;
    if cells.len() <= column {
        cells.resize(column + 1, Cell::Empty);
    }
    cells[column] = value;
}

/// The rows of a sheet an .xls or .ods reader loaded whole; rows without a value are left
/// out, numbers are the sheet's. Each row is built as it is asked for, so only the loaded
/// sheet is held.
pub(super) fn range_rows(range: Range<Data>) -> Rows<'static> {
    let (first_row, first_column) = range.start().unwrap_or((0, 0));
    Box::new(RangeRows {
        range,
        next: 0,
        first_row: first_row as usize,
        first_column,
    })
}

struct RangeRows {
    range: Range<Data>,
    /// The offset of the next row in the range.
    next: usize,
    first_row: usize,
    first_column: u32,
}

impl Iterator for RangeRows {
    type Item = Result<TableRow, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let offset = self.next;
            let row = self.range.rows().nth(offset)?;
            self.next += 1;
            let mut cells = Vec::new();
            for (index, data) in row.iter().enumerate() {
                let value = from_data(data);
                if !value.is_blank() {
                    place(&mut cells, self.first_column + index as u32, value);
                }
            }
            if !cells.is_empty() {
                return Some(Ok(TableRow {
                    number: self.first_row + offset + 1,
                    cells,
                }));
            }
        }
    }
}

/// An .xlsx cell's value as a table cell.
fn from_data_ref(value: &DataRef<'_>) -> Cell {
    match value {
        DataRef::Int(number) => Cell::Number(*number as f64),
        DataRef::Float(number) => Cell::Number(*number),
        DataRef::String(text) => Cell::Text(text.clone()),
        DataRef::SharedString(text) => Cell::Text((*text).to_string()),
        DataRef::Bool(value) => Cell::Bool(*value),
        DataRef::DateTime(date) => excel_date(date),
        DataRef::DateTimeIso(text) => iso_date(text),
        DataRef::DurationIso(text) => Cell::Text(text.clone()),
        DataRef::Error(error) => Cell::Error(error.to_string()),
        DataRef::Empty => Cell::Empty,
    }
}

/// An .xls or .ods cell's value as a table cell.
fn from_data(value: &Data) -> Cell {
    match value {
        Data::Int(number) => Cell::Number(*number as f64),
        Data::Float(number) => Cell::Number(*number),
        Data::String(text) => Cell::Text(text.clone()),
        Data::Bool(value) => Cell::Bool(*value),
        Data::DateTime(date) => excel_date(date),
        Data::DateTimeIso(text) => iso_date(text),
        Data::DurationIso(text) => Cell::Text(text.clone()),
        Data::Error(error) => Cell::Error(error.to_string()),
        Data::Empty => Cell::Empty,
    }
}

/// A date cell (a serial day number in the workbook's 1900 or 1904 system, which the
/// reader knows) as its calendar date; a duration stays the number it is.
fn excel_date(date: &calamine::ExcelDateTime) -> Cell {
    if !date.is_datetime() {
        return Cell::Number(date.as_f64());
    }
    let (year, month, day, hour, minute, second, _) = date.to_ymd_hms_milli();
    let time = (hour, minute, second) != (0, 0, 0);
    Cell::Date {
        date: format!("{year:04}-{month:02}-{day:02}"),
        time: time.then(|| format!("{hour:02}:{minute:02}:{second:02}")),
    }
}

/// An .ods date (`2001-05-07` or `2001-05-07T10:30:00`) as a date cell.
fn iso_date(text: &str) -> Cell {
    let (date, time) = text.split_once('T').unwrap_or((text, ""));
    let is_date = date.len() == 10
        && date.bytes().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    if !is_date {
        return Cell::Text(text.to_string());
    }
    let time = time.get(..8).filter(|t| *t != "00:00:00");
    Cell::Date {
        date: date.to_string(),
        time: time.map(str::to_string),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use calamine::{ExcelDateTime, ExcelDateTimeType};

    #[test]
    fn dates_in_both_systems_are_calendar_dates() {
        let date = |serial: f64, is_1904: bool| {
            excel_date(&ExcelDateTime::new(
                serial,
                ExcelDateTimeType::DateTime,
                is_1904,
            ))
        };
        let day = |text: &str| Cell::Date {
            date: text.to_string(),
            time: None,
        };
        assert_eq!(date(31_174.0, false), day("1985-05-07"));
        assert_eq!(date(29_712.0, true), day("1985-05-07"));
        assert_eq!(
            date(31_174.5, false),
            Cell::Date {
                date: "1985-05-07".into(),
                time: Some("12:00:00".into())
            }
        );
        assert_eq!(iso_date("2001-05-07"), day("2001-05-07"));
        assert_eq!(iso_date("2001-05-07T00:00:00"), day("2001-05-07"));
        assert_eq!(iso_date("May 7"), Cell::Text("May 7".into()));
    }
}
