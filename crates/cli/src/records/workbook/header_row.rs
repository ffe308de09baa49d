//! Finding the header row of a sheet: shops' exports put a title row or two above it
//! ("会员资料导出 2026-12-01", often a merged cell), so the header row is the first row whose
//! cells are recognised headers, looked for among the first rows that have a value.

use super::super::header::header_field;
use super::super::table::{Cell, TableRow};
use super::super::unknown_columns::{classify, Unknown};
use jdy_member::Error;

/// How many rows with a value are looked at for the header row: title rows are few.
pub(super) const HEADER_SEARCH_ROWS: usize = 20;

/// What the search found in a sheet.
pub(super) enum Search {
    /// The header row: its number and its cells as text.
    Found { number: usize, header: Vec<String> },
    /// No header row; the first row with a value, for a message saying what the sheet holds.
    NotFound { first: Option<TableRow> },
}

/// Reads rows until the header row; the rows after it are left in `rows`.
pub(super) fn find(
    rows: &mut dyn Iterator<Item = Result<TableRow, Error>>,
) -> Result<Search, Error> {
    let mut first = None;
    for row in rows.take(HEADER_SEARCH_ROWS) {
        let row = row?;
        if is_header(&row.cells) {
            let header = row.cells.iter().map(|c| c.text().into_owned()).collect();
            return Ok(Search::Found {
                number: row.number,
                header,
            });
        }
        if first.is_none() {
            first = Some(row);
        }
    }
    Ok(Search::NotFound { first })
}

/// Whether a row is a header row: at least two of its text cells name member fields (or
/// look like typos of them, so the header's own message reports those), or every one of
/// them does. A title row has one cell, a data row has values that name no field.
fn is_header(cells: &[Cell]) -> bool {
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
                && (header_field(text).is_some() || matches!(classify(text), Unknown::Typo { .. }))
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
        match find(&mut rows).unwrap() {
            Search::Found { number, header } => {
                assert_eq!(number, 4);
                assert_eq!(header, ["手机号", "姓名", "积分"]);
            }
            Search::NotFound { .. } => panic!("the header row is row 4"),
        }
        assert_eq!(rows.next().unwrap().unwrap().number, 5);
        assert!(is_header(&row(1, &["手机号吗", "姓名"]).cells));
        assert!(is_header(&row(1, &["mobile"]).cells));
        assert!(!is_header(&row(1, &["会员资料"]).cells));
        assert!(!is_header(&row(1, &["13800138000", "张三", "男"]).cells));
    }
}
