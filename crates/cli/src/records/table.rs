//! Tables: rows of text cells under a header row, the shape of a CSV file (and of any
//! other spreadsheet format). The header row is mapped to fields once (`header`), then each
//! row becomes a record on its own: its member (`cells`) and its source for the rejects
//! file. Blank rows are skipped; a row with too few or too many cells is a bad record.

use super::cells;
use super::header::{self, Column};
use super::FileRecord;
use jdy_member::Error;
use serde_json::{Map, Value};

/// A row of a table with where it is in the file (for CSV, the physical line it starts on).
pub(super) struct TableRow {
    pub number: usize,
    pub cells: Vec<String>,
}

impl TableRow {
    pub fn is_blank(&self) -> bool {
        self.cells.iter().all(|cell| cell.trim().is_empty())
    }
}

/// The records of the rows under `header`, in order.
///
/// Every row is read before the first record is given: an unnamed column is only accepted
/// when no row has text in it, and that is known only at the end.
pub(super) fn records(
    header: Vec<String>,
    rows: impl Iterator<Item = TableRow>,
) -> Result<impl Iterator<Item = FileRecord>, Error> {
    let rows: Vec<TableRow> = rows.filter(|row| !row.is_blank()).collect();
    let table = Table::new(header, &rows)?;
    Ok(rows.into_iter().map(move |row| table.record(row)))
}

/// A header row mapped to fields, ready to turn rows into records.
struct Table {
    header: Vec<String>,
    columns: Vec<Column>,
    /// Rows may stop before the empty trailing columns Excel leaves, but not before a used
    /// one: the fewest cells a row may have.
    width: usize,
}

impl Table {
    fn new(header: Vec<String>, rows: &[TableRow]) -> Result<Table, Error> {
        let columns = header::map_header(&header, |index| {
            rows.iter()
                .find(|row| {
                    row.cells
                        .get(index)
                        .is_some_and(|cell| !cell.trim().is_empty())
                })
                .map(|row| row.number)
        })?;
        let width = columns
            .iter()
            .rposition(|c| *c != Column::Ignored)
            .map_or(0, |i| i + 1);
        Ok(Table {
            header,
            columns,
            width,
        })
    }

    fn record(&self, row: TableRow) -> FileRecord {
        let count = row.cells.len();
        let member = if count < self.width || count > self.columns.len() {
            let noun = if count == 1 { "cell" } else { "cells" };
            Err(format!(
                "has {count} {noun}, the header has {}",
                self.columns.len()
            ))
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
    fn source(&self, cells: &[String]) -> Value {
        let mut source = Map::new();
        for (index, cell) in cells.iter().enumerate() {
            let key = match self.header.get(index) {
                Some(name) if !name.trim().is_empty() => name.to_string(),
                Some(_) if cell.trim().is_empty() => continue,
                _ => format!("column {}", index + 1),
            };
            source.insert(key, Value::from(cell.as_str()));
        }
        Value::Object(source)
    }
}
