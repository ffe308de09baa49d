//! The C ABI: the cdecl, UTF-8 exports of `include/jdy_member.h` (`cdecl`) and the stdcall
//! ANSI and UTF-16 exports of `include/jdy_member_stdcall.h` (`stdcall`, exported from the
//! Windows DLLs only), over what every export shares (`boundary`: the opaque client, C
//! strings in and envelopes out, the panic boundary) and what each does (`operations`).
//!
//! The top of the library: uses everything below it, and nothing imports it.

mod boundary;
mod cdecl;
mod operations;
mod stdcall;

pub use boundary::JdyClient;
pub use cdecl::*;
pub use stdcall::*;
