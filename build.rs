//! Generates the C headers from the doc comments of `src/ffi/` with the pinned cbindgen:
//! `jdy_member.h` (the cdecl exports) and `jdy_member_stdcall.h` (the stdcall ones).
//!
//! The headers are written to `$OUT_DIR` on every build; `tests/header.rs` fails when a
//! committed one in `include/` differs. Set `JDY_MEMBER_UPDATE_HEADER=1` to write the
//! committed copies instead.

use std::env;
use std::path::{Path, PathBuf};

/// The stdcall exports, read by cbindgen for `jdy_member_stdcall.h`.
const STDCALL_SOURCES: [&str; 2] = [
    "src/ffi/stdcall/ansi_exports.rs",
    "src/ffi/stdcall/wide_exports.rs",
];

fn main() {
    println!("cargo:rerun-if-changed=src");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rerun-if-changed=cbindgen_stdcall.toml");
    println!("cargo:rerun-if-env-changed=JDY_MEMBER_UPDATE_HEADER");

    // A SONAME lets loaders that preload the library by path (Mono, ctypes) match it to
    // later lookups by name.
    if env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libjdy_member.so");
    }
    // 32-bit Windows: stdcall symbols are `_name@N`; exported under their plain names (as
    // VB6 and the E language need) whether or not rustc's export list names them so.
    // scripts/lib/windows.sh checks the export table of every DLL built.
    if env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("windows")
        && env::var("CARGO_CFG_TARGET_ARCH").as_deref() == Ok("x86")
        && env::var("CARGO_CFG_TARGET_ENV").as_deref() == Ok("gnu")
    {
        println!("cargo:rustc-cdylib-link-arg=-Wl,--kill-at");
    }

    let crate_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into()));
    let out_dir = PathBuf::from(env::var("OUT_DIR").unwrap_or_else(|_| ".".into()));
    let config = match cbindgen::Config::from_file(crate_dir.join("cbindgen.toml")) {
        Ok(config) => config,
        Err(e) => {
            println!("cargo:warning=cbindgen.toml unreadable: {e}");
            return;
        }
    };
    match cbindgen::generate_with_config(&crate_dir, config) {
        Ok(bindings) => {
            bindings.write_to_file(out_dir.join("jdy_member.h"));
            if env::var_os("JDY_MEMBER_UPDATE_HEADER").is_some() {
                bindings.write_to_file(crate_dir.join("include").join("jdy_member.h"));
            }
        }
        // A header failure must not stop the library from building for a user;
        // the header test reports it.
        Err(e) => println!("cargo:warning=cbindgen could not generate the header: {e}"),
    }
    match stdcall_header(&crate_dir, &out_dir) {
        Ok(text) => {
            write(&out_dir.join("jdy_member_stdcall.h"), &text);
            if env::var_os("JDY_MEMBER_UPDATE_HEADER").is_some() {
                write(
                    &crate_dir.join("include").join("jdy_member_stdcall.h"),
                    &text,
                );
            }
        }
        Err(e) => println!("cargo:warning=the stdcall header could not be generated: {e}"),
    }
}

fn write(path: &Path, text: &str) {
    if let Err(e) = std::fs::write(path, text) {
        println!("cargo:warning={}: {e}", path.display());
    }
}

/// `jdy_member_stdcall.h`. cbindgen skips `extern "system"` functions, and those of this
/// file are `no_mangle` on Windows only: it is given the exports with their ABI read as C
/// and `no_mangle` as unconditional, and `JDY_STDCALL` is put before each function's name
/// in what it writes.
fn stdcall_header(crate_dir: &Path, out_dir: &Path) -> Result<String, String> {
    let mut source = String::new();
    for file in STDCALL_SOURCES {
        let text =
            std::fs::read_to_string(crate_dir.join(file)).map_err(|e| format!("{file}: {e}"))?;
        // Inner doc comments stay out: the files are read as one.
        for line in text.lines().filter(|l| !l.starts_with("//!")) {
            source.push_str(line);
            source.push('\n');
        }
    }
    let exports = source.matches("extern \"system\" fn ").count();
    let source = source
        .replace("extern \"system\" fn ", "extern \"C\" fn ")
        .replace("#[cfg_attr(windows, no_mangle)]", "#[no_mangle]");
    let read_as_c = out_dir.join("stdcall_exports_as_c.rs");
    std::fs::write(&read_as_c, source).map_err(|e| e.to_string())?;
    let config = cbindgen::Config::from_file(crate_dir.join("cbindgen_stdcall.toml"))?;
    let bindings = cbindgen::Builder::new()
        .with_config(config)
        .with_src(&read_as_c)
        .generate()
        .map_err(|e| e.to_string())?;
    let mut written = Vec::new();
    bindings.write(&mut written);
    let text = String::from_utf8(written).map_err(|e| e.to_string())?;
    // Declarations start at column 0 with their result type: `int32_t jdy_version_a(...`.
    let mut marked = 0;
    let text: Vec<String> = text
        .lines()
        .map(|line| {
            let declares = line.starts_with(|c: char| c.is_ascii_alphabetic())
                && line.contains(" jdy_")
                && line.contains('(');
            if declares {
                marked += 1;
                line.replacen(" jdy_", " JDY_STDCALL jdy_", 1)
            } else {
                line.to_string()
            }
        })
        .collect();
    if marked != exports {
        return Err(format!(
            "{exports} stdcall exports in {STDCALL_SOURCES:?}, but {marked} declarations in what cbindgen wrote"
        ));
    }
    Ok(text.join("\n") + "\n")
}
