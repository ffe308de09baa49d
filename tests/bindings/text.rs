//! Reading declaration files as text: comments, literals, brackets, names.

/// The text with comments blanked out (newlines kept, so offsets keep their lines), string
/// and character literals kept. `pascal`: `{ }`, `(* *)` and `//` comments, `'` strings with
/// `''`; otherwise C and C#: `/* */`, `//`, `"` strings and `'` characters with `\` escapes.
pub fn without_comments(text: &str, pascal: bool) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let blank = |c: char| if c == '\n' { '\n' } else { ' ' };
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        let (end, is_comment): (Option<&str>, bool) = match (c, next) {
            ('/', Some('/')) => (Some("\n"), true),
            ('/', Some('*')) if !pascal => (Some("*/"), true),
            ('(', Some('*')) if pascal => (Some("*)"), true),
            ('{', _) if pascal => (Some("}"), true),
            ('\'', _) => (Some("'"), false),
            ('"', _) if !pascal => (Some("\""), false),
            _ => (None, false),
        };
        let Some(end) = end else {
            out.push(c);
            i += 1;
            continue;
        };
        let end: Vec<char> = end.chars().collect();
        let mut j = i + if is_comment && c != '{' { 2 } else { 1 };
        while j < chars.len() && !chars[j..].starts_with(&end) {
            j += if !pascal && !is_comment && chars[j] == '\\' {
                2
            } else {
                1
            };
        }
        let stop = (j + end.len()).min(chars.len());
        for &k in &chars[i..stop] {
            out.push(if is_comment { blank(k) } else { k });
        }
        i = stop;
    }
    out
}

/// `text` split at `separator` outside brackets and `quote`d literals: (offset, piece).
pub fn split_top(text: &str, separator: char, quote: char) -> Vec<(usize, &str)> {
    let (mut pieces, mut depth, mut quoted, mut start) = (Vec::new(), 0i32, false, 0);
    for (i, c) in text.char_indices() {
        match c {
            _ if c == quote => quoted = !quoted,
            _ if quoted => {}
            '(' | '[' => depth += 1,
            ')' | ']' => depth = (depth - 1).max(0),
            _ if c == separator && depth == 0 => {
                pieces.push((start, &text[start..i]));
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    pieces.push((start, &text[start..]));
    pieces
}

pub fn line_at(text: &str, offset: usize) -> usize {
    text[..offset].matches('\n').count() + 1
}

/// `type name` → (type, name): the name is the last identifier.
pub fn split_name(declared: &str) -> (&str, &str) {
    let declared = declared.trim();
    let start = declared
        .rfind(|c: char| !(c.is_alphanumeric() || c == '_'))
        .map_or(0, |i| i + 1);
    (declared[..start].trim(), &declared[start..])
}

pub fn collapse_spaces(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The text between the bracket at `open` and its partner.
pub fn bracketed(text: &str, open: usize) -> Option<&str> {
    let mut depth = 0;
    for (i, c) in text[open..].char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return Some(&text[open + 1..open + i]);
                }
            }
            _ => {}
        }
    }
    None
}

/// The statements of a line-oriented language, each with the line it starts on: lines
/// joined where `continues` says a line goes on (it returns the line without its
/// continuation mark), after `code_of` has taken each line's comment off.
pub fn statements(
    text: &str,
    code_of: fn(&str) -> &str,
    continues: fn(&str) -> Option<&str>,
) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    let mut current: Option<(usize, String)> = None;
    for (index, line) in text.lines().enumerate() {
        let code = code_of(line.trim_end_matches('\r'));
        let (piece, more) = match continues(code) {
            Some(piece) => (piece, true),
            None => (code, false),
        };
        let statement = current.get_or_insert_with(|| (index + 1, String::new()));
        statement.1.push_str(piece);
        statement.1.push(' ');
        if !more {
            found.extend(current.take());
        }
    }
    found.extend(current);
    found
}

/// `line` up to where a comment starts (`starts` says where, outside the quotes `quote`).
pub fn before_comment(line: &str, quote: char, starts: fn(&str) -> bool) -> &str {
    let mut quoted = false;
    for (i, c) in line.char_indices() {
        if c == quote {
            quoted = !quoted;
        } else if !quoted && starts(&line[i..]) {
            return &line[..i];
        }
    }
    line
}
