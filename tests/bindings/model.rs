//! What a declaration file says about a function, and how it is compared with the header's.

use std::collections::BTreeMap;
use std::fmt;

/// One function as a declaration file states it, in that file's own spelling.
#[derive(Debug)]
pub struct Declaration {
    pub name: String,
    /// None: returns nothing (C `void`, C# `void`, a Pascal procedure).
    pub result: Option<Type>,
    pub arguments: Vec<Argument>,
    /// Lower case: "cdecl", "stdcall", or what the language's default is.
    pub convention: String,
    pub line: usize,
}

#[derive(Debug)]
pub struct Argument {
    pub name: String,
    pub ty: Type,
}

/// A type as written, and what it stands for once the file's aliases are resolved.
#[derive(Debug, Clone)]
pub struct Type {
    pub written: String,
    pub resolved: String,
}

impl Type {
    pub fn plain(spelling: &str) -> Type {
        Type {
            written: spelling.to_string(),
            resolved: spelling.to_string(),
        }
    }
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.written == self.resolved {
            write!(f, "`{}`", self.written)
        } else {
            write!(f, "`{}` (= `{}`)", self.written, self.resolved)
        }
    }
}

/// Where a C type stands: an argument `char *` is lent by the caller, a result `char *` is
/// owned by the caller and released with jdy_string_free.
#[derive(Clone, Copy)]
pub enum Place {
    Argument,
    Result,
}

/// A declaration file of a binding, and how to read it: one entry of `BINDINGS`.
pub struct Binding {
    pub language: &'static str,
    pub path: &'static str,
    /// The header it follows.
    pub header: &'static str,
    /// The header's functions it declares: those whose names end with one of these (the
    /// stdcall header's `_a`, `_w`); empty: all of them.
    pub suffixes: &'static [&'static str],
    pub read: fn(&str) -> Result<Vec<Declaration>, String>,
    /// The spellings that carry a C type (as the header spells it) at a place; empty when
    /// this file has none yet.
    pub carries: fn(Place, &str) -> &'static [&'static str],
    pub case_insensitive: bool,
}

impl Binding {
    /// Whether this binding declares the header's function `name`.
    pub fn covers(&self, name: &str) -> bool {
        self.suffixes.is_empty() || self.suffixes.iter().any(|s| name.ends_with(s))
    }

    pub fn same(&self, a: &str, b: &str) -> bool {
        if self.case_insensitive {
            a.eq_ignore_ascii_case(b)
        } else {
            a == b
        }
    }
}

/// Everything in which `binding`'s declarations (the text of its file) differ from the
/// header's, one line each, naming the function.
pub fn differences(header: &[Declaration], binding: &Binding, text: &str) -> Vec<String> {
    let found = match (binding.read)(text) {
        Ok(found) => found,
        Err(problem) => return vec![format!("{} could not be read: {problem}", binding.path)],
    };
    let mut problems = Vec::new();
    let mut by_name: BTreeMap<&str, &Declaration> = BTreeMap::new();
    for declaration in &found {
        if let Some(first) = by_name.get(declaration.name.as_str()) {
            problems.push(format!(
                "{}: declared twice (lines {} and {})",
                declaration.name, first.line, declaration.line
            ));
        }
        by_name.insert(&declaration.name, declaration);
    }
    for wanted in header.iter().filter(|d| binding.covers(&d.name)) {
        match by_name.remove(wanted.name.as_str()) {
            Some(declaration) => compare(wanted, declaration, binding, &mut problems),
            None => problems.push(format!(
                "{}: missing (the header declares it at line {})",
                wanted.name, wanted.line
            )),
        }
    }
    for extra in by_name.values() {
        problems.push(format!(
            "{} (line {}): declared here but not in the header",
            extra.name, extra.line
        ));
    }
    problems
}

fn compare(
    wanted: &Declaration,
    declaration: &Declaration,
    binding: &Binding,
    problems: &mut Vec<String>,
) {
    let at = format!("{} (line {})", declaration.name, declaration.line);
    if declaration.convention != wanted.convention {
        problems.push(format!(
            "{at}: calling convention {}, the header's is {}",
            declaration.convention, wanted.convention
        ));
    }
    match (&wanted.result, &declaration.result) {
        (None, None) => {}
        (None, Some(ty)) => problems.push(format!(
            "{at}: returns {ty}, the header's returns nothing (void)"
        )),
        (Some(c), None) => problems.push(format!(
            "{at}: returns nothing, the header's returns `{}`",
            c.resolved
        )),
        (Some(c), Some(ty)) => check_type(
            binding,
            Place::Result,
            &c.resolved,
            ty,
            &format!("{at}: the result"),
            problems,
        ),
    }
    if wanted.arguments.len() != declaration.arguments.len() {
        let types: Vec<&str> = wanted
            .arguments
            .iter()
            .map(|a| a.ty.resolved.as_str())
            .collect();
        problems.push(format!(
            "{at}: takes {} argument(s), the header's takes {} ({})",
            declaration.arguments.len(),
            wanted.arguments.len(),
            types.join(", ")
        ));
        return;
    }
    for (index, (c, argument)) in wanted
        .arguments
        .iter()
        .zip(&declaration.arguments)
        .enumerate()
    {
        let what = format!("{at}: argument {} ({})", index + 1, argument.name);
        check_type(
            binding,
            Place::Argument,
            &c.ty.resolved,
            &argument.ty,
            &what,
            problems,
        );
    }
}

fn check_type(
    binding: &Binding,
    place: Place,
    c_type: &str,
    ty: &Type,
    what: &str,
    problems: &mut Vec<String>,
) {
    let carriers = (binding.carries)(place, c_type);
    if carriers.is_empty() {
        problems.push(format!(
            "{what}: the header's type `{c_type}` has no {} spelling yet: add one to its table in tests/bindings/",
            binding.language
        ));
    } else if !carriers
        .iter()
        .any(|carrier| binding.same(carrier, &ty.resolved))
    {
        problems.push(format!(
            "{what} is {ty}, but the header's `{c_type}` needs one of: {}",
            carriers.join(", ")
        ));
    }
}
