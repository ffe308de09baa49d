//! `jdy-member validate`: every record of a file checked offline, each error reported with
//! its line (a workbook's: its row) as it is read; exit 4 when any record is refused.

use crate::args::ValidateArgs;
use crate::output::{Exit, Output};
use crate::records::{self, ImportFile};
use jdy_member::Error;

pub fn run(args: &ValidateArgs, out: &Output) -> Result<Exit, Error> {
    let file = &args.file;
    let mut records = ImportFile::open(file, &args.read.options())?;
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
        out.data(&summary);
    }
    Ok(if invalid > 0 { Exit::Refused } else { Exit::Ok })
}
