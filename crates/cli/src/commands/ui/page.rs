//! The page: one HTML document with its style and script inline, all embedded in the binary
//! (`assets/`), nothing fetched from anywhere else. Chinese, or English when the browser
//! prefers it (`Accept-Language`); the script also switches on the page. The content
//! security policy lets run only the script and style that came with this response (a
//! fresh nonce each time), and lets the page talk to its own server only.

use super::guard::random_hex;

const HTML: &str = include_str!("assets/index.html");
const STYLE: &str = include_str!("assets/app.css");
/// The script, in the order the parts depend on each other.
const SCRIPTS: [&str; 6] = [
    include_str!("assets/i18n.js"),
    include_str!("assets/api.js"),
    include_str!("assets/table.js"),
    include_str!("assets/columns.js"),
    include_str!("assets/setup.js"),
    include_str!("assets/app.js"),
];

/// The page's languages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    Chinese,
    English,
}

impl Language {
    /// The language an `Accept-Language` header prefers among the page's two: the one of
    /// highest weight, Chinese when neither is named.
    pub fn preferred(accept: Option<&str>) -> Language {
        let mut best = (Language::Chinese, -1.0f64);
        for part in accept.unwrap_or_default().split(',') {
            let mut pieces = part.split(';');
            let tag = pieces
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase();
            let weight = pieces
                .filter_map(|p| p.trim().strip_prefix("q="))
                .find_map(|q| q.parse::<f64>().ok())
                .unwrap_or(1.0);
            let language = match tag.split('-').next() {
                Some("zh") => Language::Chinese,
                Some("en") => Language::English,
                _ => continue,
            };
            if weight > best.1 {
                best = (language, weight);
            }
        }
        best.0
    }

    fn tag(self) -> &'static str {
        match self {
            Language::Chinese => "zh-CN",
            Language::English => "en",
        }
    }
}

/// The page in `language`, and the content security policy that goes with it.
pub fn page(language: Language) -> Result<(String, String), getrandom::Error> {
    let nonce = random_hex(16)?;
    let html = HTML
        .replace("{{LANG}}", language.tag())
        .replace("{{NONCE}}", &nonce)
        .replace("{{STYLE}}", STYLE)
        .replace("{{SCRIPT}}", &SCRIPTS.join("\n"));
    let policy = format!(
        "default-src 'none'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; connect-src 'self'; img-src 'self' data:; form-action 'none'; frame-ancestors 'none'; base-uri 'none'"
    );
    Ok((html, policy))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_browser_preference_chooses_chinese_or_english() {
        let cases = [
            (None, Language::Chinese),
            (Some("zh-CN,zh;q=0.9,en;q=0.8"), Language::Chinese),
            (Some("en-US,en;q=0.9"), Language::English),
            (Some("en-GB,zh-CN;q=0.5"), Language::English),
            (Some("fr-FR,en;q=0.4,zh;q=0.7"), Language::Chinese),
            (Some("de-DE"), Language::Chinese),
            (Some("zh-TW"), Language::Chinese),
        ];
        for (accept, expected) in cases {
            assert_eq!(Language::preferred(accept), expected, "{accept:?}");
        }
    }

    #[test]
    fn the_page_is_whole_with_its_nonce() {
        let (html, policy) = page(Language::English).unwrap();
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert!(html.contains(r#"<html lang="en""#));
        assert!(!html.contains("{{"), "every placeholder is filled");
        let nonce = policy
            .split("'nonce-")
            .nth(1)
            .unwrap()
            .split('\'')
            .next()
            .unwrap();
        assert!(html.contains(&format!(r#"<script nonce="{nonce}">"#)));
        // Addresses appear only as words (the form's examples), never as something fetched.
        for external in [
            "src=\"http",
            "href=\"http",
            "url(http",
            "@import",
            "fetch('http",
        ] {
            assert!(!html.contains(external), "nothing external: {external}");
        }
    }
}
