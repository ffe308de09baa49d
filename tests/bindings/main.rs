//! The wrappers' hand-written declarations of the C functions, checked against
//! `include/jdy_member.h`: each declaration file declares every function of the header once
//! and nothing more, with the same number of arguments, each argument and the result in a
//! type that carries the C type across safely, and the header's calling convention (cdecl).
//! The files are read as text; nothing is compiled. (The Python wrapper's declarations are
//! checked at run time by bindings/python/tests/test_library.py.)
//!
//! A new declaration file (another language, the stdcall variants) is one more `Binding`: its
//! path, a reader turning its text into `Declaration`s and its table of the spellings that
//! carry each C type. The tests in doctored.rs prove each check fails on a doctored copy.

mod csharp;
mod doctored;
mod header;
mod model;
mod pascal;
mod text;

use header::read_header;
use model::{differences, Binding, Declaration};

const HEADER: &str = "include/jdy_member.h";

/// The declaration files checked against the header.
const BINDINGS: &[Binding] = &[
    Binding {
        language: "C#",
        path: "bindings/csharp/src/NativeMethods.cs",
        read: csharp::read,
        carries: csharp::carries,
        case_insensitive: false,
    },
    Binding {
        language: "Pascal",
        path: "bindings/pascal/jdy_member.pas",
        read: pascal::read,
        carries: pascal::carries,
        case_insensitive: true,
    },
];

fn read_file(path: &str) -> String {
    let full = format!("{}/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{full}: {e}"))
}

fn header() -> Vec<Declaration> {
    read_header(&read_file(HEADER)).unwrap_or_else(|problem| panic!("{HEADER}: {problem}"))
}

#[test]
fn the_header_is_read_whole() {
    let text = read_file(HEADER);
    let header = read_header(&text).unwrap_or_else(|problem| panic!("{HEADER}: {problem}"));
    // Read another way: declarations start at column 0 (as scripts/lib/common.sh reads them).
    let lines = text
        .lines()
        .filter(|l| {
            l.starts_with(|c: char| c.is_ascii_alphabetic())
                && l.contains("jdy_")
                && l.contains('(')
        })
        .count();
    assert_eq!(header.len(), lines, "read {header:#?}");
    let new = header
        .iter()
        .find(|d| d.name == "jdy_client_new")
        .expect("jdy_client_new");
    let types: Vec<&str> = new
        .arguments
        .iter()
        .map(|a| a.ty.resolved.as_str())
        .collect();
    assert_eq!(types, ["const char *", "char **"]);
    assert_eq!(
        new.result.as_ref().map(|t| t.resolved.as_str()),
        Some("JdyClient *")
    );
    let free = header
        .iter()
        .find(|d| d.name == "jdy_string_free")
        .expect("jdy_string_free");
    assert!(free.result.is_none() && free.convention == "cdecl");
    let version = header
        .iter()
        .find(|d| d.name == "jdy_version")
        .expect("jdy_version");
    assert!(
        version.arguments.is_empty(),
        "jdy_version(void) takes nothing"
    );
}

#[test]
fn every_binding_declares_exactly_the_headers_functions() {
    let header = header();
    let mut report = Vec::new();
    for binding in BINDINGS {
        let problems = differences(&header, binding, &read_file(binding.path));
        if !problems.is_empty() {
            report.push(format!(
                "{} ({}) differs from {HEADER}:\n  {}",
                binding.language,
                binding.path,
                problems.join("\n  ")
            ));
        }
    }
    assert!(report.is_empty(), "{}", report.join("\n"));
}
