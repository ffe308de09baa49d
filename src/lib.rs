//! jdy-member: save and read Kingdee JDY (金蝶精斗云) retail members.
//!
//! A synchronous core behind a C ABI (see `include/jdy_member.h` and [`ffi`]); everything
//! here is plain Rust and usable directly from Rust as well: [`Client`] saves, reads and
//! lists members, [`batch`] saves many, [`member`] validates offline.
//!
//! Kingdee's facts have one home each: [`api`] (endpoints and answer shapes), [`codes`]
//! (error codes and what a client does about each), [`fields`] (the member fields),
//! [`signing`] (request signatures) and [`privacy`] (encrypted personal fields).
#![warn(missing_docs)]

pub mod api;
pub mod batch;
pub mod codes;
pub mod config;
pub mod doctor;
pub mod envelope;
pub mod error;
pub mod ffi;
pub mod fields;
pub mod input;
pub mod labels;
pub mod member;
pub mod privacy;
pub mod signing;

mod breaker;
mod budget;
mod call;
mod client;
mod flush;
mod log;
mod outbox;
mod outbox_requests;
mod pacer;
mod panic;
mod recovery;
mod references;
mod resolver;
mod retry;
mod secure_file;
mod tls;
mod token;
mod token_file;
mod transport;

pub use client::{Client, Saved};
pub use config::Config;
pub use envelope::Envelope;
pub use error::{Error, ErrorKind, FieldError, Result};
pub use transport::{system_now_ms, Method, USER_AGENT};
