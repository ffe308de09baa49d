//! Visual FoxPro: `DECLARE [type] name IN library [AS alias] [type [@] name, ...]`, always
//! stdcall. Keywords and types in any case; the function name is the DLL's, exactly.

use super::model::{Argument, Declaration, Place, Type};
use super::text::{before_comment, collapse_spaces, statements};

/// Strings go in as STRING (a pointer to a NUL-terminated copy) and come back through
/// STRING @ (a pointer to the variable's own buffer, pre-sized); INTEGER and LONG are both
/// 32 bits (SHORT is 16).
pub fn carries(place: Place, c_type: &str) -> &'static [&'static str] {
    match (place, c_type) {
        (Place::Argument, "const char *") => &["STRING"],
        (Place::Argument, "char *") => &["STRING @"],
        (_, "intptr_t" | "int32_t") => &["INTEGER", "LONG"],
        _ => &[],
    }
}

fn code_of(line: &str) -> &str {
    let trimmed = line.trim_start();
    if trimmed.starts_with('*') || trimmed.to_ascii_uppercase().starts_with("NOTE ") {
        return "";
    }
    before_comment(line, '"', |rest| rest.starts_with("&&"))
}

fn continues(code: &str) -> Option<&str> {
    code.trim_end().strip_suffix(';')
}

const TYPES: [&str; 7] = [
    "SHORT", "INTEGER", "LONG", "SINGLE", "DOUBLE", "STRING", "OBJECT",
];

/// Every DECLARE ... IN statement.
pub fn read(text: &str) -> Result<Vec<Declaration>, String> {
    let mut found = Vec::new();
    for (line, statement) in statements(text, code_of, continues) {
        let words: Vec<&str> = statement.split_whitespace().collect();
        if !words
            .first()
            .is_some_and(|w| w.eq_ignore_ascii_case("declare"))
        {
            continue;
        }
        let upper = |i: usize| words.get(i).map(|w| w.to_ascii_uppercase());
        let (result, at) = match upper(1) {
            Some(t) if TYPES.contains(&t.as_str()) => (Some(Type::plain(&t)), 2),
            _ => (None, 1),
        };
        let name = words
            .get(at)
            .ok_or(format!("line {line}: DECLARE without a name"))?;
        if upper(at + 1).as_deref() != Some("IN") {
            return Err(format!("line {line}: DECLARE {name} without IN"));
        }
        let mut rest = at + 3;
        if upper(rest).as_deref() == Some("AS") {
            rest += 2;
        }
        let parameters = words[rest.min(words.len())..].join(" ");
        let mut arguments = Vec::new();
        for parameter in parameters.split(',') {
            if parameter.trim().is_empty() {
                continue;
            }
            let mut parts: Vec<String> = parameter
                .replace('@', " @ ")
                .split_whitespace()
                .map(str::to_string)
                .collect();
            let ty = parts.remove(0).to_ascii_uppercase();
            let by_reference = parts.first().is_some_and(|p| p == "@");
            if by_reference {
                parts.remove(0);
            }
            arguments.push(Argument {
                name: parts.join(" "),
                ty: Type {
                    written: collapse_spaces(parameter),
                    resolved: if by_reference { format!("{ty} @") } else { ty },
                },
            });
        }
        found.push(Declaration {
            name: name.to_string(),
            result,
            arguments,
            convention: "stdcall".to_string(),
            line,
        });
    }
    Ok(found)
}
