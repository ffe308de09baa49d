//! Visual Basic 6 (and VBA): `Declare Function ... Lib ...` statements. VB's only calling
//! convention is stdcall (`CDecl` is read as cdecl, which VB6 cannot call).

use super::model::{Argument, Declaration, Place, Type};
use super::text::{before_comment, collapse_spaces, statements};

/// A string argument is `ByVal ... As String` (VB passes a pointer to the text converted to
/// the system code page, and copies a written buffer back); UTF-16 is passed as
/// `ByVal ... As Long` holding StrPtr(text); integers `ByVal ... As Long` (never the default
/// ByRef, which passes a pointer to the variable).
pub fn carries(place: Place, c_type: &str) -> &'static [&'static str] {
    match (place, c_type) {
        (Place::Argument, "const char *" | "char *") => &["ByVal String"],
        (Place::Argument, "const wchar_t *" | "wchar_t *" | "intptr_t" | "int32_t") => {
            &["ByVal Long"]
        }
        (Place::Result, "intptr_t" | "int32_t") => &["Long"],
        _ => &[],
    }
}

fn code_of(line: &str) -> &str {
    let code = before_comment(line, '"', |rest| rest.starts_with('\''));
    let word = code.trim_start();
    if word.len() >= 4 && word[..4].eq_ignore_ascii_case("rem ") {
        ""
    } else {
        code
    }
}

fn continues(code: &str) -> Option<&str> {
    let trimmed = code.trim_end();
    trimmed
        .strip_suffix(" _")
        .or_else(|| (trimmed == "_").then_some(""))
}

/// The words of `text`, case kept.
fn words(text: &str) -> Vec<&str> {
    text.split_whitespace().collect()
}

fn is(word: Option<&&str>, keyword: &str) -> bool {
    word.is_some_and(|w| w.eq_ignore_ascii_case(keyword))
}

/// Every `Declare` statement.
pub fn read(text: &str) -> Result<Vec<Declaration>, String> {
    let mut found = Vec::new();
    for (line, statement) in statements(text, code_of, continues) {
        let Some(open) = statement.find('(') else {
            continue;
        };
        let head = words(&statement[..open]);
        let mut at = 0;
        while matches!(head.get(at), Some(w) if w.eq_ignore_ascii_case("public") || w.eq_ignore_ascii_case("private"))
        {
            at += 1;
        }
        if !is(head.get(at), "declare") {
            continue;
        }
        at += 1;
        if is(head.get(at), "ptrsafe") {
            at += 1;
        }
        let function = is(head.get(at), "function");
        if !function && !is(head.get(at), "sub") {
            return Err(format!("line {line}: Declare without Function or Sub"));
        }
        let name = head.get(at + 1).ok_or(format!("line {line}: no name"))?;
        let mut convention = "stdcall";
        let mut entry = name.to_string();
        let rest = &head[at + 2..];
        for (i, word) in rest.iter().enumerate() {
            if word.eq_ignore_ascii_case("cdecl") {
                convention = "cdecl";
            }
            if word.eq_ignore_ascii_case("alias") {
                let alias = rest
                    .get(i + 1)
                    .ok_or(format!("line {line}: Alias without a name"))?;
                entry = alias.trim_matches('"').to_string();
            }
        }
        let close = statement.rfind(')').ok_or(format!("line {line}: no )"))?;
        let mut arguments = Vec::new();
        for argument in statement[open + 1..close].split(',') {
            if argument.trim().is_empty() {
                continue;
            }
            arguments.push(read_argument(argument));
        }
        let result = statement[close + 1..]
            .trim()
            .strip_prefix("As ")
            .or_else(|| statement[close + 1..].trim().strip_prefix("as "))
            .map(|ty| Type::plain(ty.trim()));
        found.push(Declaration {
            name: entry,
            result: if function {
                Some(result.unwrap_or_else(|| Type::plain("Variant")))
            } else {
                None
            },
            arguments,
            convention: convention.to_string(),
            line,
        });
    }
    Ok(found)
}

/// `[Optional] [ByVal | ByRef] name[()] [As Type]`: the type is resolved with how it is
/// passed, ByRef (VB's default) unless ByVal is written.
fn read_argument(argument: &str) -> Argument {
    let mut words = words(argument);
    if is(words.first(), "optional") {
        words.remove(0);
    }
    let mut passing = "ByRef";
    if is(words.first(), "byval") || is(words.first(), "byref") {
        if is(words.first(), "byval") {
            passing = "ByVal";
        }
        words.remove(0);
    }
    let name = words.first().copied().unwrap_or_default().to_string();
    let ty = match words.iter().position(|w| w.eq_ignore_ascii_case("as")) {
        Some(i) => collapse_spaces(&words[i + 1..].join(" ")),
        None => "Variant".to_string(),
    };
    Argument {
        ty: Type {
            written: collapse_spaces(argument),
            resolved: format!("{passing} {ty}"),
        },
        name,
    }
}
