//! The committed header is exactly what cbindgen generates now, and it compiles on its own
//! as C99 and as C++.

use std::path::Path;
use std::process::Command;

const COMMITTED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/include/jdy_member.h");

#[test]
fn committed_header_matches_generated() {
    let generated = Path::new(env!("OUT_DIR")).join("jdy_member.h");
    let generated = std::fs::read_to_string(&generated).expect("build.rs generates the header");
    let committed = std::fs::read_to_string(COMMITTED).expect("include/jdy_member.h exists");
    assert!(
        generated == committed,
        "include/jdy_member.h is stale: run `JDY_MEMBER_UPDATE_HEADER=1 cargo build` and commit it"
    );
}

fn compile(compiler: &str, args: &[&str], source: &str, extension: &str) {
    let dir = std::env::temp_dir().join(format!("jdy-header-{}-{compiler}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!("only_header.{extension}"));
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
        "c",
    );
}

#[test]
fn header_compiles_alone_as_cpp() {
    compile(
        "c++",
        &["-std=c++11", "-Wall", "-Wextra", "-Werror", "-pedantic"],
        "#include \"jdy_member.h\"\nint main() { return jdy_version() == nullptr; }\n",
        "cpp",
    );
}
