//! A table's header row mapped to member fields: API names, Chinese labels and the other
//! headers shop software exports (the library's field table), with every problem of the
//! row (unknown headers with did-you-mean, two columns for one field, a required field
//! missing, an unnamed column with text) reported in one error, so the shop fixes the
//! export once.

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
    /// A column with an empty header and no text (Excel leaves such columns behind).
    Ignored,
}

/// Maps each header cell to its field. `first_text_line(index)` is the line of the first
/// row with text in column `index`, if any: an unnamed column may only be empty.
pub(super) fn map_header(
    header: &[String],
    first_text_line: impl Fn(usize) -> Option<usize>,
) -> Result<Vec<Column>, Error> {
    let mut columns = Vec::with_capacity(header.len());
    let mut problems = HeaderProblems::default();
    // Each field given so far: the field, its 1-based column and the header naming it.
    let mut seen: Vec<(&'static str, usize, &str)> = Vec::new();
    for (index, raw) in header.iter().enumerate() {
        let name = raw.trim();
        if name.is_empty() {
            match first_text_line(index) {
                None => columns.push(Column::Ignored),
                Some(line) => problems.other.push(format!(
                    "column {} has no header but has text (first on line {line}); give it a header or delete it",
                    index + 1
                )),
            }
            continue;
        }
        let Some(field) = header_field(name) else {
            problems.unknown.push(match suggestion(name) {
                Some(s) => format!("`{name}` (did you mean `{s}`?)"),
                None => format!("`{name}`"),
            });
            continue;
        };
        if let Some((_, first, first_name)) = seen.iter().find(|(f, _, _)| *f == field) {
            problems.other.push(format!(
                "columns {first} `{first_name}` and {} `{name}` both give `{field}`; keep one of them",
                index + 1
            ));
        } else {
            seen.push((field, index + 1, name));
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
    match problems.error() {
        None => Ok(columns),
        Some(error) => Err(error),
    }
}

/// Everything wrong with a header row, gathered for one error.
#[derive(Default)]
struct HeaderProblems {
    /// Headers that name no field, each with a suggestion when one is close.
    unknown: Vec<String>,
    /// Required fields no column gives, each with its accepted headers.
    missing: Vec<String>,
    /// The rest, in column order: unnamed columns with text, two columns for one field.
    other: Vec<String>,
}

impl HeaderProblems {
    /// The one error naming every problem, with the accepted headers when a header was not
    /// understood; None when there is none.
    fn error(self) -> Option<Error> {
        let mut problems = Vec::new();
        if !self.unknown.is_empty() {
            let noun = if self.unknown.len() == 1 {
                "header"
            } else {
                "headers"
            };
            problems.push(format!("unknown column {noun} {}", self.unknown.join(", ")));
        }
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
        let mut message = format!("the CSV header row is not usable: {}", problems.join("; "));
        if !self.unknown.is_empty() || !self.missing.is_empty() {
            message.push_str(&format!(
                ". Accepted headers (API name or Chinese label): {}",
                accepted_headers()
            ));
        }
        message.push_str(". Fix the first line of the file and import again");
        Some(Error::invalid_argument(message))
    }
}
/// The likely intended header: an API field name, else a Chinese label.
fn suggestion(unknown: &str) -> Option<&'static str> {
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
fn accepted_headers() -> String {
    MEMBER_FIELDS
        .iter()
        .map(|field| format!("{} ({})", field.name, labels_of(field.name).join(" / ")))
        .collect::<Vec<_>>()
        .join(", ")
}
