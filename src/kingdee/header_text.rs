//! A column header as shops' templates write it, reduced to the words that name the column:
//! full-width characters made half-width (Chinese input methods type `（` and `＊`), spaces
//! removed (full-width ones too), and the decorations templates add dropped: a required
//! mark (`*手机号`, `※姓名`), a note in brackets (`姓名（必填）`, `生日(选填)`, `【必填】手机号`,
//! `生日(格式:2000-01-01)`) and brackets around the whole header (`【手机号】`). ASCII is made
//! lower case, so `Mobile` and `ID` compare as `mobile` and `id`.
//!
//! A bracketed part that is no such note stays (`电话(座机)`): what it says may change the
//! column's meaning, so such a header is unknown rather than guessed at.

/// The brackets a note may be written in (after full-width ones are made half-width).
const BRACKETS: [(char, char); 5] = [
    ('(', ')'),
    ('[', ']'),
    ('【', '】'),
    ('〔', '〕'),
    ('<', '>'),
];

/// Marks a template puts on a header to say it is required or important.
const MARKS: [char; 4] = ['*', '※', '★', '☆'];

/// How a bracketed note starts: whether the column must be filled, or a hint of the format.
const NOTE_STARTS: [&str; 22] = [
    "必填",
    "选填",
    "非必填",
    "可选",
    "可填",
    "可不填",
    "必须",
    "必需",
    "必输",
    "选输",
    "可空",
    "不可为空",
    "不能为空",
    "required",
    "optional",
    "*",
    "格式",
    "如",
    "例",
    "示例",
    "e.g.",
    "eg",
];

/// The header reduced to the words that name it (see the module's documentation).
pub fn normalise(header: &str) -> String {
    let compact: String = header
        .chars()
        .filter(|c| !c.is_whitespace() && !is_zero_width(*c))
        .map(half_width)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    let without_notes = drop_notes(&compact);
    let bare: String = without_notes
        .chars()
        .filter(|c| !MARKS.contains(c) && *c != '【' && *c != '】')
        .collect();
    let bare = bare.trim_end_matches(':');
    unwrap_brackets(bare).to_string()
}

/// A full-width form (U+FF01 to U+FF5E) as its ASCII character; anything else as it is.
fn half_width(c: char) -> char {
    match u32::from(c) {
        code @ 0xFF01..=0xFF5E => char::from_u32(code - 0xFEE0).unwrap_or(c),
        _ => c,
    }
}

/// Characters that take no room: a copy from a web page leaves them in a header.
fn is_zero_width(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}')
}

/// The text without its bracketed notes; other bracketed parts stay.
fn drop_notes(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some((start, open, close)) = next_bracket(rest) {
        let inside_start = start + open.len_utf8();
        let Some(length) = rest[inside_start..].find(close) else {
            break;
        };
        let inside = &rest[inside_start..inside_start + length];
        let end = inside_start + length + close.len_utf8();
        out.push_str(&rest[..start]);
        if !is_note(inside) {
            out.push_str(&rest[start..end]);
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// Where the next opening bracket is, and the pair it belongs to.
fn next_bracket(text: &str) -> Option<(usize, char, char)> {
    text.char_indices().find_map(|(at, c)| {
        BRACKETS
            .iter()
            .find(|(open, _)| *open == c)
            .map(|(open, close)| (at, *open, *close))
    })
}

/// Whether a bracketed part is a note about filling the column in, not a part of its name:
/// "必填", "选填", a format hint ("格式:...", "如:..."), or a date pattern ("yyyy-mm-dd").
fn is_note(inside: &str) -> bool {
    let inside = inside.trim_start_matches(':');
    if inside.is_empty() {
        return true;
    }
    NOTE_STARTS.iter().any(|start| inside.starts_with(start))
        || inside
            .chars()
            .all(|c| c.is_ascii_digit() || "ymdhs-/.:年月日".contains(c))
}

/// `(手机号)` or `[手机号]` as `手机号`: brackets around the whole header are decoration.
fn unwrap_brackets(text: &str) -> &str {
    for (open, close) in BRACKETS {
        if let Some(inner) = text
            .strip_prefix(open)
            .and_then(|rest| rest.strip_suffix(close))
        {
            if !inner.contains(open) && !inner.contains(close) {
                return inner;
            }
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decorations_are_dropped() {
        for (header, bare) in [
            ("姓名（必填）", "姓名"),
            ("*手机号", "手机号"),
            ("＊手机号", "手机号"),
            ("※姓名", "姓名"),
            ("手机号 (必填)", "手机号"),
            ("生日(选填)", "生日"),
            ("【必填】手机号", "手机号"),
            ("【手机号】", "手机号"),
            ("手　机　号", "手机号"),
            (" 会员姓名 ", "会员姓名"),
            ("生日(格式:2000-01-01)", "生日"),
            ("生日（yyyy-mm-dd）", "生日"),
            ("生日(如：1990-05-07)", "生日"),
            ("手机号：", "手机号"),
            ("Mobile", "mobile"),
            ("ＩＤ", "id"),
            ("手机号(*)", "手机号"),
            ("\u{feff}手机号", "手机号"),
            ("电话（必填）", "电话"),
        ] {
            assert_eq!(normalise(header), bare, "{header}");
        }
    }

    #[test]
    fn brackets_that_say_something_stay() {
        assert_eq!(normalise("电话(座机)"), "电话(座机)");
        assert_eq!(normalise("手机（备用）"), "手机(备用)");
        assert_eq!(
            normalise("姓名(必填"),
            "姓名(必填",
            "an unclosed bracket stays"
        );
        assert_eq!(normalise("(必填)"), "");
    }
}
