//! The library's layers, kept true: every `use crate::...`, `super::...` and inline
//! `crate::x::` path in `src/**/*.rs` (tests excluded) is read, resolved to the file it
//! names, and checked against the direction of the layers (the README's layout section
//! draws them). A test fails, naming the file, the line and the import, on an import
//! against the direction, on a path through the crate root's re-exports (which would hide
//! the layer it comes from), on a top-level module no layer lists, and on any cycle among
//! the library's files.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The layers from the bottom up, by rank, and the top-level modules of each. A module may
/// use its own layer and every layer of a lower rank; `kingdee` and `sys` share a rank and
/// do not use each other.
const LAYERS: [(u8, &str, &[&str]); 10] = [
    (
        0,
        "foundation",
        &["error", "input", "options", "envelope", "panic"],
    ),
    (1, "kingdee", &["kingdee"]),
    (1, "sys", &["sys"]),
    (2, "settings", &["config", "log"]),
    (3, "gateway", &["gateway"]),
    (4, "members", &["members"]),
    (5, "outbox", &["outbox"]),
    (6, "client and doctor", &["client", "doctor"]),
    (7, "batch", &["batch"]),
    (8, "ffi", &["ffi"]),
];

/// One module path, e.g. `["gateway", "engine"]`; the crate root is empty.
type Module = Vec<String>;

/// An import of one file: the module it names, where, and as written.
#[derive(Debug, Clone)]
struct Import {
    target: Module,
    line: usize,
    text: String,
}

/// A source file of the library.
struct File {
    path: String,
    module: Module,
    imports: Vec<Import>,
}

#[test]
fn the_library_keeps_its_layers_and_has_no_cycle() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut sources = Vec::new();
    collect(&root.join("src"), root, &mut sources);
    assert!(sources.len() > 20, "src/ was not found: {}", sources.len());
    let problems = check(&sources);
    assert!(
        problems.is_empty(),
        "{} problem(s) with the layers (see the README's layout section):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn the_check_fails_on_an_upward_import_a_root_path_and_a_cycle() {
    let doctored: Vec<(String, String)> = [
        ("src/lib.rs", "mod gateway;\nmod members;\npub use error::Error;"),
        ("src/error.rs", "pub struct Error;"),
        ("src/gateway/mod.rs", "pub(crate) mod engine;"),
        (
            "src/gateway/engine.rs",
            "use crate::error::Error;\n\n// use crate::members::save; (a comment)\nuse crate::members::{\n    validation::{self, Rule as R},\n    references,\n};\n",
        ),
        (
            "src/members/mod.rs",
            "pub(crate) mod recovery;\npub(crate) mod references;\npub(crate) mod save;\npub(crate) mod validation;",
        ),
        ("src/members/references.rs", "pub struct Unresolved;"),
        ("src/members/validation.rs", "pub enum Rule {}"),
        (
            "src/members/save.rs",
            "use crate::gateway::engine::Engine;\nfn f() { super::recovery::look(); }",
        ),
        (
            "src/members/recovery.rs",
            "use crate::Error;\nconst S: &str = \"crate::batch::X\";\nfn g() -> crate::members::save::Saved { todo!() }\n#[cfg(test)]\nmod tests { use crate::batch::Anything; }",
        ),
        ("src/mystery.rs", "use crate::error::Error;"),
    ]
    .into_iter()
    .map(|(path, text)| (path.to_string(), text.to_string()))
    .collect();
    let problems = check(&doctored);
    let wanted = [
        "src/gateway/engine.rs:4: `crate::members::validation` goes up from gateway to members",
        "src/gateway/engine.rs:4: `crate::members::validation::Rule` goes up from gateway to members",
        "src/gateway/engine.rs:4: `crate::members::references` goes up from gateway to members",
        "src/members/recovery.rs:1: `crate::Error` goes through the crate root's re-exports",
        "src/mystery.rs: the top-level module `mystery` is in no layer",
        "a cycle among src/members/",
        "src/members/save.rs:2 `super::recovery::look`",
        "src/members/recovery.rs:3 `crate::members::save::Saved`",
    ];
    for wanted in wanted {
        assert!(
            problems.iter().any(|p| p.contains(wanted)),
            "{wanted:?} not among:\n{}",
            problems.join("\n")
        );
    }
    for p in &problems {
        assert!(!p.contains("comment") && !p.contains("batch"), "{p}");
    }
    assert_eq!(problems.len(), 6, "{}", problems.join("\n"));
}

/// Every `.rs` file under `dir`, with its path relative to `root`.
fn collect(dir: &Path, root: &Path, out: &mut Vec<(String, String)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<_> = entries.filter_map(|e| e.ok()).map(|e| e.path()).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            collect(&path, root, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let relative = path.strip_prefix(root).unwrap_or(&path);
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            out.push((relative.to_string_lossy().replace('\\', "/"), text));
        }
    }
}

/// Every problem of these sources (path relative to the package, text).
fn check(sources: &[(String, String)]) -> Vec<String> {
    let files: Vec<File> = sources
        .iter()
        .filter_map(|(path, text)| {
            let module = module_of(path)?;
            if module.is_empty() || module.iter().any(|m| m == "tests") {
                return None; // the crate root's paths, and tests
            }
            Some(File {
                path: path.clone(),
                imports: imports(&module, &strip(text)),
                module,
            })
        })
        .collect();
    let known: BTreeSet<Module> = files.iter().map(|f| f.module.clone()).collect();
    let mut problems = Vec::new();
    let mut unlisted = BTreeSet::new();
    let mut edges: BTreeMap<usize, Vec<(usize, &Import)>> = BTreeMap::new();
    for (index, file) in files.iter().enumerate() {
        let Some(from) = layer(&file.module) else {
            if unlisted.insert(file.module[0].clone()) {
                problems.push(format!(
                    "{}: the top-level module `{}` is in no layer; add it to LAYERS in tests/layers.rs and to the README's layout",
                    file.path, file.module[0]
                ));
            }
            continue;
        };
        for import in &file.imports {
            let target = resolve(&import.target, &known);
            if target.is_empty() {
                problems.push(format!(
                    "{}:{}: `{}` goes through the crate root's re-exports; name the module it comes from",
                    file.path, import.line, import.text
                ));
                continue;
            }
            if target == file.module || target.starts_with(&file.module) {
                continue; // itself, or a module it declares
            }
            let Some(to) = layer(&target) else { continue };
            let allowed = to.0 < from.0 || to.1 == from.1;
            if !allowed {
                problems.push(format!(
                    "{}:{}: `{}` goes up from {} to {}; a layer uses only the layers below it",
                    file.path, import.line, import.text, from.1, to.1
                ));
            }
            if let Some(to_index) = files.iter().position(|f| f.module == target) {
                edges.entry(index).or_default().push((to_index, import));
            }
        }
    }
    let files = &files;
    for cycle in cycles(files.len(), &edges) {
        let names: Vec<&str> = cycle.iter().map(|&i| files[i].path.as_str()).collect();
        let ties: Vec<String> = cycle
            .iter()
            .flat_map(|&i| {
                edges
                    .get(&i)
                    .into_iter()
                    .flatten()
                    .filter(|(to, _)| cycle.contains(to))
                    .map(move |(_, import)| {
                        format!("{}:{} `{}`", files[i].path, import.line, import.text)
                    })
            })
            .collect();
        problems.push(format!(
            "a cycle among {}: {}",
            names.join(", "),
            ties.join("; ")
        ));
    }
    problems
}

/// The layer (rank, name) of a module, by its first segment.
fn layer(module: &Module) -> Option<(u8, &'static str)> {
    let top = module.first()?;
    LAYERS
        .iter()
        .find(|(_, _, tops)| tops.contains(&top.as_str()))
        .map(|(rank, name, _)| (*rank, *name))
}

/// `src/gateway/engine.rs` → `gateway::engine`; `src/gateway/mod.rs` → `gateway`;
/// `src/lib.rs` → the root.
fn module_of(path: &str) -> Option<Module> {
    let inner = path.strip_prefix("src/")?.strip_suffix(".rs")?;
    let mut parts: Module = inner.split('/').map(str::to_string).collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib")) {
        parts.pop();
    }
    Some(parts)
}

/// The longest prefix of `path` that is a module of the library (a path to an item names
/// the module the item is in); empty when only the crate root matches.
fn resolve(path: &Module, known: &BTreeSet<Module>) -> Module {
    (0..=path.len())
        .rev()
        .map(|n| path[..n].to_vec())
        .find(|prefix| known.contains(prefix))
        .unwrap_or_default()
}

/// The code of a file without comments, string and character literals and `#[cfg(test)]`
/// modules; line breaks are kept, so lines still count.
fn strip(text: &str) -> String {
    let code = strip_comments_and_literals(text);
    strip_test_modules(&code)
}

fn strip_comments_and_literals(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let blank = |c: char| if c == '\n' { '\n' } else { ' ' };
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                out.push(' ');
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    out.push_str("  ");
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    out.push_str("  ");
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    out.push(blank(chars[i]));
                    i += 1;
                }
            }
        } else if c == 'r' && matches!(next, Some('#' | '"')) && !word_before(&chars, i) {
            // A raw string: r"...", r#"..."#.
            let mut hashes = 0;
            let mut j = i + 1;
            while chars.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if chars.get(j) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            let closing: String = std::iter::once('"')
                .chain((0..hashes).map(|_| '#'))
                .collect();
            let rest: String = chars[j + 1..].iter().collect();
            let end = rest.find(&closing).map_or(chars.len(), |at| {
                j + 1 + rest[..at].chars().count() + closing.chars().count()
            });
            out.extend(chars[i..end].iter().map(|&c| blank(c)));
            i = end;
        } else if c == '"' {
            out.push(' ');
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                let step = if chars[i] == '\\' { 2 } else { 1 };
                for k in 0..step {
                    if let Some(&c) = chars.get(i + k) {
                        out.push(blank(c));
                    }
                }
                i += step;
            }
            out.push(' ');
            i += 1;
        } else if c == '\'' {
            // A character literal ('x', '\n', '\u{FEFF}'), or a lifetime ('a): left as it is.
            let end = if next == Some('\\') {
                chars[i + 2..]
                    .iter()
                    .position(|&c| c == '\'')
                    .map(|at| i + 2 + at + 1)
            } else if chars.get(i + 2) == Some(&'\'') {
                Some(i + 3)
            } else {
                None
            };
            match end {
                Some(end) => {
                    out.extend(chars[i..end].iter().map(|&c| blank(c)));
                    i = end;
                }
                None => {
                    out.push(c);
                    i += 1;
                }
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

fn word_before(chars: &[char], i: usize) -> bool {
    i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_')
}

/// Blanks `#[cfg(test)] mod name { ... }` and `#[cfg(test)] mod name;` (other attributes
/// may stand between).
fn strip_test_modules(code: &str) -> String {
    let mut out: Vec<char> = code.chars().collect();
    let text: String = out.iter().collect();
    let mut from = 0;
    while let Some(at) = text[from..].find("#[cfg(test)]").map(|at| from + at) {
        let start = text[..at].chars().count();
        let after = &text[at + "#[cfg(test)]".len()..];
        let rest = after.trim_start();
        let rest = skip_attributes(rest);
        from = at + 1;
        if !rest.starts_with("mod ") {
            continue;
        }
        let offset = text.len() - rest.len();
        let Some(open) = rest.find(['{', ';']) else {
            continue;
        };
        let mut end = offset + open + 1;
        if rest[open..].starts_with('{') {
            let mut depth = 0;
            for (k, c) in text[offset + open..].char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    _ => {}
                }
                if depth == 0 {
                    end = offset + open + k + 1;
                    break;
                }
            }
        }
        let stop = text[..end].chars().count();
        for c in &mut out[start..stop] {
            if *c != '\n' {
                *c = ' ';
            }
        }
        from = end;
    }
    out.into_iter().collect()
}

fn skip_attributes(mut rest: &str) -> &str {
    while rest.starts_with("#[") {
        match rest.find(']') {
            Some(end) => rest = rest[end + 1..].trim_start(),
            None => break,
        }
    }
    rest
}

/// The imports of a module's stripped code: `use` trees expanded, then inline paths
/// outside them.
fn imports(module: &Module, code: &str) -> Vec<Import> {
    let line_of = |byte: usize| code[..byte].matches('\n').count() + 1;
    let mut found = Vec::new();
    let mut in_use = Vec::new();
    let mut search = 0;
    while let Some(at) = find_word(code, "use", search) {
        let Some(end) = code[at..].find(';').map(|e| at + e) else {
            break;
        };
        let tree = &code[at + 3..end];
        let mut paths = Vec::new();
        expand(&compact(tree), "", &mut paths);
        for path in paths {
            if let Some(target) = absolute(module, &path) {
                found.push(Import {
                    target,
                    line: line_of(at),
                    text: path,
                });
            }
        }
        in_use.push(at..end);
        search = end;
    }
    let mut index = 0;
    while let Some(at) = find_path(code, index) {
        let len = code[at..]
            .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
            .unwrap_or(code.len() - at);
        let path = code[at..at + len].trim_end_matches(':').to_string();
        if !in_use.iter().any(|r| r.contains(&at)) {
            if let Some(target) = absolute(module, &path) {
                found.push(Import {
                    target,
                    line: line_of(at),
                    text: path,
                });
            }
        }
        index = at + len.max(1);
    }
    found
}

/// Where the next path from `crate::` or `super::` starts, at or after `from`.
fn find_path(code: &str, from: usize) -> Option<usize> {
    ["crate::", "super::"]
        .iter()
        .filter_map(|start| find_word(code, start, from))
        .min()
}

/// The next `word` at or after `from` that stands alone (not part of a longer name).
fn find_word(code: &str, word: &str, mut from: usize) -> Option<usize> {
    while let Some(at) = code.get(from..)?.find(word).map(|a| from + a) {
        let before = code[..at].chars().next_back();
        let after = code[at + word.len()..].chars().next();
        let alone = |c: Option<char>| !c.is_some_and(|c| c.is_alphanumeric() || c == '_');
        if alone(before) && (alone(after) || word.ends_with(':')) {
            return Some(at);
        }
        from = at + word.len();
    }
    None
}

/// The paths of a `use` tree (see [`compact`]): `crate::a::{b,c::{self,D}}` →
/// `crate::a::b`, `crate::a::c`, `crate::a::c::D`.
fn expand(tree: &str, prefix: &str, out: &mut Vec<String>) {
    let join = |p: &str| {
        if prefix.is_empty() {
            p.to_string()
        } else if p == "self" {
            prefix.to_string()
        } else {
            format!("{prefix}::{p}")
        }
    };
    match tree.find('{') {
        None => {
            let path = tree.split(" as ").next().unwrap_or(tree);
            let path = path.trim_end_matches("::*");
            if !path.is_empty() {
                out.push(join(path.trim_end_matches("::")));
            }
        }
        Some(open) => {
            let head = tree[..open].trim_end_matches("::");
            let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
            let prefix = if head.is_empty() {
                prefix.to_string()
            } else {
                join(head)
            };
            for part in split_top(inner) {
                expand(part, &prefix, out);
            }
        }
    }
}

/// A `use` tree on one line, with no space but around `as`.
fn compact(tree: &str) -> String {
    let words: Vec<&str> = tree.split_whitespace().collect();
    let mut out = String::new();
    for (i, word) in words.iter().enumerate() {
        let glued = |c: Option<char>| c.is_some_and(|c| matches!(c, ':' | '{' | '}' | ','));
        if i > 0 && !glued(out.chars().last()) && !glued(word.chars().next()) {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// Splits `a,b::{c,d},e` at the commas outside braces.
fn split_top(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (i, c) in text.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts.into_iter().filter(|p| !p.is_empty()).collect()
}

/// A path as the module segments it names from the crate root, for paths that start with
/// `crate`, `super` or `self`; None for other crates.
fn absolute(module: &Module, path: &str) -> Option<Module> {
    let mut segments = path.split("::");
    let mut base: Module = match segments.next()? {
        "crate" => Vec::new(),
        "self" => module.clone(),
        "super" => module[..module.len().saturating_sub(1)].to_vec(),
        _ => return None,
    };
    for segment in segments {
        if segment == "super" {
            base.pop();
        } else if !segment.is_empty() {
            base.push(segment.to_string());
        }
    }
    Some(base)
}

/// The cycles of the graph: its strongly connected components of more than one file
/// (Tarjan), each sorted.
fn cycles(count: usize, edges: &BTreeMap<usize, Vec<(usize, &Import)>>) -> Vec<Vec<usize>> {
    struct Tarjan<'e, 'i> {
        edges: &'e BTreeMap<usize, Vec<(usize, &'i Import)>>,
        index: Vec<Option<usize>>,
        low: Vec<usize>,
        on_stack: Vec<bool>,
        stack: Vec<usize>,
        next: usize,
        found: Vec<Vec<usize>>,
    }
    impl Tarjan<'_, '_> {
        fn visit(&mut self, v: usize) {
            self.index[v] = Some(self.next);
            self.low[v] = self.next;
            self.next += 1;
            self.stack.push(v);
            self.on_stack[v] = true;
            let targets: Vec<usize> = self
                .edges
                .get(&v)
                .into_iter()
                .flatten()
                .map(|(to, _)| *to)
                .collect();
            for w in targets {
                match self.index[w] {
                    None => {
                        self.visit(w);
                        self.low[v] = self.low[v].min(self.low[w]);
                    }
                    Some(index) if self.on_stack[w] => self.low[v] = self.low[v].min(index),
                    Some(_) => {}
                }
            }
            if Some(self.low[v]) == self.index[v] {
                let mut component = Vec::new();
                while let Some(w) = self.stack.pop() {
                    self.on_stack[w] = false;
                    component.push(w);
                    if w == v {
                        break;
                    }
                }
                if component.len() > 1 {
                    component.sort();
                    self.found.push(component);
                }
            }
        }
    }
    let mut tarjan = Tarjan {
        edges,
        index: vec![None; count],
        low: vec![0; count],
        on_stack: vec![false; count],
        stack: Vec::new(),
        next: 0,
        found: Vec::new(),
    };
    for v in 0..count {
        if tarjan.index[v].is_none() {
            tarjan.visit(v);
        }
    }
    tarjan.found
}
