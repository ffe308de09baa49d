//! What the first pass over a table's rows learns about each column, without keeping the
//! rows: what the header row needs of the whole table before it is settled. Per column only
//! counters and its first three values are kept, so memory stays flat whatever the size.
//!
//! - the first row with a value (an unnamed column is accepted only when it has none, which
//!   only the last row can tell);
//! - how many cells have a value and how many of them are mainland mobiles, by the member
//!   rule (`member::normalise_mobile`): a header that may be a phone column (`电话`) is taken
//!   only when its values confirm it, and a column of mobiles under a header the table does
//!   not know is suggested; counted only for the columns no header names for certain;
//! - its first three values, for the plan shown before anything is sent (the import page's
//!   column step shows them).

use super::cell::{Cell, TableRow};
use jdy_member::headers;
use jdy_member::Error;
use serde_json::Value;

/// How many of a column's first values are kept.
pub(super) const FIRST_VALUES: usize = 3;
/// How much of each first value is kept, in characters.
const VALUE_CHARS: usize = 40;

/// What the first pass learns of one column.
#[derive(Debug, Clone, Default)]
pub struct ColumnFacts {
    /// The number of the first row with a value in it.
    pub first_row: Option<usize>,
    /// How many cells have a value.
    pub values: usize,
    /// How many of them are mainland mobiles (counted where `counts_mobiles`).
    pub mobiles: usize,
    /// Whether `mobiles` was counted.
    pub counts_mobiles: bool,
    /// Its first values, each cut to a few dozen characters.
    pub first_values: Vec<String>,
}

impl ColumnFacts {
    /// Whether at least `percent` % of its values are mobiles (and it has some).
    pub fn mostly_mobiles(&self, percent: usize) -> bool {
        self.values > 0 && self.mobiles * 100 >= self.values * percent
    }

    fn add(&mut self, number: usize, cell: &Cell) {
        self.first_row.get_or_insert(number);
        self.values += 1;
        // Most columns are named for certain: after their first values, only counted.
        if !self.counts_mobiles && self.first_values.len() >= FIRST_VALUES {
            return;
        }
        let text = cell.text();
        let text = text.trim();
        if self.counts_mobiles && is_mobile(text) {
            self.mobiles += 1;
        }
        if self.first_values.len() < FIRST_VALUES {
            self.first_values
                .push(text.chars().take(VALUE_CHARS).collect());
        }
    }
}

/// Whether a cell is a mainland mobile by the member rule.
fn is_mobile(text: &str) -> bool {
    // A cheap look first: a mobile has 11 to 18 characters with the +86 and the spaces.
    (11..=20).contains(&text.len())
        && jdy_member::member::normalise_mobile(&Value::from(text)).is_ok()
}

/// The rows under a header row, counted, and what each column holds.
#[derive(Debug, Clone, Default)]
pub struct TableSurvey {
    /// The rows with a value under the header: the records.
    pub rows: usize,
    columns: Vec<ColumnFacts>,
}

impl TableSurvey {
    /// A survey of the columns under `header`, counting mobiles where no header names a
    /// field for certain.
    pub(super) fn new(header: &[String]) -> TableSurvey {
        let columns = header
            .iter()
            .map(|h| ColumnFacts {
                counts_mobiles: headers::meaning(h).field().is_none(),
                ..ColumnFacts::default()
            })
            .collect();
        TableSurvey { rows: 0, columns }
    }

    /// Counts one row under the header.
    pub(super) fn add(&mut self, row: &TableRow) {
        if row.is_blank() {
            return;
        }
        self.rows += 1;
        for (index, cell) in row.cells.iter().enumerate() {
            if cell.is_blank() {
                continue;
            }
            if self.columns.len() <= index {
                // A cell beyond the header: nothing to count but where text starts.
                self.columns.resize(index + 1, ColumnFacts::default());
            }
            self.columns[index].add(row.number, cell);
        }
    }

    /// What column `index` holds (nothing for a column no row reaches).
    pub fn column(&self, index: usize) -> ColumnFacts {
        self.columns.get(index).cloned().unwrap_or_default()
    }
}

/// The first pass over the rows under `header`. A row the file cannot give (a damaged
/// workbook) ends the reading with its error.
pub(super) fn survey(
    header: &[String],
    rows: impl Iterator<Item = Result<TableRow, Error>>,
) -> Result<TableSurvey, Error> {
    let mut survey = TableSurvey::new(header);
    for row in rows {
        survey.add(&row?);
    }
    Ok(survey)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(number: usize, cells: &[&str]) -> TableRow {
        TableRow {
            number,
            cells: cells.iter().map(|c| Cell::Text(c.to_string())).collect(),
        }
    }

    #[test]
    fn counters_and_the_first_three_values() {
        let header = vec!["手机".to_string(), "电话".to_string()];
        let rows = [
            row(2, &["13800138000", "021-5555 1234"]),
            row(3, &["", ""]),
            row(4, &["13800138001", "+86 139 0013 9000"]),
            row(5, &["13800138002", "13900139001"]),
            row(6, &["x", "13900139002", "beyond"]),
        ];
        let survey = survey(&header, rows.into_iter().map(Ok)).unwrap();
        assert_eq!(survey.rows, 4, "the blank row is none");
        let mobile = survey.column(0);
        assert!(!mobile.counts_mobiles, "手机 names mobile for certain");
        assert_eq!(
            mobile.first_values,
            ["13800138000", "13800138001", "13800138002"]
        );
        let phone = survey.column(1);
        assert_eq!((phone.values, phone.mobiles), (4, 3));
        assert!(phone.mostly_mobiles(75) && !phone.mostly_mobiles(95));
        assert_eq!(survey.column(2).first_row, Some(6));
        assert_eq!(survey.column(9).values, 0);
    }
}
