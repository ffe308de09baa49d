//! jdy-member: save and read Kingdee JDY (金蝶精斗云) retail members.
//!
//! A synchronous core behind a C ABI (see `include/jdy_member.h`); everything here is plain
//! Rust and usable directly from Rust as well.

pub mod batch;
pub mod client;
pub mod config;
pub mod envelope;
pub mod error;
pub mod ffi;
pub mod input;
pub mod log;
pub mod member;
pub mod retry;
pub mod signing;
pub mod token;
pub mod token_file;
pub mod transport;

#[cfg(feature = "cli")]
pub mod records;
#[cfg(feature = "sandbox")]
pub mod sandbox;

pub use client::{Client, Saved};
pub use config::Config;
pub use error::{Error, ErrorKind, FieldError, Result};
