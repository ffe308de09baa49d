//! The C header's declarations.

use super::model::{Argument, Declaration, Type};
use super::text::{bracketed, collapse_spaces, line_at, split_name, split_top, without_comments};

/// The header's `jdy_*` functions. C types are spelled "const char *", "char **",
/// "JdyClient *"; a function marked stdcall (JDY_STDCALL, __stdcall) has that convention,
/// every other one cdecl.
pub fn read_header(text: &str) -> Result<Vec<Declaration>, String> {
    let code: String = without_comments(text, false)
        .lines()
        .map(|line| {
            if line.trim_start().starts_with('#') {
                ""
            } else {
                line
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    let mut found = Vec::new();
    for (offset, statement) in split_top(&code, ';', '"') {
        let statement = statement
            .rsplit(['{', '}'])
            .next()
            .unwrap_or_default()
            .trim();
        let Some(open) = statement.find('(') else {
            continue;
        };
        let (result, name) = split_name(&statement[..open]);
        if statement.starts_with("typedef") || !name.starts_with("jdy_") {
            continue;
        }
        let inner =
            bracketed(statement, open).ok_or_else(|| format!("{name}: no closing parenthesis"))?;
        let mut convention = "cdecl";
        let result: Vec<&str> = result
            .split_whitespace()
            .filter(|word| {
                let stdcall = word.to_ascii_lowercase().contains("stdcall");
                if stdcall {
                    convention = "stdcall";
                }
                !stdcall
            })
            .collect();
        let result = c_type(&result.join(" "));
        let mut arguments = Vec::new();
        for (_, argument) in split_top(inner, ',', '"') {
            if matches!(argument.trim(), "" | "void") {
                continue;
            }
            let (ty, argument_name) = split_name(argument);
            arguments.push(Argument {
                name: argument_name.to_string(),
                ty: Type::plain(&c_type(ty)),
            });
        }
        found.push(Declaration {
            line: line_at(&code, offset + code[offset..].find(name).unwrap_or(0)),
            name: name.to_string(),
            result: (result != "void").then(|| Type::plain(&result)),
            arguments,
            convention: convention.to_string(),
        });
    }
    if found.is_empty() {
        return Err("no jdy_* function declarations".to_string());
    }
    Ok(found)
}

/// "const char*", "char  **" → "const char *", "char **".
fn c_type(written: &str) -> String {
    let stars = written.matches('*').count();
    let base = collapse_spaces(&written.replace('*', " "));
    if stars == 0 {
        base
    } else {
        format!("{base} {}", "*".repeat(stars))
    }
}
