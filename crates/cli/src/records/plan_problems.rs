//! What stops a plan of columns, gathered into one error so the shop settles the header row
//! once: typo-like headers (with did-you-mean), suggestions to confirm, columns that are no
//! member field (with the flag that leaves them out), text under no header, two columns for
//! one field, a mapping or `--skip-columns` that names no column, and a required field no
//! column gives.

use super::choices::ColumnChoices;
use super::layout::Layout;
use super::planned::{How, PlannedColumn};
use jdy_member::fields::MEMBER_FIELDS;
use jdy_member::headers;
use jdy_member::Error;

/// Everything wrong with a plan, each saying what to do; empty when it is settled.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Problems {
    list: Vec<String>,
    /// Whether a header looks like a typo or a required field is missing: the error then
    /// lists the accepted headers.
    unheard: bool,
}

impl Problems {
    /// The problems of `columns` (the why of a column giving a field twice is amended),
    /// under the header row `header`, with the mapping and skips of `choices`.
    pub fn of(columns: &mut [PlannedColumn], header: &[&str], choices: &ColumnChoices) -> Problems {
        let mut problems = Problems::default();
        problems.unsettled(columns, choices);
        for entry in choices.map.unused(header) {
            problems.list.push(format!(
                "the mapping (--map or --map-file) names `{}`, which no column is headed; give the headers as the file has them",
                entry.header
            ));
        }
        let unused = choices.unused(header);
        if !unused.is_empty() {
            problems.list.push(format!(
                "--skip-columns names {}, which no column is headed; give the headers exactly as the file has them",
                unused.iter().map(|name| format!("`{name}`")).collect::<Vec<_>>().join(", ")
            ));
        }
        problems.twice(columns);
        problems.missing(columns);
        problems
    }

    /// The one error naming every problem of the header row of a table laid out as `layout`;
    /// None when there is none.
    pub fn error(&self, layout: &Layout) -> Option<Error> {
        if self.list.is_empty() {
            return None;
        }
        let mut message = format!(
            "{} is not usable: {}",
            layout.header_row(),
            self.list.join("; ")
        );
        if self.unheard {
            message.push_str(&format!(". {}", accepted_headers()));
        }
        message.push_str(&format!(
            ". {} (or map the columns with --map HEADER=FIELD) and import again",
            layout.fix_header()
        ));
        Some(Error::invalid_argument(message))
    }

    /// Typos, suggestions, columns of no field and text under no header, a sentence each.
    fn unsettled(&mut self, columns: &[PlannedColumn], choices: &ColumnChoices) {
        let named = |c: &PlannedColumn| format!("{} `{}` ({})", c.column, c.header, c.why);
        let typos: Vec<String> = columns
            .iter()
            .filter(|c| c.how == How::Typo)
            .map(named)
            .collect();
        let open = |c: &&PlannedColumn| c.how == How::Unknown && !c.header.is_empty();
        let suggested: Vec<String> = columns
            .iter()
            .filter(|c| open(c) && c.suggest.is_some())
            .map(named)
            .collect();
        let not_fields: Vec<&PlannedColumn> = columns
            .iter()
            .filter(|c| open(c) && c.suggest.is_none())
            .collect();
        if !typos.is_empty() {
            let blanket = if choices.skip_unknown {
                " (--skip-unknown-columns never skips a column that looks like a typo)"
            } else {
                ""
            };
            self.list.push(format!(
                "{} like a typo of a member field: {}; correct the header or map the column with --map HEADER=FIELD{blanket}, or name it in --skip-columns to leave it out",
                if typos.len() == 1 { "a column looks" } else { "columns look" },
                typos.join(", ")
            ));
        }
        if !suggested.is_empty() {
            self.list.push(format!(
                "{} a member field, but the header does not say so for certain: {}; take {} with --map HEADER=FIELD, or leave {} out with --map HEADER=-",
                if suggested.len() == 1 { "a column may be" } else { "columns may be" },
                suggested.join(", "),
                if suggested.len() == 1 { "it" } else { "each" },
                if suggested.len() == 1 { "it" } else { "each" },
            ));
        }
        if !not_fields.is_empty() {
            let them = if not_fields.len() == 1 { "it" } else { "them" };
            self.list.push(format!(
                "{} no member field: {}; import without {them} with --skip-columns {} or --skip-unknown-columns",
                if not_fields.len() == 1 { "a column is" } else { "columns are" },
                not_fields.iter().map(|c| format!("{} `{}`", c.column, c.header)).collect::<Vec<_>>().join(", "),
                not_fields.iter().map(|c| c.header.as_str()).collect::<Vec<_>>().join(",")
            ));
        }
        for column in columns
            .iter()
            .filter(|c| c.how == How::Unknown && c.header.is_empty())
        {
            self.list
                .push(format!("column {} has {}", column.column, column.why));
        }
        self.unheard = !typos.is_empty();
    }

    /// Two columns giving one field: the later ones say which column gives it too.
    fn twice(&mut self, columns: &mut [PlannedColumn]) {
        for later in 1..columns.len() {
            let Some(field) = columns[later].field else {
                continue;
            };
            let Some(first) = columns[..later].iter().find(|c| c.field == Some(field)) else {
                continue;
            };
            let (first_column, first_header) = (first.column.clone(), first.header.clone());
            let column = &mut columns[later];
            column.why.push_str(&format!(
                "; {first_column} {first_header} gives {field} too"
            ));
            self.list.push(format!(
                "columns {first_column} `{first_header}` and {} `{}` both give `{field}`; keep one of them (--map {}=- leaves a column out)",
                column.column, column.header, column.header
            ));
        }
    }

    /// A required field no column gives, with the columns that may.
    fn missing(&mut self, columns: &[PlannedColumn]) {
        for field in MEMBER_FIELDS.iter().filter(|f| f.rule.required()) {
            if columns.iter().any(|c| c.field == Some(field.name)) {
                continue;
            }
            let known: Vec<&str> = std::iter::once(field.label)
                .chain(headers::aliases(field.name).iter().take(3).copied())
                .collect();
            let mut problem = format!(
                "no column gives `{}` ({} / ...), which every member needs",
                field.name,
                known.join(" / ")
            );
            for column in columns.iter().filter(|c| c.suggest == Some(field.name)) {
                problem.push_str(&format!(
                    "; {} `{}` may: add --map {}={}",
                    column.column, column.header, column.header, field.name
                ));
            }
            self.list.push(problem);
            self.unheard = true;
        }
    }
}

/// The headers a table may have, for a message about a header row that was not understood.
pub(super) fn accepted_headers() -> String {
    let fields: Vec<String> = MEMBER_FIELDS
        .iter()
        .map(|f| format!("{} ({})", f.name, f.label))
        .collect();
    format!(
        "Accepted headers: the API name or the Chinese label of a field, {}, or one of the other headers the README lists for each (\"Column headers\": 手机, 移动电话, 会员姓名, 出生日期, 卡号, 卡类型, 地址, ...)",
        fields.join(", ")
    )
}
