//! A table's columns as planned: what each feeds, how it was taken and why, as `validate`
//! prints it (`C 移动电话 → mobile (alias)`) and as `--json` and the import page give it.

use serde_json::{json, Value};

/// What one column of a table feeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Column {
    Field(&'static str),
    /// A column with an empty header and no text (Excel leaves such columns behind).
    Ignored,
    /// A column left out: on purpose, or not settled (a plan with such columns is refused).
    Skipped,
}

/// How a column was taken: the `how` of `validate --json`'s `columns`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum How {
    /// Its header is the field's API name.
    Name,
    /// The field's Chinese label.
    Label,
    /// One of the field's other headers in the table.
    Alias,
    /// A guessed header its values confirm.
    Content,
    /// A mapping.
    Map,
    /// Left out.
    Skipped,
    /// Not taken: no member field, a suggestion, or text under no header.
    Unknown,
    /// Not taken: looks like a typo of a known header.
    Typo,
}

impl How {
    pub fn as_str(self) -> &'static str {
        match self {
            How::Name => "name",
            How::Label => "label",
            How::Alias => "alias",
            How::Content => "content",
            How::Map => "map",
            How::Skipped => "skipped",
            How::Unknown => "unknown",
            How::Typo => "typo",
        }
    }
}

/// One column of the plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedColumn {
    /// 0-based, in the header row.
    pub index: usize,
    /// Its letter as Excel shows it: "C".
    pub column: String,
    /// As the file has it, trimmed.
    pub header: String,
    /// Its first three values (personal data: shown to the person importing, never logged).
    pub values: Vec<String>,
    /// The field it goes to.
    pub field: Option<&'static str>,
    pub how: How,
    /// The field it may be (a guess its values do not confirm, a typo).
    pub suggest: Option<&'static str>,
    /// Why, in words: "alias", "3 of 13 values are mobiles; add --map 电话=mobile", ...
    pub why: String,
}

impl PlannedColumn {
    /// The line `validate` prints: `C 移动电话 → mobile (alias)`.
    pub fn line(&self) -> String {
        let target = match (self.field, self.how, self.suggest) {
            (Some(field), _, _) => field.to_string(),
            (None, How::Skipped, _) => "skipped".to_string(),
            (None, How::Unknown, Some(field)) => format!("{field}?"),
            _ => "unknown".to_string(),
        };
        let header = if self.header.is_empty() {
            "(no header)"
        } else {
            &self.header
        };
        format!("{} {header} → {target} ({})", self.column, self.why)
    }

    /// The column in `validate --json`: `{"column": "C", "header": "移动电话", "field":
    /// "mobile", "how": "alias"}`, with `suggest` where there is one.
    pub fn to_json(&self) -> Value {
        let mut column = json!({
            "column": self.column,
            "header": self.header,
            "field": self.field,
            "how": self.how.as_str(),
        });
        if let Some(suggest) = self.suggest {
            column["suggest"] = Value::from(suggest);
        }
        column
    }
}
