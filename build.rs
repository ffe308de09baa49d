//! Generates the C header from the doc comments of `src/ffi/` with the pinned cbindgen.
//!
//! The header is written to `$OUT_DIR/jdy_member.h` on every build; `tests/header.rs`
//! fails when the committed `include/jdy_member.h` differs from it. Set
//! `JDY_MEMBER_UPDATE_HEADER=1` to write the committed copy instead.

use std::env;
use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-changed=src");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rerun-if-env-changed=JDY_MEMBER_UPDATE_HEADER");

    // A SONAME lets loaders that preload the library by path (Mono, ctypes) match it to
    // later lookups by name.
    if env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libjdy_member.so");
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
}
