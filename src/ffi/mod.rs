//! The C ABI: the cdecl, UTF-8 exports of `include/jdy_member.h` (`cdecl`'s functions,
//! re-exported here) over what every export shares (`boundary`: the opaque client, C
//! strings in and envelopes out, the panic boundary) and what each does (`operations`).
//! Other calling conventions and string encodings go beside `cdecl`, over the same two.
//!
//! The top of the library: uses everything below it, and nothing imports it.

mod boundary;
mod cdecl;
mod operations;

pub use boundary::JdyClient;
pub use cdecl::*;
