//! What the person importing says about the columns: which to leave out (`--skip-columns`,
//! `--skip-unknown-columns`, from issue 22) and which field each goes to (`--map`,
//! `--map-file`, the import page: a `ColumnMap`). The plan (`plan`) takes them before the
//! header table.

use super::column_map::ColumnMap;

/// The header of the reason column that a rejects workbook adds (`import` writes it); a
/// column of that exact header is left out on import, so a corrected rejects file imports
/// as it is.
pub const REJECT_REASON_HEADER: &str = "错误原因";

/// Which columns to leave out, and which field each goes to.
#[derive(Debug, Clone, Default)]
pub struct ColumnChoices {
    /// Exact headers (trimmed) of columns to leave out, whatever they are.
    pub skip: Vec<String>,
    /// Leave out every column that is no member field (never one that looks like a typo).
    pub skip_unknown: bool,
    /// Columns mapped to fields (or left out), before the header table.
    pub map: ColumnMap,
}

impl ColumnChoices {
    /// Whether the column headed `header` is named in `--skip-columns`.
    pub(super) fn names(&self, header: &str) -> bool {
        self.skip.iter().any(|name| name.trim() == header.trim())
    }

    /// The `--skip-columns` names that are no header of the file, for an error: a
    /// misspelt name must not pass unnoticed.
    pub(super) fn unused<'a, S: AsRef<str>>(&'a self, header: &[S]) -> Vec<&'a str> {
        self.skip
            .iter()
            .map(|name| name.trim())
            .filter(|name| !header.iter().any(|h| h.as_ref().trim() == *name))
            .collect()
    }
}
