//! Pascal (Delphi, Free Pascal): the routines declared `external`.

use std::collections::BTreeMap;

use super::model::{Argument, Declaration, Place, Type};
use super::text::{bracketed, line_at, split_top, without_comments};

/// PAnsiChar (or PUTF8Char) for every string: PChar is a UTF-16 pointer in Delphi 2009+.
pub fn carries(place: Place, c_type: &str) -> &'static [&'static str] {
    match (place, c_type) {
        (_, "const char *" | "char *") => &["PAnsiChar", "PUTF8Char"],
        (Place::Argument, "char **") => {
            &["^PAnsiChar", "PPAnsiChar", "var PAnsiChar", "out PAnsiChar"]
        }
        (_, "JdyClient *") => &["Pointer"],
        _ => &[],
    }
}

const CONVENTIONS: &[&str] = &[
    "cdecl", "stdcall", "register", "pascal", "safecall", "winapi",
];
const DIRECTIVES: &[&str] = &[
    "cdecl",
    "stdcall",
    "register",
    "pascal",
    "safecall",
    "winapi",
    "external",
    "name",
    "index",
    "overload",
    "inline",
    "varargs",
    "delayed",
    "platform",
    "deprecated",
];

fn first_word(text: &str) -> String {
    text.split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase()
}

/// Every routine declared `external` (an import), with its calling convention.
pub fn read(text: &str) -> Result<Vec<Declaration>, String> {
    let code = without_comments(text, true);
    let statements: Vec<(usize, &str)> = split_top(&code, ';', '\'')
        .into_iter()
        .map(|(offset, s)| (offset + (s.len() - s.trim_start().len()), s.trim()))
        .collect();
    let aliases = aliases(&statements);
    let mut found = Vec::new();
    for (index, &(offset, statement)) in statements.iter().enumerate() {
        let keyword = first_word(statement);
        if keyword != "function" && keyword != "procedure" {
            continue;
        }
        let directives: Vec<&str> = statements[index + 1..]
            .iter()
            .map(|&(_, s)| s)
            .take_while(|s| DIRECTIVES.contains(&first_word(s).as_str()))
            .collect();
        let Some(external) = directives.iter().find(|d| first_word(d) == "external") else {
            continue;
        };
        let line = line_at(&code, offset);
        let heading = statement[keyword.len()..].trim_start();
        let name_end = heading
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(heading.len());
        let (name, mut rest) = (&heading[..name_end], heading[name_end..].trim_start());
        let mut arguments = Vec::new();
        if rest.starts_with('(') {
            let inner = bracketed(rest, 0).ok_or(format!("line {line}: no )"))?;
            for (_, group) in split_top(inner, ';', '\'') {
                arguments.extend(group_arguments(group, &aliases));
            }
            rest = rest[inner.len() + 2..].trim_start();
        }
        let result = match (keyword.as_str(), rest.strip_prefix(':')) {
            ("function", Some(ty)) => Some(resolve(ty.trim(), &aliases)),
            ("function", None) => {
                return Err(format!(
                    "line {line}: function {name} without a result type"
                ))
            }
            _ => None,
        };
        let convention = directives
            .iter()
            .map(|d| first_word(d))
            .find(|d| CONVENTIONS.contains(&d.as_str()))
            .unwrap_or_else(|| "register (Delphi's default)".to_string());
        let entry = external
            .split_once(" name ")
            .map(|(_, n)| n.trim().trim_matches('\'').to_string());
        found.push(Declaration {
            name: entry.unwrap_or_else(|| name.to_string()),
            result,
            arguments,
            convention,
            line,
        });
    }
    Ok(found)
}

/// `const a, b: T` → an argument for each name; `var`/`out` stay part of the type (they
/// pass a pointer), `const` does not.
fn group_arguments(group: &str, aliases: &BTreeMap<String, String>) -> Vec<Argument> {
    let (names, ty) = group.split_once(':').unwrap_or((group, "(untyped)"));
    let mut names = names.trim();
    let mut modifier = "";
    for word in ["const ", "constref ", "var ", "out "] {
        if names.to_ascii_lowercase().starts_with(word) {
            modifier = word;
            names = names[word.len()..].trim_start();
        }
    }
    let mut ty = resolve(ty.trim(), aliases);
    if modifier == "var " || modifier == "out " {
        ty = Type {
            written: format!("{modifier}{}", ty.written),
            resolved: format!("{modifier}{}", ty.resolved),
        };
    }
    names
        .split(',')
        .filter(|n| !n.trim().is_empty())
        .map(|n| Argument {
            name: n.trim().to_string(),
            ty: ty.clone(),
        })
        .collect()
}

/// `Name = Target` type declarations whose target is a type name or a pointer to one.
fn aliases(statements: &[(usize, &str)]) -> BTreeMap<String, String> {
    let mut aliases = BTreeMap::new();
    for &(_, statement) in statements {
        let statement = match first_word(statement).as_str() {
            "type" => statement[4..].trim_start(),
            _ => statement,
        };
        let Some((name, target)) = statement.split_once('=') else {
            continue;
        };
        let (name, target) = (name.trim(), target.trim());
        let word = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_alphanumeric() || c == '_');
        if word(name) && word(target.strip_prefix('^').unwrap_or(target)) {
            aliases.insert(name.to_ascii_lowercase(), target.to_string());
        }
    }
    aliases
}

fn resolve(written: &str, aliases: &BTreeMap<String, String>) -> Type {
    let mut resolved = written.to_string();
    for _ in 0..8 {
        match aliases.get(&resolved.to_ascii_lowercase()) {
            Some(target) => resolved = target.clone(),
            None => break,
        }
    }
    Type {
        written: written.to_string(),
        resolved,
    }
}
