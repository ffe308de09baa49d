//! 易语言 (E): DLL命令 in the IDE's text form (`.DLL命令 名称, 返回值类型, "库", "库中命令名",
//! 公开, 备注` and one `.参数 名称, 类型[, 传址|数组][, 备注]` line per argument). stdcall,
//! unless the name in the library starts with `@` (cdecl).

use super::model::{Argument, Declaration, Place, Type};

/// 文本型 passes a pointer to the text (GBK, as the system code page has it) and lets a
/// function write into a text pre-sized with 取空白文本; 整数型 is 32 bits (the DLL for E
/// is the 32-bit one).
pub fn carries(place: Place, c_type: &str) -> &'static [&'static str] {
    match (place, c_type) {
        (Place::Argument, "const char *" | "char *") => &["文本型"],
        (_, "intptr_t" | "int32_t") => &["整数型"],
        _ => &[],
    }
}

/// The comma-separated fields of a `.DLL命令` or `.参数` line, trimmed.
fn fields(rest: &str) -> Vec<&str> {
    rest.split(',').map(str::trim).collect()
}

/// Every `.DLL命令` with the `.参数` lines that follow it.
pub fn read(text: &str) -> Result<Vec<Declaration>, String> {
    let mut found: Vec<Declaration> = Vec::new();
    let mut open = false;
    for (index, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if let Some(rest) = line.strip_prefix(".DLL命令") {
            let f = fields(rest);
            let name = f.first().copied().unwrap_or_default();
            if name.is_empty() {
                return Err(format!("line {}: a DLL命令 without a name", index + 1));
            }
            let entry = f
                .get(3)
                .map(|e| e.trim_matches('"'))
                .filter(|e| !e.is_empty());
            let entry = entry.unwrap_or(name);
            let (entry, convention) = match entry.strip_prefix('@') {
                Some(entry) => (entry, "cdecl"),
                None => (entry, "stdcall"),
            };
            let result = f.get(1).filter(|t| !t.is_empty()).map(|t| Type::plain(t));
            found.push(Declaration {
                name: entry.to_string(),
                result,
                arguments: Vec::new(),
                convention: convention.to_string(),
                line: index + 1,
            });
            open = true;
        } else if let Some(rest) = line.strip_prefix(".参数") {
            let f = fields(rest);
            let Some(declaration) = found.last_mut().filter(|_| open) else {
                continue; // a 子程序's parameter
            };
            let mut resolved = f.get(1).copied().unwrap_or_default().to_string();
            for flag in ["传址", "数组"] {
                if f.get(2).is_some_and(|x| x.contains(flag)) {
                    resolved = format!("{resolved} {flag}");
                }
            }
            declaration.arguments.push(Argument {
                name: f.first().copied().unwrap_or_default().to_string(),
                ty: Type {
                    written: rest.trim().to_string(),
                    resolved,
                },
            });
        } else if !line.is_empty() {
            open = false;
        }
    }
    Ok(found)
}
