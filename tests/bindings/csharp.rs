//! C#: the P/Invoke declarations (`[DllImport] static extern`).

use super::model::{Argument, Declaration, Place, Type};
use super::text::{bracketed, collapse_spaces, line_at, split_name, split_top, without_comments};

/// Strings go in as NUL-terminated UTF-8 bytes (never `string`: the marshaler would
/// convert through the ANSI code page, GBK on a Chinese till) and come back as pointers
/// (never `string`: the marshaler would free an owned one with the wrong allocator).
pub fn carries(place: Place, c_type: &str) -> &'static [&'static str] {
    match (place, c_type) {
        (Place::Argument, "const char *") => &["byte[]", "IntPtr"],
        (_, "const char *" | "char *") => &["IntPtr"],
        (Place::Argument, "char **") => &["out IntPtr", "ref IntPtr"],
        (_, "JdyClient *") => &["JdyClientHandle", "IntPtr"],
        _ => &[],
    }
}

/// Every `static extern` method, with its [DllImport] (calling convention, EntryPoint).
pub fn read(text: &str) -> Result<Vec<Declaration>, String> {
    let code = without_comments(text, false);
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(at) = code[from..].find("static extern ").map(|i| i + from) {
        let end = code[at..]
            .find(';')
            .map(|i| i + at)
            .ok_or("a static extern without ;")?;
        let line = line_at(&code, at);
        let attributes_start = code[..at].rfind([';', '{', '}']).map_or(0, |i| i + 1);
        let attributes = &code[attributes_start..at];
        if !attributes.contains("DllImport") {
            return Err(format!(
                "line {line}: a static extern method without [DllImport]"
            ));
        }
        let declaration = &code[at + "static extern ".len()..end];
        let open = declaration.find('(').ok_or(format!("line {line}: no ("))?;
        let (result, name) = split_name(&declaration[..open]);
        let inner = bracketed(declaration, open).ok_or(format!("line {line}: no )"))?;
        let mut arguments = Vec::new();
        for (_, argument) in split_top(inner, ',', '"') {
            if argument.trim().is_empty() {
                continue;
            }
            let (ty, argument_name) = split_name(argument);
            arguments.push(Argument {
                name: argument_name.to_string(),
                ty: Type::plain(&collapse_spaces(ty)),
            });
        }
        let mut result = collapse_spaces(result);
        if let Some(marshal) = attributes.find("[return:") {
            let close = attributes[marshal..]
                .find(']')
                .map_or(attributes.len(), |i| marshal + i + 1);
            result = format!("{} {result}", collapse_spaces(&attributes[marshal..close]));
        }
        found.push(Declaration {
            name: quoted_after(attributes, "EntryPoint")
                .unwrap_or(name)
                .to_string(),
            result: (result != "void").then(|| Type::plain(&result)),
            arguments,
            convention: attributes
                .split("CallingConvention.")
                .nth(1)
                .map(|rest| {
                    rest.split(|c: char| !c.is_alphanumeric())
                        .next()
                        .unwrap_or_default()
                        .to_lowercase()
                })
                .unwrap_or_else(|| {
                    "winapi (DllImport's default: stdcall on 32-bit Windows)".to_string()
                }),
            line,
        });
        from = end;
    }
    Ok(found)
}

/// `Key = "value"` in an attribute: the value.
fn quoted_after<'a>(attributes: &'a str, key: &str) -> Option<&'a str> {
    let rest = &attributes[attributes.find(key)? + key.len()..];
    let rest = rest
        .trim_start()
        .strip_prefix('=')?
        .trim_start()
        .strip_prefix('"')?;
    rest.split('"').next()
}
