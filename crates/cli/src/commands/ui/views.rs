//! How a file, a row and an error look on the page: the JSON the page draws, shared by the
//! column step, the check and the import.

use crate::output::describe;
use crate::records::{FileRecord, Format, ImportFile, Verdict};
use jdy_member::Error;
use serde_json::{json, Value};

/// The longest cell text the table shows.
const CELL_CHARS: usize = 120;
/// The most columns the table shows.
const MAX_COLUMNS: usize = 40;

/// How the file is read, for the page: what `validate` says in its first line, and the
/// columns the table shows.
pub fn plan(file: &ImportFile) -> Value {
    let mut columns: Vec<&str> = file.header.iter().map(String::as_str).collect();
    columns.truncate(MAX_COLUMNS);
    json!({
        "records": file.records,
        "format": format_name(file.format),
        "how_read": file.how_read(),
        "sheet": file.sheet.as_ref().map(|s| s.name.clone()),
        "header_row": file.sheet.as_ref().map(|s| s.header_row),
        "columns": columns,
        "skipped": file.skipped,
    })
}

fn format_name(format: Format) -> &'static str {
    match format {
        Format::Csv => "csv",
        Format::JsonLines => "jsonl",
        Format::Json => "json",
        Format::Workbook => "workbook",
    }
}

/// A row as the table shows it: where it is, its cells, and its verdict.
pub fn row_json(
    format: Format,
    columns: &[String],
    record: &FileRecord,
    kind: &str,
    verdict: &Verdict,
) -> Value {
    let cells: Vec<String> = if columns.is_empty() {
        vec![cell(&record.source.to_string())]
    } else {
        let text = |h: &String| match record.source.get(h) {
            Some(Value::String(s)) => cell(s),
            Some(Value::Null) | None => String::new(),
            Some(other) => cell(&other.to_string()),
        };
        columns.iter().take(MAX_COLUMNS).map(text).collect()
    };
    let mut row = json!({
        "n": record.number,
        "at": record.location(format),
        "kind": kind,
        "cells": cells,
    });
    if let Err(error) = verdict {
        row["problems"] = problems(error);
    }
    row
}

/// A row's problems: each field's message with the field's Chinese label, or the error as
/// a whole.
fn problems(error: &Error) -> Value {
    if error.fields.is_empty() {
        return json!([{"field": null, "label": null, "message": describe(error)}]);
    }
    let label = |field: &str| jdy_member::fields::member_field(field).map(|f| f.label);
    error
        .fields
        .iter()
        .map(|f| json!({"field": f.field, "label": label(&f.field), "message": f.message}))
        .collect()
}

fn cell(text: &str) -> String {
    match text.char_indices().nth(CELL_CHARS) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_string(),
    }
}

/// An error as the page shows it.
pub fn error_json(error: &Error) -> Value {
    json!({"message": describe(error), "kind": error.to_json()["kind"], "problems": problems(error)})
}
