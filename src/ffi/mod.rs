//! The C ABI: the cdecl, UTF-8 exports of `include/jdy_member.h` (`cdecl`'s functions,
//! re-exported here) over what every export shares (`boundary`: the opaque client, C
//! strings in and envelopes out, the panic boundary). Other calling conventions and string
//! encodings go beside `cdecl`, over the same boundary.
//!
//! The top of the library: uses everything below it, and nothing imports it.

mod boundary;
mod cdecl;

pub use boundary::JdyClient;
pub use cdecl::*;
