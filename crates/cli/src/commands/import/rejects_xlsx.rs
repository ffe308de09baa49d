//! The rejects workbook of a workbook import (`NAME.rejects.xlsx`): the input's header row,
//! then each refused or failed row as it was, with the reason in a last column headed
//! `错误原因`. The staff open it in Excel, correct the rows and import it as it is: the
//! reader leaves that column out.
//!
//! Every cell is written as text in a text-formatted cell, so what the staff type stays
//! as typed (a mobile never turns into 1.38E+10). Rows go to a temporary file as they come
//! (rust_xlsxwriter's constant-memory mode) and the workbook is put together at the end.

use crate::records::REJECT_REASON_HEADER;
use rust_xlsxwriter::{Format, Workbook, Worksheet};
use serde_json::Value;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

pub(super) struct RejectsWorkbook {
    path: PathBuf,
    /// The input's header row without an earlier reason column.
    header: Vec<String>,
    sheet_name: String,
    /// Created at the first row, so an import without rejects leaves no file.
    open: Mutex<Option<Open>>,
}

struct Open {
    workbook: Workbook,
    text: Format,
    next_row: u32,
}

/// The width of the reason column, in characters: long enough to read a message.
const REASON_WIDTH: f64 = 60.0;
const COLUMN_WIDTH: f64 = 14.0;

impl RejectsWorkbook {
    /// `header` is the input's header row; `sheet_name` the input's sheet, when it had one.
    pub fn new(path: PathBuf, header: &[String], sheet_name: Option<&str>) -> RejectsWorkbook {
        RejectsWorkbook {
            path,
            header: header
                .iter()
                .filter(|h| h.trim() != REJECT_REASON_HEADER)
                .cloned()
                .collect(),
            sheet_name: sheet_name.unwrap_or("rejects").to_string(),
            open: Mutex::new(None),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Adds a row: `source` is the row as read (header → cell text), `reason` why it was
    /// not saved.
    pub fn add(&self, source: &Value, reason: &str) -> io::Result<()> {
        let mut guard = self.open.lock().unwrap_or_else(|p| p.into_inner());
        if guard.is_none() {
            *guard = Some(self.start().map_err(to_io)?);
        }
        let Some(open) = guard.as_mut() else {
            return Ok(());
        };
        let row = open.next_row;
        let cells = self.cells(source);
        let worksheet = open.workbook.worksheet_from_index(0).map_err(to_io)?;
        let reason_column = self.header.len();
        worksheet
            .write_string_with_format(row, reason_column as u16, reason, &open.text)
            .map_err(to_io)?;
        for (index, text) in cells.iter().enumerate() {
            // Cells beyond the header (a ragged CSV row) go after the reason.
            let column = if index < reason_column {
                index
            } else {
                index + 1
            };
            if !text.is_empty() {
                worksheet
                    .write_string_with_format(row, column as u16, text, &open.text)
                    .map_err(to_io)?;
            }
        }
        open.next_row += 1;
        Ok(())
    }

    /// Writes the workbook, when it has rows.
    pub fn finish(&self) -> io::Result<()> {
        let mut guard = self.open.lock().unwrap_or_else(|p| p.into_inner());
        match guard.as_mut() {
            Some(open) => open.workbook.save(&self.path).map_err(to_io),
            None => Ok(()),
        }
    }

    /// The workbook with its header row.
    fn start(&self) -> Result<Open, rust_xlsxwriter::XlsxError> {
        let mut workbook = Workbook::new();
        let text = Format::new().set_num_format("@");
        let bold = Format::new().set_bold().set_num_format("@");
        let reason_column = self.header.len() as u16;
        let worksheet: &mut Worksheet = workbook.add_worksheet_with_constant_memory()?;
        worksheet.set_name(sheet_name(&self.sheet_name))?;
        for column in 0..reason_column {
            worksheet.set_column_width(column, COLUMN_WIDTH)?;
            worksheet.set_column_format(column, &text)?;
        }
        worksheet.set_column_width(reason_column, REASON_WIDTH)?;
        for (column, header) in self.header.iter().enumerate() {
            worksheet.write_string_with_format(0, column as u16, header, &bold)?;
        }
        worksheet.write_string_with_format(0, reason_column, REJECT_REASON_HEADER, &bold)?;
        worksheet.set_freeze_panes(1, 0)?;
        Ok(Open {
            workbook,
            text,
            next_row: 1,
        })
    }

    /// The row's cells under the header, then any cells beyond it (a ragged CSV row).
    fn cells(&self, source: &Value) -> Vec<String> {
        let Some(source) = source.as_object() else {
            return vec![source.to_string()];
        };
        let text = |value: &Value| {
            value
                .as_str()
                .map_or_else(|| value.to_string(), str::to_string)
        };
        let mut cells: Vec<String> = self
            .header
            .iter()
            .map(|h| source.get(h.as_str()).map(text).unwrap_or_default())
            .collect();
        for (key, value) in source {
            if !self.header.contains(key) && key.as_str() != REJECT_REASON_HEADER {
                cells.push(text(value));
            }
        }
        cells
    }
}

/// A sheet name Excel accepts: at most 31 characters, none of `[]:*?/\`.
fn sheet_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .filter(|c| !matches!(c, '[' | ']' | ':' | '*' | '?' | '/' | '\\'))
        .take(31)
        .collect();
    if cleaned.trim().is_empty() {
        "rejects".to_string()
    } else {
        cleaned
    }
}

fn to_io(e: rust_xlsxwriter::XlsxError) -> io::Error {
    io::Error::other(e.to_string())
}
