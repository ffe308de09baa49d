//! Kingdee's facts, each with one home: the endpoints and the shapes of their answers
//! ([`api`]), the gateway's codes and what a client does about each ([`codes`]), the member
//! fields ([`fields`]) and the column headers shops' exports give them ([`headers`], with
//! the text of a header reduced to its words in `header_text`), the two readings of a
//! member's `label` ([`labels`]), request signatures ([`signing`]) and encrypted personal
//! fields ([`privacy`]).
//!
//! Pure knowledge: no I/O, no state. Uses only the foundation (`error`); used by every
//! layer above it.

pub mod api;
pub mod codes;
pub mod fields;
mod header_text;
pub mod headers;
pub mod labels;
pub mod privacy;
pub mod signing;
