//! A table row's cells as the member to send, with the conveniences a spreadsheet needs:
//! labels split on any separator, dates zero-padded, code columns written as words (男,
//! 有效) turned into codes, and a mobile Excel wrote in scientific notation refused. A
//! workbook's cells come as Excel stores them: a number where an integer belongs becomes
//! its digits (13800138000, never 1.38E+10), a date cell its `YYYY-MM-DD`.
//! Only reading problems are errors here; the member rules are checked later.

use super::cell::{number_text, Cell, EXACT_INTEGER_LIMIT};
use super::planned::Column;
use jdy_member::fields::{self, Rule};
use serde_json::{Map, Value};
use std::borrow::Cow;

/// The member of a well-shaped row: trimmed, non-empty cells, with the conveniences.
pub(super) fn member(columns: &[Column], cells: &[Cell]) -> Result<Map<String, Value>, String> {
    let mut member = Map::new();
    for (column, cell) in columns.iter().zip(cells.iter()) {
        let Column::Field(field) = *column else {
            continue;
        };
        if cell.is_blank() {
            continue;
        }
        let text = cell_text(field, cell)?;
        let text = text.trim();
        if text.is_empty() {
            continue;
        }
        if let Some(value) = value(field, text)? {
            member.insert(field.to_string(), value);
        }
    }
    Ok(member)
}

/// A workbook cell as the text its field takes; a text cell as it is. A number where an
/// integer belongs must be a whole number a double holds exactly; a date field takes a
/// date cell or text; anything else is a reading problem of the row.
fn cell_text<'a>(field: &str, cell: &'a Cell) -> Result<Cow<'a, str>, String> {
    let rule = fields::member_field(field).map(|f| f.rule);
    let wants_integer = matches!(
        rule,
        Some(Rule::Mobile | Rule::Code | Rule::Reference(_) | Rule::Label)
    );
    match (cell, rule) {
        (Cell::Text(text), _) => Ok(Cow::Borrowed(text)),
        (Cell::Number(number), Some(Rule::Date)) => Err(format!(
            "{field} holds the number {}, not a date; format the cell as a date in Excel, or type the date as 2001-05-07",
            number_text(*number)
        )),
        // Beyond 2^53 a double has lost digits, whatever the field.
        (Cell::Number(number), _) if wants_integer || number.abs() > EXACT_INTEGER_LIMIT => {
            integer_text(field, *number).map(Cow::Owned)
        }
        (Cell::Date { date, .. }, Some(Rule::Date)) => Ok(Cow::Borrowed(date)),
        (Cell::Date { .. }, _) if wants_integer => Err(format!(
            "{field} holds a date ({}); a date belongs in a date column only; format the cell as text or a number",
            cell.text()
        )),
        (Cell::Error(error), _) => Err(format!(
            "{field} holds the spreadsheet error {error} (a formula that failed); fix the formula or type the value"
        )),
        (Cell::Bool(_), Some(Rule::Date)) => Err(format!(
            "{field} holds {}, not a date; type the date as 2001-05-07",
            cell.text()
        )),
        _ => Ok(cell.text()),
    }
}

/// A number cell where an integer belongs (a mobile, a code, a store or level number) as
/// its digits; a fraction or a number too large to be exact is a reading problem.
fn integer_text(field: &str, number: f64) -> Result<String, String> {
    if number.fract() != 0.0 {
        return Err(format!(
            "{field} holds the number {}, which is not a whole number; correct the cell",
            number_text(number)
        ));
    }
    if number.abs() > EXACT_INTEGER_LIMIT {
        return Err(format!(
            "{field} holds a number too large to be exact ({number:e}); format the column as text in Excel and type it again"
        ));
    }
    Ok(number_text(number))
}

/// A non-empty, trimmed cell as the value to send; None drops it (a label cell of only
/// separators). Only reading problems are errors; the member rules are checked later.
fn value(field: &str, cell: &str) -> Result<Option<Value>, String> {
    let rule = fields::member_field(field).map(|f| f.rule);
    match (field, rule) {
        ("mobile", _) if is_scientific(cell) => Err(
            "mobile was saved by Excel in scientific notation (like 1.38E+10), which loses digits; import the workbook (.xlsx) itself, or format the column as text in Excel and export again"
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
