//! The gateway: the signed, budgeted, retried request engine, which knows no member.
//!
//! One HTTP exchange is signed and classified in [`transport`] and [`answers`], over the
//! trusted roots of [`tls`] and the short DNS memory of [`resolver`]. The app-token comes
//! from [`token`] (shared through [`token_file`], found by [`cache_files`], its app
//! credentials from [`authorization`]); every request waits for the account's [`budget`]
//! (and a batch's [`pacer`]). [`engine`] runs the one request loop: an attempt with token
//! refresh, re-authorization and clock correction, then [`retry`]'s rules and waits; a
//! [`breaker`] stops a batch against a gateway that cannot be reached. [`generic_call`] is
//! any other JDY API through it.
//!
//! Uses `kingdee`, `sys`, `config`, `log` and the foundation; used by `members` and above.

pub(crate) mod breaker;
pub(crate) mod budget;
pub(crate) mod generic_call;
pub(crate) mod pacer;
pub(crate) mod resolver;
pub(crate) mod retry;
pub(crate) mod tls;
pub(crate) mod token;
pub(crate) mod token_file;
pub(crate) mod transport;
