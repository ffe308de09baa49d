//! PowerBuilder: external function declarations (`FUNCTION type name(args) LIBRARY "dll"
//! ALIAS FOR "entry;ansi"`), always stdcall. A string passes as UTF-16 (PowerBuilder 10
//! and later) unless the alias ends in `;ansi`; the reader writes that into each string
//! argument's type, so a `_a` function declared without `;ansi` is caught.

use super::model::{Argument, Declaration, Place, Type};
use super::text::{before_comment, collapse_spaces, statements};

/// `long` is 32 bits, `longptr` pointer-sized (`integer` is 16 bits: never an int32_t).
pub fn carries(place: Place, c_type: &str) -> &'static [&'static str] {
    match (place, c_type) {
        (Place::Argument, "const char *") => &["string;ansi"],
        (Place::Argument, "char *") => &["ref string;ansi"],
        (Place::Argument, "const wchar_t *") => &["string"],
        (Place::Argument, "wchar_t *") => &["ref string"],
        (_, "intptr_t") => &["longptr"],
        (_, "int32_t") => &["long"],
        _ => &[],
    }
}

fn code_of(line: &str) -> &str {
    before_comment(line, '"', |rest| rest.starts_with("//"))
}

fn continues(code: &str) -> Option<&str> {
    code.trim_end().strip_suffix('&')
}

/// The text between the first pair of double quotes after `keyword`.
fn quoted_after<'a>(text: &'a str, keyword: &str) -> Option<&'a str> {
    let at = text.to_ascii_lowercase().find(keyword)? + keyword.len();
    let open = text[at..].find('"')? + at + 1;
    let close = text[open..].find('"')? + open;
    Some(&text[open..close])
}

/// Every FUNCTION or SUBROUTINE with a LIBRARY (an external function). `/* */` comments
/// are taken out first.
pub fn read(text: &str) -> Result<Vec<Declaration>, String> {
    let text = super::text::without_comments(text, false);
    let mut found = Vec::new();
    for (line, statement) in statements(&text, code_of, continues) {
        let lower = statement.to_ascii_lowercase();
        let keyword = lower.split_whitespace().next().unwrap_or_default();
        if !matches!(keyword, "function" | "subroutine") || !lower.contains(" library ") {
            continue;
        }
        let open = statement.find('(').ok_or(format!("line {line}: no ("))?;
        let close = statement.find(')').ok_or(format!("line {line}: no )"))?;
        let head: Vec<&str> = statement[..open].split_whitespace().collect();
        let (result, name) = match (keyword, head.as_slice()) {
            ("function", [_, ty, name]) => (Some(Type::plain(&ty.to_ascii_lowercase())), name),
            ("subroutine", [_, name]) => (None, name),
            _ => return Err(format!("line {line}: cannot read `{}`", statement.trim())),
        };
        let alias = quoted_after(&statement[close..], " alias for ");
        let (entry, ansi) = match alias {
            Some(alias) => match alias.split_once(';') {
                Some((entry, charset)) => (entry, charset.eq_ignore_ascii_case("ansi")),
                None => (alias, false),
            },
            None => (*name, false),
        };
        let mut arguments = Vec::new();
        for argument in statement[open + 1..close].split(',') {
            if !argument.trim().is_empty() {
                arguments.push(read_argument(argument, ansi));
            }
        }
        found.push(Declaration {
            name: entry.to_string(),
            result,
            arguments,
            convention: "stdcall".to_string(),
            line,
        });
    }
    Ok(found)
}

/// `[ref | readonly] type name[]`: the type with `ref` kept and, for a string of an `;ansi`
/// function, `;ansi` added.
fn read_argument(argument: &str, ansi: bool) -> Argument {
    let words: Vec<String> = argument
        .split_whitespace()
        .map(str::to_ascii_lowercase)
        .collect();
    let name = argument.split_whitespace().last().unwrap_or_default();
    let mut ty = collapse_spaces(&words[..words.len().saturating_sub(1)].join(" "));
    if ansi && ty.ends_with("string") {
        ty.push_str(";ansi");
    }
    Argument {
        name: name.to_string(),
        ty: Type {
            written: collapse_spaces(argument),
            resolved: ty,
        },
    }
}
