//! Finding the header row of a sheet: shops' exports put a title row or two above it
//! ("会员资料导出 2026-12-01", often a merged cell), so the header row is the first row whose
//! cells are recognised headers (by the header table, or named by the mapping), looked for
//! among the first rows that have a value.

use super::super::cell::{Cell, TableRow};
use super::super::choices::ColumnChoices;
use jdy_member::headers::{self, Meaning};
use jdy_member::Error;

/// How many rows with a value are looked at for the header row: title rows are few.
pub(super) const HEADER_SEARCH_ROWS: usize = 20;

/// What the search found in a sheet.
pub(super) enum Search {
    /// The header row's number.
    Found { number: usize },
    /// No header row; the first row with a value, for a message saying what the sheet holds.
    NotFound { first: Option<TableRow> },
}

/// Reads rows until the header row; the rows after it are left in `rows`.
pub(super) fn find(
    rows: &mut dyn Iterator<Item = Result<TableRow, Error>>,
    choices: &ColumnChoices,
) -> Result<Search, Error> {
    let mut first = None;
    for row in rows.take(HEADER_SEARCH_ROWS) {
        let row = row?;
        if is_header(&row.cells, choices) {
            return Ok(Search::Found { number: row.number });
        }
        if first.is_none() {
            first = Some(row);
        }
    }
    Ok(Search::NotFound { first })
}

/// The cells of a header row as text.
pub(super) fn header_of(row: &TableRow) -> Vec<String> {
    row.cells.iter().map(|c| c.text().into_owned()).collect()
}

/// Whether a row is a header row: at least two of its text cells name member fields (for
/// certain or perhaps, or by the mapping; or look like typos of them, so the plan reports
/// those), or every one of them does. A title row has one cell, a data row has values that
/// name no field.
fn is_header(cells: &[Cell], choices: &ColumnChoices) -> bool {
    let texts: Vec<&str> = cells
        .iter()
        .filter(|c| !c.is_blank())
        .map(|c| match c {
            Cell::Text(text) => text.trim(),
            _ => "",
        })
        .collect();
    let named = texts
        .iter()
        .filter(|text| {
            !text.is_empty()
                && (headers::meaning(text) != Meaning::NotAField
                    || choices.map.entry_for(text).is_some())
        })
        .count();
    named >= 2 || (named >= 1 && named == texts.len())
}

/// A row in a few words, for a message: "row 1: 会员资料导出 2026-12-01 | 操作员".
pub(super) fn preview(row: &TableRow) -> String {
    let text: Vec<String> = row
        .cells
        .iter()
        .filter(|c| !c.is_blank())
        .map(|c| c.text().trim().to_string())
        .collect();
    let mut joined = text.join(" | ");
    if joined.chars().count() > 60 {
        joined = joined.chars().take(60).collect::<String>() + "…";
    }
    format!("row {}: {joined}", row.number)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(number: usize, cells: &[&str]) -> TableRow {
        TableRow {
            number,
            cells: cells
                .iter()
                .map(|c| {
                    if c.is_empty() {
                        Cell::Empty
                    } else {
                        Cell::Text(c.to_string())
                    }
                })
                .collect(),
        }
    }

    #[test]
    fn title_rows_are_passed_over() {
        let mut rows = vec![
            Ok(row(1, &["会员资料导出 2026-12-01", "", ""])),
            Ok(row(2, &["导出人", "张三"])),
            Ok(row(4, &["手机号", "姓名", "积分"])),
            Ok(row(5, &["13800138000", "李四", "10"])),
        ]
        .into_iter();
        let choices = ColumnChoices::default();
        match find(&mut rows, &choices).unwrap() {
            Search::Found { number } => assert_eq!(number, 4),
            Search::NotFound { .. } => panic!("the header row is row 4"),
        }
        assert_eq!(rows.next().unwrap().unwrap().number, 5);
        assert!(is_header(&row(1, &["手机号吗", "姓名"]).cells, &choices));
        assert!(is_header(&row(1, &["mobile"]).cells, &choices));
        assert!(is_header(
            &row(1, &["*手机号", "姓名（必填）"]).cells,
            &choices
        ));
        assert!(!is_header(&row(1, &["会员资料"]).cells, &choices));
        assert!(!is_header(
            &row(1, &["13800138000", "张三", "男"]).cells,
            &choices
        ));
        // Headers the table does not know, named by the mapping.
        let tel_customer = row(1, &["X1", "X2"]);
        assert!(!is_header(&tel_customer.cells, &choices));
        let mut mapped = ColumnChoices::default();
        mapped.map.set("X1".into(), Some("mobile"));
        mapped.map.set("X2".into(), Some("name"));
        assert!(is_header(&tel_customer.cells, &mapped));
    }
}
