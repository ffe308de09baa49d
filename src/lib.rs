//! jdy-member: save and read Kingdee JDY (金蝶精斗云) retail members.
//!
//! A synchronous core behind a C ABI (see `include/jdy_member.h` and [`ffi`]); everything
//! here is plain Rust and usable directly from Rust as well: [`Client`] saves, reads and
//! lists members, [`batch`] saves many, [`member`] validates offline.
//!
//! Kingdee's facts have one home each: [`api`] (endpoints and answer shapes), [`codes`]
//! (error codes and what a client does about each), [`fields`] (the member fields),
//! [`signing`] (request signatures) and [`privacy`] (encrypted personal fields).
//!
//! The source is in layers, each a folder that uses only the layers below it (the README's
//! layout section draws them; `tests/layers.rs` keeps them true): `kingdee` and `sys` at the
//! bottom, then `gateway`, `members`, `outbox`, then the client, the doctor, batches and
//! the C ABI on top; the foundation (errors, input, options, envelopes, the panic boundary,
//! the configuration and the log) is usable by all. The public paths below stay as they
//! were before the folders.
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
mod panic;

pub use kingdee::{api, codes, fields, labels, privacy, signing};
pub use members::validation as member;

pub use client::{Client, Saved};
pub use config::Config;
pub use envelope::Envelope;
pub use error::{Error, ErrorKind, FieldError, Result};
pub use gateway::transport::{system_now_ms, Method, USER_AGENT};
