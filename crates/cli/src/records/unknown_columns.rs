//! Columns of a shop's export that name no member field. A real export carries 积分, 余额,
//! 最后消费时间 and the like beside the member's own columns; a header can also be a typo of a
//! real one (手机号吗). Both refuse the file by default, so a typo never drops a column
//! silently; the one message tells them apart, and `--skip-columns` (exact headers) or
//! `--skip-unknown-columns` (only the columns that are no member field, never one that
//! looks like a typo) import the file without them.
//!
//! The tables here are the command line's for now: issue 25 moves the header tables beside
//! the library's field table (`jdy_member::fields`), their one home.

use super::header::suggestion;

/// Headers of shop and POS exports that name no field of the member API: with
/// `--skip-unknown-columns` they are left out. Listed so that none of them is ever taken
/// for a typo of a member field (会员卡号 looks like 会员姓名 to a string metric).
pub(super) const NOT_MEMBER_FIELDS: &[&str] = &[
    "积分",
    "可用积分",
    "累计积分",
    "余额",
    "卡内余额",
    "储值余额",
    "记次次数",
    "总消费金额",
    "累计消费",
    "消费次数",
    "总优惠额",
    "最后消费时间",
    "最近消费时间",
    "发卡日期",
    "作废日期",
    "单位",
    "证件类型",
    "证件号码",
    "身份证号",
    "邮箱",
    "电邮地址",
    "国家",
    "推荐人",
    "微信号",
    "QQ",
    "ID",
    "序号",
];

/// Headers that hold a member field under another name (the old card number is the API's
/// custom_no, 自定义卡号): offered as a correction, never skipped by the blanket flag, since
/// the shop wants them imported. Issue 25 makes them aliases.
const OTHER_NAMES: &[(&str, &str)] = &[("会员卡号", "自定义卡号"), ("卡号", "自定义卡号")];

/// The header of the reason column that a rejects workbook adds (`import` writes it); a
/// column of that exact header is left out on import, so a corrected rejects file imports
/// as it is.
pub const REJECT_REASON_HEADER: &str = "错误原因";

/// What a header that names no member field looks like.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Unknown {
    /// Close to a member field's header: probably meant to be it.
    Typo { meant: &'static str },
    /// A column the member API has no field for.
    NotAField,
}

/// Tells a typo of a member field's header from a column that is simply not a member field.
pub(super) fn classify(header: &str) -> Unknown {
    if NOT_MEMBER_FIELDS
        .iter()
        .any(|known| known.eq_ignore_ascii_case(header))
    {
        return Unknown::NotAField;
    }
    if let Some((_, meant)) = OTHER_NAMES.iter().find(|(name, _)| *name == header) {
        return Unknown::Typo { meant };
    }
    match suggestion(header) {
        Some(meant) => Unknown::Typo { meant },
        None => Unknown::NotAField,
    }
}

/// Which columns to leave out, from `--skip-columns` and `--skip-unknown-columns`.
#[derive(Debug, Clone, Default)]
pub struct ColumnChoices {
    /// Exact headers (trimmed) of columns to leave out, whatever they are.
    pub skip: Vec<String>,
    /// Leave out every column that is no member field (not those that look like typos).
    pub skip_unknown: bool,
}

impl ColumnChoices {
    /// Whether the column headed `header` is named in `--skip-columns`.
    pub(super) fn names(&self, header: &str) -> bool {
        self.skip.iter().any(|name| name.trim() == header)
    }

    /// The `--skip-columns` names that are no header of the file, for an error: a
    /// misspelt name must not pass unnoticed.
    pub(super) fn unused<'a>(&'a self, header: &[String]) -> Vec<&'a str> {
        self.skip
            .iter()
            .map(|name| name.trim())
            .filter(|name| !header.iter().any(|h| h.trim() == *name))
            .collect()
    }
}

/// The columns that named no member field, gathered for the one message about them.
#[derive(Default)]
pub(super) struct UnknownColumns {
    /// Each as "C `手机号吗` (did you mean `手机号`?)".
    pub typos: Vec<String>,
    /// Each as "H `积分`", and the bare headers for the flag to suggest.
    pub not_fields: Vec<String>,
    pub not_field_headers: Vec<String>,
}

impl UnknownColumns {
    pub fn add(&mut self, column: &str, header: &str) {
        match classify(header) {
            Unknown::Typo { meant } => self
                .typos
                .push(format!("{column} `{header}` (did you mean `{meant}`?)")),
            Unknown::NotAField => {
                self.not_fields.push(format!("{column} `{header}`"));
                self.not_field_headers.push(header.to_string());
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.typos.is_empty() && self.not_fields.is_empty()
    }

    /// The problems to report, typos first, each saying what to do.
    pub fn problems(&self, choices: &ColumnChoices) -> Vec<String> {
        let mut problems = Vec::new();
        if !self.typos.is_empty() {
            let blanket = if choices.skip_unknown {
                " (--skip-unknown-columns never skips a column that looks like a typo)"
            } else {
                ""
            };
            problems.push(format!(
                "{} like a typo of a member field: {}; correct the header{blanket}, or name the column in --skip-columns to leave it out",
                if self.typos.len() == 1 { "a column looks" } else { "columns look" },
                self.typos.join(", ")
            ));
        }
        if !self.not_fields.is_empty() {
            problems.push(format!(
                "{} no member field: {}; import without {} with --skip-columns {} or --skip-unknown-columns",
                if self.not_fields.len() == 1 { "a column is" } else { "columns are" },
                self.not_fields.join(", "),
                if self.not_fields.len() == 1 { "it" } else { "them" },
                self.not_field_headers.join(",")
            ));
        }
        problems
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_export_columns_are_never_typos() {
        for header in NOT_MEMBER_FIELDS {
            assert_eq!(classify(header), Unknown::NotAField, "{header}");
        }
        assert_eq!(classify("id"), Unknown::NotAField);
        assert_eq!(classify("手机号吗"), Unknown::Typo { meant: "手机号" });
        assert_eq!(classify("moblie"), Unknown::Typo { meant: "mobile" });
        assert_eq!(
            classify("会员卡号"),
            Unknown::Typo {
                meant: "自定义卡号"
            }
        );
        assert_eq!(classify("微信昵称"), Unknown::NotAField);
    }
}
