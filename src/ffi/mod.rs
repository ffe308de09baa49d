//! The C ABI. Thin on purpose: each function turns C strings into Rust, calls plain Rust,
//! and returns an envelope.
//!
//! The top of the library: uses everything below it, and nothing imports it.

mod cdecl;

pub use cdecl::*;
