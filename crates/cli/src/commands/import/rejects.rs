//! The rejects file: where refused and failed rows go, each with why, written as each row is
//! refused (never gathered). A workbook's rows go to a workbook the staff can correct and
//! import again (`rejects_xlsx`); a CSV's or JSON's to JSON lines, each with the row and the
//! error envelope.

use super::jsonl_file::JsonLinesFile;
use super::rejects_xlsx::RejectsWorkbook;
use crate::output::describe;
use crate::records::{FileRecord, Format, ImportFile};
use jdy_member::Error;
use std::io;
use std::path::Path;

pub(super) enum Rejects {
    Lines(JsonLinesFile),
    Workbook(Box<RejectsWorkbook>),
}

impl Rejects {
    /// `NAME.rejects.xlsx` beside a workbook, else `NAME.rejects.jsonl`, or `chosen`
    /// (`--rejects FILE`: a workbook when it is named .xlsx and the input has a header row).
    pub fn for_input(input: &Path, chosen: Option<&Path>, records: &ImportFile) -> Rejects {
        let path = match chosen {
            Some(path) => path.to_path_buf(),
            None if records.format == Format::Workbook => super::beside(input, "rejects.xlsx"),
            None => super::beside(input, "rejects.jsonl"),
        };
        let xlsx = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("xlsx"));
        if xlsx && !records.header.is_empty() {
            let sheet = records.sheet.as_ref().map(|s| s.name.as_str());
            Rejects::Workbook(Box::new(RejectsWorkbook::new(path, &records.header, sheet)))
        } else {
            Rejects::Lines(JsonLinesFile::new(path, true))
        }
    }

    pub fn path(&self) -> &Path {
        match self {
            Rejects::Lines(file) => file.path(),
            Rejects::Workbook(workbook) => workbook.path(),
        }
    }

    /// Adds the row of `record` with `error`; `sheet` names a workbook's sheet.
    pub fn add(
        &self,
        format: Format,
        sheet: Option<&str>,
        record: &FileRecord,
        error: &Error,
    ) -> io::Result<()> {
        let at = record.location(format);
        match self {
            Rejects::Lines(file) => {
                let mut line = serde_json::json!({
                    "at": at,
                    "line": record.number,
                    "record": record.source,
                    "error": error.to_json(),
                });
                if let Some(sheet) = sheet {
                    line["sheet"] = sheet.into();
                }
                file.append(&line)
            }
            Rejects::Workbook(workbook) => {
                let at = match sheet {
                    Some(sheet) => format!("{at} of sheet {sheet}"),
                    None => at,
                };
                workbook.add(&record.source, &format!("{at}: {}", reason(error)))
            }
        }
    }

    /// Puts the file together, where that is left for the end (a workbook).
    pub fn finish(&self) -> io::Result<()> {
        match self {
            Rejects::Lines(_) => Ok(()),
            Rejects::Workbook(workbook) => workbook.finish(),
        }
    }
}

/// Why a row was not saved, in one cell: each field's problem, or the error as a whole.
fn reason(error: &Error) -> String {
    if error.fields.is_empty() {
        return describe(error);
    }
    error
        .fields
        .iter()
        .map(|f| format!("{}: {}", f.field, f.message))
        .collect::<Vec<_>>()
        .join("; ")
}
