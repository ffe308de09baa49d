//! `jdy-member validate`: how every column of a file is taken, then every record checked
//! offline, each error reported with its line (a workbook's: its row) as it is read; exit 4
//! when any record is refused, 3 when the columns are not settled.
//!
//! The plan of the columns (`C 移动电话 → mobile (alias)`) is shown here and by `import`
//! before anything is sent, with the same refusal when a column is still to be settled
//! (`show_plan`); both write the mapping used with `--save-map` (`save_map`).

use crate::args::{ReadArgs, ValidateArgs};
use crate::output::{Exit, Output};
use crate::records::{self, Format, ImportFile, PlannedColumn};
use jdy_member::{envelope, Error};
use serde_json::Value;

pub fn run(args: &ValidateArgs, out: &Output) -> Result<Exit, Error> {
    let file = &args.file;
    let mut records = ImportFile::read(file, &args.read.options()?)?;
    if let Some(refused) = show_plan(&records, out) {
        return Ok(refused);
    }
    let format = records.format;
    let mut invalid = 0usize;
    records::verdicts(&mut records, &mut |record, verdict| {
        if let Err(error) = verdict {
            invalid += 1;
            out.record_error(&record.location(format), &error);
        }
        Ok(())
    })?;
    let total = records.records;
    out.note(&format!(
        "{}: {total} records ({}), {} valid, {invalid} invalid",
        file.display(),
        records.how_read(),
        total - invalid
    ));
    if out.json {
        let mut summary =
            serde_json::json!({"records": total, "valid": total - invalid, "invalid": invalid});
        if let Some(sheet) = &records.sheet {
            summary["sheet"] = sheet.name.clone().into();
            summary["header_row"] = sheet.header_row.into();
        }
        if !records.skipped.is_empty() {
            summary["skipped_columns"] = records.skipped.clone().into();
        }
        if let Some(columns) = columns_json(&records) {
            summary["columns"] = columns;
        }
        out.data(&summary);
    }
    save_map(&args.read, &records, out)?;
    Ok(if invalid > 0 { Exit::Refused } else { Exit::Ok })
}

/// Prints how every column of a table is taken, one line each on stderr; when the columns
/// are not settled, prints the refusal (with `--json`: the error envelope with
/// `error.columns`) and returns its exit code.
pub(crate) fn show_plan(file: &ImportFile, out: &Output) -> Option<Exit> {
    for column in file.columns() {
        out.note(&column.line());
    }
    let error = file.ready().err()?;
    if out.json {
        let mut refusal: Value =
            serde_json::from_str(&envelope::err(&error)).unwrap_or(Value::Null);
        if let (Some(columns), Some(error)) = (columns_json(file), refusal.get_mut("error")) {
            error["columns"] = columns;
        }
        out.line(&refusal);
    } else {
        out.error(&error);
    }
    Some(Exit::for_kind(error.kind))
}

/// A table's columns as `--json` gives them, one object each; None for JSON input.
fn columns_json(file: &ImportFile) -> Option<Value> {
    matches!(file.format, Format::Csv | Format::Workbook)
        .then(|| Value::Array(file.columns().iter().map(PlannedColumn::to_json).collect()))
}

/// Writes the mapping `file` was read with to `--save-map FILE`, if given.
pub(crate) fn save_map(read: &ReadArgs, file: &ImportFile, out: &Output) -> Result<(), Error> {
    let Some(path) = &read.save_map else {
        return Ok(());
    };
    file.mapping().save(path)?;
    out.note(&format!(
        "the mapping of the columns is in {}; import the next export of the same kind with --map-file {}",
        path.display(),
        path.display()
    ));
    Ok(())
}
