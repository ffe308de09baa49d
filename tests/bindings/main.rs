//! The hand-written declarations of the C functions, checked against the headers: the C#
//! and Pascal wrappers' against `include/jdy_member.h` (cdecl), the declarations to copy for
//! VB6, PowerBuilder, Visual FoxPro and 易语言 against `include/jdy_member_stdcall.h`
//! (stdcall). Each declaration file declares every function of its header it covers (all,
//! or those of one suffix) once and nothing more, with the same number of arguments, each
//! argument and the result in a type that carries the C type across safely, and the
//! header's calling convention. The files are read as text; nothing is compiled. (The
//! Python wrapper's declarations are checked at run time by
//! bindings/python/tests/test_library.py.)
//!
//! A new declaration file is one more `Binding`: its path, its header and suffixes, a reader
//! turning its text into `Declaration`s and its table of the spellings that carry each C
//! type. The tests in doctored.rs and doctored_stdcall.rs prove each check fails on a
//! doctored copy.

mod csharp;
mod doctored;
mod doctored_stdcall;
mod eyuyan;
mod header;
mod model;
mod pascal;
mod powerbuilder;
mod text;
mod vb6;
mod vfp;

use header::read_header;
use model::{differences, Binding, Declaration};

const HEADER: &str = "include/jdy_member.h";
const STDCALL_HEADER: &str = "include/jdy_member_stdcall.h";

/// The declaration files checked against the headers.
const BINDINGS: &[Binding] = &[
    Binding {
        language: "C#",
        path: "bindings/csharp/src/NativeMethods.cs",
        header: HEADER,
        suffixes: &[],
        read: csharp::read,
        carries: csharp::carries,
        case_insensitive: false,
    },
    Binding {
        language: "Pascal",
        path: "bindings/pascal/jdy_member.pas",
        header: HEADER,
        suffixes: &[],
        read: pascal::read,
        carries: pascal::carries,
        case_insensitive: true,
    },
    Binding {
        language: "VB6",
        path: "bindings/stdcall/vb6/JdyMember.bas",
        header: STDCALL_HEADER,
        suffixes: &["_a", "_w"],
        read: vb6::read,
        carries: vb6::carries,
        case_insensitive: true,
    },
    Binding {
        language: "PowerBuilder",
        path: "bindings/stdcall/powerbuilder/jdy_member_functions.txt",
        header: STDCALL_HEADER,
        suffixes: &["_a", "_w"],
        read: powerbuilder::read,
        carries: powerbuilder::carries,
        case_insensitive: true,
    },
    Binding {
        language: "Visual FoxPro",
        path: "bindings/stdcall/vfp/jdy_member.prg",
        header: STDCALL_HEADER,
        suffixes: &["_a"],
        read: vfp::read,
        carries: vfp::carries,
        case_insensitive: true,
    },
    Binding {
        language: "E",
        path: "bindings/stdcall/eyuyan/jdy_member_dll_commands.txt",
        header: STDCALL_HEADER,
        suffixes: &["_a"],
        read: eyuyan::read,
        carries: eyuyan::carries,
        case_insensitive: false,
    },
];

fn read_file(path: &str) -> String {
    let full = format!("{}/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{full}: {e}"))
}

fn header_at(path: &str) -> Vec<Declaration> {
    read_header(&read_file(path)).unwrap_or_else(|problem| panic!("{path}: {problem}"))
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
    let mut report = Vec::new();
    for binding in BINDINGS {
        let problems = differences(
            &header_at(binding.header),
            binding,
            &read_file(binding.path),
        );
        if !problems.is_empty() {
            report.push(format!(
                "{} ({}) differs from {}:\n  {}",
                binding.language,
                binding.path,
                binding.header,
                problems.join("\n  ")
            ));
        }
    }
    assert!(report.is_empty(), "{}", report.join("\n"));
}

#[test]
fn the_stdcall_header_is_read_whole() {
    let text = read_file(STDCALL_HEADER);
    let header = header_at(STDCALL_HEADER);
    let lines = text
        .lines()
        .filter(|l| l.starts_with(|c: char| c.is_ascii_alphabetic()) && l.contains(" jdy_"))
        .count();
    assert_eq!(header.len(), lines, "read {header:#?}");
    assert_eq!(header.len(), 34, "17 functions, each with _a and _w");
    for declaration in &header {
        assert_eq!(declaration.convention, "stdcall", "{}", declaration.name);
        let twin = match declaration.name.strip_suffix("_a") {
            Some(stem) => format!("{stem}_w"),
            None => declaration.name.replace("_w", "_a"),
        };
        assert!(
            header.iter().any(|d| d.name == twin),
            "{} has no twin",
            declaration.name
        );
    }
    let save = header
        .iter()
        .find(|d| d.name == "jdy_member_save_w")
        .expect("jdy_member_save_w");
    let types: Vec<&str> = save
        .arguments
        .iter()
        .map(|a| a.ty.resolved.as_str())
        .collect();
    assert_eq!(
        types,
        ["intptr_t", "const wchar_t *", "wchar_t *", "int32_t"]
    );
    let new = header
        .iter()
        .find(|d| d.name == "jdy_client_new_a")
        .expect("jdy_client_new_a");
    assert_eq!(
        new.result.as_ref().map(|t| t.resolved.as_str()),
        Some("intptr_t")
    );
    // Every cdecl function a till uses has its twins; only jdy_string_free has none.
    let cdecl = header_at(HEADER);
    for function in &cdecl {
        let twins = [
            format!("{}_a", function.name),
            format!("{}_w", function.name),
        ];
        let found = twins
            .iter()
            .filter(|t| header.iter().any(|d| &d.name == *t))
            .count();
        let expected = if function.name == "jdy_string_free" {
            0
        } else {
            2
        };
        assert_eq!(found, expected, "{}", function.name);
    }
}

/// VB6 and Visual FoxPro read source files in the system code page: theirs stay ASCII.
#[test]
fn the_vb6_and_vfp_files_are_ascii() {
    for binding in BINDINGS
        .iter()
        .filter(|b| matches!(b.language, "VB6" | "Visual FoxPro"))
    {
        let text = read_file(binding.path);
        let first = text.lines().enumerate().find(|(_, l)| !l.is_ascii());
        assert!(
            first.is_none(),
            "{}: line {} is not ASCII",
            binding.path,
            first.map_or(0, |f| f.0 + 1)
        );
    }
}
