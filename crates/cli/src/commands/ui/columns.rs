//! The column step: after the file's first pass, a table of its columns (letter, header,
//! first three values, the field each goes to and how that was decided) that the staff
//! settle before any verdict is shown: a suggestion is confirmed, a column that is no member
//! field or looks like a typo is decided, mobile and name are given by some column.
//!
//! Nothing here decides a column: the plan is the command line's (`ImportFile::replan` over
//! the first pass, so a change costs no second reading of the file), and every choice of the
//! staff is a word of the command line (`options`: `--map HEADER=FIELD`, `--map-file`,
//! `--sheet`). The mapping the plan uses downloads as `--save-map` writes it, and a mapping
//! file loaded here is read as `--map-file` reads it.

use super::job::{map_from_json, Job, Meta, Phase, MAPPING_FILE};
use super::options;
use super::views::{error_json, plan};
use crate::output::describe;
use crate::records::{ColumnMap, Format, ImportFile, PlannedColumn, ReadOptions};
use serde_json::{json, Value};

/// The largest mapping file the page takes: a header row's worth of JSON is a few KB.
pub const MAX_MAPPING_BYTES: usize = 256 * 1024;

/// Why a change of the columns was refused, with the status to answer.
pub type Refusal = (u16, String);

/// The first pass over `job`'s file, on the worker: how it is read and the plan of its
/// columns. A table then waits in the column step; true for JSON, which has no columns and
/// goes on to the check.
pub fn first_pass(job: &Job) -> bool {
    {
        let mut status = job.status();
        status.phase = Phase::Reading;
        status.error = Value::Null;
        status.plan = Value::Null;
        status.columns = Value::Null;
        status.mapping_text = None;
        status.check = Value::Null;
    }
    job.set_rows(None);
    drop(job.take_file());
    let read = options::read_options(job);
    let outcome = read.and_then(|read| Ok((ImportFile::read(&job.input(), &read)?, read)));
    match outcome {
        _ if job.take_cancel() => job.set_phase(Phase::Stored),
        Ok((file, _)) if !is_table(file.format) => {
            job.keep_file(file);
            return true;
        }
        Ok((mut file, read)) => {
            // The sheet read is fine; the others are only offered.
            let sheets: Vec<String> = file.member_sheets(&read.columns).unwrap_or_default();
            show(job, file, &read, sheets);
        }
        Err(error) => {
            let mut status = job.status();
            status.phase = Phase::Refused;
            status.error = error_json(&error);
        }
    }
    false
}

/// Whether a file of `format` has columns to match (CSV, a workbook's sheet).
pub fn is_table(format: Format) -> bool {
    matches!(format, Format::Csv | Format::Workbook)
}

/// Puts `job` in the column step with `file`'s plan, read with `read`; `sheets` are the
/// workbook's sheets with members.
pub fn show(job: &Job, file: ImportFile, read: &ReadOptions, sheets: Vec<String>) {
    {
        let mut status = job.status();
        status.plan = plan(&file);
        status.columns = columns_json(&file, read, sheets);
        status.mapping_text = file.ready().is_ok().then(|| file.mapping().to_json_text());
        status.phase = Phase::Columns;
    }
    job.keep_file(file);
}

/// The column step as the page draws it.
fn columns_json(file: &ImportFile, read: &ReadOptions, sheets: Vec<String>) -> Value {
    let problem = file.ready().err();
    let unused: Vec<&str> = read
        .columns
        .map
        .unused(&file.header)
        .iter()
        .map(|entry| entry.header.as_str())
        .collect();
    json!({
        "columns": file.columns().iter().map(column_json).collect::<Vec<_>>(),
        "settled": problem.is_none(),
        "problem": problem.as_ref().map(describe),
        "unused": unused,
        "sheet": file.sheet.as_ref().map(|s| s.name.clone()),
        "sheets": sheets,
    })
}

/// One column: `validate --json`'s object, with its place, first values and why.
fn column_json(column: &PlannedColumn) -> Value {
    let mut shown = column.to_json();
    shown["index"] = column.index.into();
    shown["values"] = column.values.clone().into();
    shown["why"] = column.why.clone().into();
    shown
}

/// Whether the columns of `job` may change now: before its import, and not while its file
/// is read or checked.
fn may_change(job: &Job) -> Result<(), Refusal> {
    if job.meta().import != super::job::ImportState::None {
        return Err((
            409,
            "this file's import has begun: its columns can no longer change".into(),
        ));
    }
    match job.phase() {
        Phase::Columns | Phase::Checked | Phase::Stored => Ok(()),
        Phase::Refused => Err((
            409,
            "this file cannot be read: choose the file again".into(),
        )),
        _ => Err((
            409,
            "the file is being read or checked; wait until it ends".into(),
        )),
    }
}

/// What the staff decided in the column step (`POST /api/jobs/ID/columns`): `{"map":
/// [[HEADER, FIELD or null], ...], "sheet": NAME}`, each optional. The decisions replace
/// the earlier ones; another sheet is read anew (its columns are others). Returns whether
/// the file must be read again (the worker's task).
pub fn decide(job: &Job, body: &Value) -> Result<bool, Refusal> {
    may_change(job)?;
    let mut meta = job.meta();
    if let Some(map) = body.get("map") {
        if !map.is_array() {
            return Err((
                400,
                "`map` must be a list of [header, field or null]".into(),
            ));
        }
        meta.map = map_from_json(map);
    }
    let sheet = body
        .get("sheet")
        .and_then(Value::as_str)
        .map(str::to_string);
    let new_sheet = sheet.is_some() && sheet != current_sheet(job);
    let offered = job.status().columns["sheets"].clone();
    let offered = offered.as_array().cloned().unwrap_or_default();
    if new_sheet && !offered.iter().any(|s| s.as_str() == sheet.as_deref()) {
        return Err((
            400,
            format!(
                "the workbook has no sheet of members named `{}`",
                sheet.unwrap_or_default()
            ),
        ));
    }
    if new_sheet {
        meta.sheet = sheet;
        meta.map.clear();
    }
    change(job, meta, new_sheet)
}

/// The sheet the plan shown is of.
fn current_sheet(job: &Job) -> Option<String> {
    job.status().columns["sheet"].as_str().map(str::to_string)
}

/// A mapping file loaded from the page (`POST /api/jobs/ID/mapping?name=N`): read as
/// `--map-file` reads it, kept in the job's folder, the decisions made before it cleared.
pub fn load_mapping(job: &Job, name: &str, body: &[u8]) -> Result<bool, Refusal> {
    may_change(job)?;
    let text = std::str::from_utf8(body)
        .map_err(|_| (400, format!("the mapping file `{name}` is not UTF-8 text: choose the .json file the page or --save-map wrote")))?;
    if let Err(problem) = ColumnMap::from_json(text) {
        return Err((
            400,
            format!("the mapping file `{name}` is not usable: {problem}"),
        ));
    }
    std::fs::write(job.file(MAPPING_FILE), body)
        .map_err(|e| (500, format!("the page's folder cannot be written: {e}")))?;
    let mut meta = job.meta();
    meta.map_file = Some(name.chars().filter(|c| !c.is_control()).take(200).collect());
    meta.map.clear();
    change(job, meta, false)
}

/// Forgets the loaded mapping file (`DELETE /api/jobs/ID/mapping`).
pub fn drop_mapping(job: &Job) -> Result<bool, Refusal> {
    may_change(job)?;
    let mut meta = job.meta();
    meta.map_file = None;
    let reread = change(job, meta, false)?;
    let _ = std::fs::remove_file(job.file(MAPPING_FILE));
    Ok(reread)
}

/// Keeps `meta` once its words parse, and plans the columns with them; returns whether
/// the file must be read again first (`reread`, or no first pass kept).
fn change(job: &Job, meta: Meta, reread: bool) -> Result<bool, Refusal> {
    let read = options::read_options_with(job, &meta).map_err(|e| (400, describe(&e)))?;
    job.save_meta(|kept| *kept = meta)
        .map_err(|e| (500, format!("the page's folder cannot be written: {e}")))?;
    job.set_rows(None);
    let kept = if reread { None } else { job.take_file() };
    let Some(mut file) = kept else {
        let mut status = job.status();
        status.phase = Phase::Waiting;
        status.columns = Value::Null;
        return Ok(true);
    };
    let sheets = job.status().columns["sheets"].clone();
    let sheets: Vec<String> = serde_json::from_value(sheets).unwrap_or_default();
    match file.replan(&read.columns) {
        Ok(()) => {
            show(job, file, &read, sheets);
            Ok(false)
        }
        Err(error) => {
            job.keep_file(file);
            Err((400, describe(&error)))
        }
    }
}

/// Whether the check may start: the columns are settled (mobile and name given, nothing
/// left to decide).
pub fn settled(job: &Job) -> Result<(), Refusal> {
    let status = job.status();
    if status.phase == Phase::Columns && status.columns["settled"] != true {
        let problem = status.columns["problem"].as_str().unwrap_or_default();
        return Err((
            409,
            format!("some columns are still to be decided: {problem}"),
        ));
    }
    Ok(())
}
