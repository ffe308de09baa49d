//! The committed headers are exactly what cbindgen generates now from `src/ffi/` (the cdecl
//! one from the exports, the stdcall one from `src/ffi/stdcall/*_exports.rs`), and each
//! compiles on its own as C99 and as C++.

use std::path::Path;
use std::process::Command;

fn assert_committed_is_generated(name: &str) {
    let generated = Path::new(env!("OUT_DIR")).join(name);
    let generated = std::fs::read_to_string(&generated)
        .unwrap_or_else(|e| panic!("build.rs generates {name}: {e}"));
    let committed_path = format!("{}/include/{name}", env!("CARGO_MANIFEST_DIR"));
    let committed = std::fs::read_to_string(&committed_path)
        .unwrap_or_else(|e| panic!("{committed_path}: {e}"));
    assert!(
        generated == committed,
        "include/{name} is stale: run `JDY_MEMBER_UPDATE_HEADER=1 cargo build` and commit it"
    );
}

#[test]
fn committed_header_matches_generated() {
    assert_committed_is_generated("jdy_member.h");
}

#[test]
fn committed_stdcall_header_matches_generated() {
    assert_committed_is_generated("jdy_member_stdcall.h");
}

/// The stdcall header declares exactly the functions `src/ffi/stdcall/` exports (`pub ...
/// extern "system" fn`), each marked JDY_STDCALL.
#[test]
fn the_stdcall_header_declares_every_stdcall_export() {
    let root = env!("CARGO_MANIFEST_DIR");
    let mut exported = Vec::new();
    for file in ["ansi_exports.rs", "wide_exports.rs"] {
        let text = std::fs::read_to_string(format!("{root}/src/ffi/stdcall/{file}")).unwrap();
        for line in text.lines().filter(|l| l.contains("extern \"system\" fn ")) {
            let name = line.split("fn ").nth(1).unwrap().split('(').next().unwrap();
            exported.push(name.to_string());
        }
    }
    let header = std::fs::read_to_string(format!("{root}/include/jdy_member_stdcall.h")).unwrap();
    let declared: Vec<String> = header
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once(" JDY_STDCALL "))
        .map(|(_, rest)| rest.split('(').next().unwrap().to_string())
        .collect();
    assert_eq!(declared, exported);
    assert_eq!(exported.len(), 34);
}

/// Compiles `source` as `name` (one file per test: the tests run at once).
fn compile(compiler: &str, args: &[&str], source: &str, name: &str) {
    let dir = std::env::temp_dir().join(format!("jdy-header-{}-{compiler}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(name);
    std::fs::write(&file, source).unwrap();
    let include = concat!(env!("CARGO_MANIFEST_DIR"), "/include");
    let output = Command::new(compiler)
        .args(args)
        .arg("-I")
        .arg(include)
        .arg("-fsyntax-only")
        .arg(&file)
        .output()
        .unwrap_or_else(|e| panic!("{compiler} is needed for this test: {e}"));
    assert!(
        output.status.success(),
        "{compiler} rejected the header:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn header_compiles_alone_as_c99() {
    compile(
        "cc",
        &["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic"],
        "#include \"jdy_member.h\"\nint main(void) { return jdy_version() == NULL; }\n",
        "only_header.c",
    );
}

#[test]
fn header_compiles_alone_as_cpp() {
    compile(
        "c++",
        &["-std=c++11", "-Wall", "-Wextra", "-Werror", "-pedantic"],
        "#include \"jdy_member.h\"\nint main() { return jdy_version() == nullptr; }\n",
        "only_header.cpp",
    );
}

// (scripts/test-native compiles the stdcall header with MinGW too, where JDY_STDCALL is
// __stdcall, in tests/c/test_stdcall.c.)
#[test]
fn stdcall_header_compiles_alone_as_c99() {
    compile(
        "cc",
        &["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic"],
        "#include \"jdy_member_stdcall.h\"\n\
         int main(void) { int32_t (*f)(intptr_t, const wchar_t *, wchar_t *, int32_t) = jdy_member_save_w; return f == NULL; }\n",
        "only_stdcall_header.c",
    );
}

#[test]
fn stdcall_header_compiles_alone_as_cpp() {
    compile(
        "c++",
        &["-std=c++11", "-Wall", "-Wextra", "-Werror", "-pedantic"],
        "#include \"jdy_member_stdcall.h\"\n\
         int main() { int32_t (*f)(char *, int32_t) = jdy_version_a; return f == nullptr; }\n",
        "only_stdcall_header.cpp",
    );
}
