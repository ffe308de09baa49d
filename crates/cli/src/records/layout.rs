//! How places in a table are named in messages: a CSV's physical lines, a sheet's rows as
//! Excel shows them, and columns by their letters (a CSV opened in Excel shows them too).

/// A CSV file, or the sheet of a workbook with where its header row is.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_named_as_excel_names_them() {
        assert_eq!(column_letters(0), "A");
        assert_eq!(column_letters(25), "Z");
        assert_eq!(column_letters(26), "AA");
        assert_eq!(column_letters(16_383), "XFD");
    }
}
