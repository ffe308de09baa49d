//! A table's header row mapped to member fields: API names, Chinese labels and the other
//! headers shop software exports (the library's field table), with every problem of the
//! row (unknown headers with did-you-mean, two columns for one field, a required field
//! missing, an unnamed column with text) reported in one error, so the shop fixes the
//! export once.

use super::table::Layout;
use super::unknown_columns::{ColumnChoices, UnknownColumns, REJECT_REASON_HEADER};
use jdy_member::fields::{self, MEMBER_FIELDS};
use jdy_member::input::nearest;
use jdy_member::Error;

/// The API field a column header names: an API name (case-insensitive, trimmed), its
/// Chinese label or one of the other headers shop software exports.
pub fn header_field(header: &str) -> Option<&'static str> {
    fields::field_for_header(header).map(|f| f.name)
}

/// What one column of a table feeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Column {
    Field(&'static str),
    /// A column with an empty header and no text (Excel leaves such columns behind), or
    /// the reason column of a rejects workbook.
    Ignored,
    /// A column left out on purpose (`--skip-columns`, `--skip-unknown-columns`).
    Skipped,
}

/// Maps each header cell to its field. `first_text_line(index)` is the line of the first
/// row with text in column `index`, if any: an unnamed column may only be empty. `layout`
/// names lines or rows and columns in the messages; `choices` says which columns to leave
/// out.
pub(super) fn map_header(
    header: &[String],
    first_text_line: impl Fn(usize) -> Option<usize>,
    layout: &Layout,
    choices: &ColumnChoices,
) -> Result<Vec<Column>, Error> {
    let mut columns = Vec::with_capacity(header.len());
    let mut problems = HeaderProblems::default();
    let unused = choices.unused(header);
    if !unused.is_empty() {
        problems.other.push(format!(
            "--skip-columns names {}, which no column is headed; give the headers exactly as the file has them",
            unused.iter().map(|name| format!("`{name}`")).collect::<Vec<_>>().join(", ")
        ));
    }
    // Each field given so far: the field, its column and the header naming it.
    let mut seen: Vec<(&'static str, String, &str)> = Vec::new();
    for (index, raw) in header.iter().enumerate() {
        let name = raw.trim();
        let column = layout.column(index);
        if name.is_empty() {
            match first_text_line(index) {
                None => columns.push(Column::Ignored),
                Some(line) => problems.other.push(format!(
                    "column {column} has no header but has text (first on {}); give it a header or delete it",
                    layout.row(line)
                )),
            }
            continue;
        }
        if name == REJECT_REASON_HEADER {
            columns.push(Column::Ignored);
            continue;
        }
        if choices.names(name) {
            columns.push(Column::Skipped);
            continue;
        }
        let Some(field) = header_field(name) else {
            match super::unknown_columns::classify(name) {
                super::unknown_columns::Unknown::NotAField if choices.skip_unknown => {
                    columns.push(Column::Skipped);
                }
                _ => problems.unknown.add(&column, name),
            }
            continue;
        };
        if let Some((_, first, first_name)) = seen.iter().find(|(f, _, _)| *f == field) {
            problems.other.push(format!(
                "columns {first} `{first_name}` and {column} `{name}` both give `{field}`; keep one of them"
            ));
        } else {
            seen.push((field, column, name));
        }
        columns.push(Column::Field(field));
    }
    let required_fields = MEMBER_FIELDS.iter().filter(|f| f.rule.required());
    for required in required_fields.map(|f| f.name) {
        if !seen.iter().any(|(f, _, _)| *f == required) {
            problems.missing.push(format!(
                "`{required}` ({})",
                labels_of(required).join(" / ")
            ));
        }
    }
    match problems.error(layout, choices) {
        None => Ok(columns),
        Some(error) => Err(error),
    }
}

/// Everything wrong with a header row, gathered for one error.
#[derive(Default)]
struct HeaderProblems {
    /// Headers that name no field: typos and columns that are no member field.
    unknown: UnknownColumns,
    /// Required fields no column gives, each with its accepted headers.
    missing: Vec<String>,
    /// The rest, in column order: unnamed columns with text, two columns for one field.
    other: Vec<String>,
}

impl HeaderProblems {
    /// The one error naming every problem, with the accepted headers when a header was not
    /// understood; None when there is none.
    fn error(self, layout: &Layout, choices: &ColumnChoices) -> Option<Error> {
        let mut problems = self.unknown.problems(choices);
        problems.extend(self.other);
        if !self.missing.is_empty() {
            problems.push(format!(
                "no column gives {}, which every member needs",
                self.missing.join(" or ")
            ));
        }
        if problems.is_empty() {
            return None;
        }
        let mut message = format!(
            "{} is not usable: {}",
            layout.header_row(),
            problems.join("; ")
        );
        if !self.unknown.is_empty() || !self.missing.is_empty() {
            message.push_str(&format!(
                ". Accepted headers (API name or Chinese label): {}",
                accepted_headers()
            ));
        }
        message.push_str(&format!(". {} and import again", layout.fix_header()));
        Some(Error::invalid_argument(message))
    }
}
/// The likely intended header: an API field name, else a Chinese label.
pub(super) fn suggestion(unknown: &str) -> Option<&'static str> {
    let labels: Vec<&'static str> = MEMBER_FIELDS
        .iter()
        .flat_map(|f| std::iter::once(f.label).chain(f.aliases.iter().copied()))
        .collect();
    nearest(unknown, &fields::member_field_names()).or_else(|| nearest(unknown, &labels))
}

/// The Chinese label and the other accepted headers of `field`.
fn labels_of(field: &str) -> Vec<&'static str> {
    fields::member_field(field)
        .map(|f| {
            std::iter::once(f.label)
                .chain(f.aliases.iter().copied())
                .collect()
        })
        .unwrap_or_default()
}

/// "mobile (手机号 / 手机 / 手机号码), name (姓名 / ...), ...", in the seed's order.
pub(super) fn accepted_headers() -> String {
    MEMBER_FIELDS
        .iter()
        .map(|field| format!("{} ({})", field.name, labels_of(field.name).join(" / ")))
        .collect::<Vec<_>>()
        .join(", ")
}
