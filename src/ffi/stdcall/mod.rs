//! The stdcall exports, for callers that can only call stdcall functions with strings in
//! the system code page or UTF-16 and buffers they own (PowerBuilder, VB6, Visual FoxPro,
//! 易语言): `include/jdy_member_stdcall.h`. Every function of the cdecl API a till uses,
//! twice: `_a` (ANSI: the system code page) and `_w` (UTF-16).
//!
//! The logic is plain Rust and compiled everywhere, so `cargo test` runs it on Linux (with
//! UTF-8 standing in for the code page); the functions are exported, under their plain
//! names, only from the Windows DLLs. The pieces: the buffer rule (`buffer`), the result
//! each thread keeps (`kept`), the client handles (`handles`), the string forms (`text`,
//! `code_page`, `windows_code_page`) and one call from start to end (`call`).

mod ansi_exports;
mod buffer;
mod call;
mod code_page;
mod handles;
mod kept;
mod text;
mod wide_exports;
#[cfg(windows)]
mod windows_code_page;

pub use ansi_exports::*;
pub use buffer::MAX_OUT_SIZE;
pub use text::WideChar;
pub use wide_exports::*;
