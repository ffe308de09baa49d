//! A table row's text cells as the member to send, with the conveniences a spreadsheet
//! needs: labels split on any separator, dates zero-padded, code columns written as words
//! (男, 有效) turned into codes, and a mobile Excel wrote in scientific notation refused.
//! Only reading problems are errors here; the member rules are checked later.

use super::header::Column;
use jdy_member::fields::{self, Rule};
use serde_json::{Map, Value};

/// The member of a well-shaped row: trimmed, non-empty cells, with the conveniences.
pub(super) fn member(columns: &[Column], cells: &[String]) -> Result<Map<String, Value>, String> {
    let mut member = Map::new();
    for (column, cell) in columns.iter().zip(cells.iter()) {
        let Column::Field(field) = *column else {
            continue;
        };
        let cell = cell.trim();
        if cell.is_empty() {
            continue;
        }
        if let Some(value) = value(field, cell)? {
            member.insert(field.to_string(), value);
        }
    }
    Ok(member)
}

/// A non-empty, trimmed cell as the value to send; None drops it (a label cell of only
/// separators). Only reading problems are errors; the member rules are checked later.
fn value(field: &str, cell: &str) -> Result<Option<Value>, String> {
    let rule = fields::member_field(field).map(|f| f.rule);
    match (field, rule) {
        ("mobile", _) if is_scientific(cell) => Err(
            "mobile was saved by Excel in scientific notation (like 1.38E+10), which loses digits; format the column as text in Excel and export again"
                .to_string(),
        ),
        (_, Some(Rule::Label)) => {
            let labels: Vec<Value> = cell
                .split([',', ';', '，', '；', '、', '|'])
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(Value::from)
                .collect();
            Ok((!labels.is_empty()).then_some(Value::Array(labels)))
        }
        (_, Some(Rule::Date)) => Ok(Some(Value::from(
            padded_date(cell).unwrap_or_else(|| cell.to_string()),
        ))),
        _ => {
            let code = fields::member_field(field).and_then(|f| fields::code_for_word(f, cell));
            Ok(Some(Value::from(code.unwrap_or(cell))))
        }
    }
}

/// `2001/5/7`, `2001-5-7` or `2001.5.7` as `2001-05-07`; None for anything else. The
/// calendar is not checked here: member validation reports impossible dates.
fn padded_date(cell: &str) -> Option<String> {
    let separator = cell.chars().find(|c| matches!(c, '/' | '-' | '.'))?;
    let mut parts = cell.split(separator);
    let (year, month, day) = (parts.next()?, parts.next()?, parts.next()?);
    let digits = |s: &str, min: usize, max: usize| {
        (min..=max).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
    };
    (parts.next().is_none() && digits(year, 4, 4) && digits(month, 1, 2) && digits(day, 1, 2))
        .then(|| format!("{year}-{month:0>2}-{day:0>2}"))
}

/// Whether a cell looks like Excel's scientific notation (`1.38001E+10`).
fn is_scientific(cell: &str) -> bool {
    let Some((mantissa, exponent)) = cell.split_once(['e', 'E']) else {
        return false;
    };
    let exponent = exponent.strip_prefix('+').unwrap_or(exponent);
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, "0"));
    [whole, fraction, exponent]
        .iter()
        .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()))
}
