//! The kinds of import file, named by `--format` or by the file's extension.

use std::path::Path;
use std::str::FromStr;

/// The kind of file being imported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Comma-separated values with a header row (tab-separated is recognised too).
    Csv,
    /// One JSON object per line (`.jsonl`, `.ndjson`).
    JsonLines,
    /// One JSON array of objects, or a single object.
    Json,
    /// A spreadsheet workbook: Excel's .xlsx/.xlsm and .xls (97-2003), or OpenDocument's
    /// .ods; which one is told from the file's content, not its name.
    Workbook,
}

/// The extensions `Format::from_path` knows, for messages.
pub(super) const KNOWN_EXTENSIONS: &str =
    ".csv (CSV), .jsonl or .ndjson (JSON lines), .json (JSON), .xlsx, .xlsm, .xls or .ods (workbook)";

impl FromStr for Format {
    type Err = String;

    /// `csv`, `jsonl` (or `ndjson`), `json`, or a workbook's `xlsx`, `xlsm`, `xls`, `ods`
    /// (or `workbook`), any case.
    fn from_str(s: &str) -> Result<Format, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "csv" => Ok(Format::Csv),
            "jsonl" | "ndjson" => Ok(Format::JsonLines),
            "json" => Ok(Format::Json),
            "xlsx" | "xlsm" | "xls" | "ods" | "workbook" => Ok(Format::Workbook),
            _ => Err("use csv, jsonl, json, or xlsx (any workbook: xlsx, xlsm, xls, ods)".into()),
        }
    }
}

impl Format {
    /// The format a file's extension names (case-insensitive), if any.
    pub fn from_path(path: &Path) -> Option<Format> {
        path.extension()?.to_str()?.parse().ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_from_path() {
        assert_eq!(Format::from_path(Path::new("a.csv")), Some(Format::Csv));
        assert_eq!(Format::from_path(Path::new("A.CSV")), Some(Format::Csv));
        assert_eq!(
            Format::from_path(Path::new("dir/a.jsonl")),
            Some(Format::JsonLines)
        );
        assert_eq!(
            Format::from_path(Path::new("a.NDJSON")),
            Some(Format::JsonLines)
        );
        assert_eq!(Format::from_path(Path::new("a.Json")), Some(Format::Json));
        for workbook in ["a.xlsx", "a.XLSM", "a.xls", "a.ods"] {
            assert_eq!(
                Format::from_path(Path::new(workbook)),
                Some(Format::Workbook)
            );
        }
        assert_eq!(Format::from_path(Path::new("a.xlsb")), None);
        assert_eq!(Format::from_path(Path::new("csv")), None);
    }
}
