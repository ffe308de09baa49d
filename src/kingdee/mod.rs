//! Kingdee's facts, each with one home: the endpoints and the shapes of their answers
//! ([`api`]), the gateway's codes and what a client does about each ([`codes`]), the member
//! fields ([`fields`]), the two readings of a member's `label` ([`labels`]), request
//! signatures ([`signing`]) and encrypted personal fields ([`privacy`]).
//!
//! Pure knowledge: no I/O, no state. Uses only the foundation (`error`); used by every
//! layer above it.

pub mod api;
pub mod codes;
pub mod fields;
pub mod labels;
pub mod privacy;
pub mod signing;
