//! jdy-member: save and read Kingdee JDY (金蝶精斗云) retail members.
//!
//! A synchronous core behind a C ABI (see `include/jdy_member.h` and [`ffi`]); everything
//! here is plain Rust and usable directly from Rust as well: [`Client`] saves, reads and
//! lists members, [`batch`] saves many, [`member`] validates offline.
//!
//! Kingdee's facts have one home each: [`api`] (endpoints and answer shapes), [`codes`]
//! (error codes and what a client does about each), [`fields`] (the member fields),
//! [`headers`] (the column headers shops' exports give them),
//! [`labels`] (the two readings of a member's `label`), [`signing`] (request signatures)
//! and [`privacy`] (encrypted personal fields).
//!
//! The source is in layers, each using only the layers below it (the README's layout
//! section draws them; `tests/layers.rs` keeps them true): at the bottom the foundation
//! (errors, input, options, envelopes, the panic boundary), then `kingdee` and `sys`, the
//! configuration and the log, then `gateway`, `members`, `outbox`, then the client and the
//! doctor, batches, and the C ABI on top. The public paths below are the crate's API; they
//! do not follow the folders.
#![warn(missing_docs)]

mod gateway;
mod kingdee;
mod members;
mod outbox;
mod sys;

pub mod batch;
pub mod config;
pub mod doctor;
pub mod envelope;
pub mod error;
pub mod ffi;
pub mod input;

mod client;
mod log;
mod options;
mod panic;

pub use kingdee::{api, codes, fields, headers, labels, privacy, signing};

/// Offline validation of members and member queries, before anything goes on the wire.
pub mod member {
    pub use crate::members::queries::{
        detail_query, list_query, DEFAULT_PAGE_SIZE, DETAIL_QUERY_KEYS,
    };
    pub use crate::members::validation::{
        normalise_mobile, validate, validate_json, validated_envelope, MAX_TEXT_CHARS,
    };
}

pub use client::Client;
pub use config::Config;
pub use envelope::Envelope;
pub use error::{Error, ErrorKind, FieldError, Result};
pub use gateway::transport::{Method, USER_AGENT};
pub use members::save::Saved;
pub use sys::time::system_now_ms;
