//! The gateway: the signed, budgeted, retried request engine, which knows no member.
//!
//! One HTTP exchange is signed and sent by [`transport`] (over the trusted roots of [`tls`]
//! and the short DNS memory of [`resolver`]); [`answers`] says what the answer means. The
//! app-token comes from [`token`] (shared between processes through [`token_file`], kept
//! where [`cache_files`] says, its app credentials from [`authorization`]); every request
//! waits for the account's [`budget`] (and a batch's [`pacer`]). The [`engine`] runs the
//! one request loop that saves, reads and calls share, with [`retry`]'s rules; a
//! [`breaker`] stops a batch against a gateway that cannot be reached; [`generic_call`] is
//! any other JDY API through it.
//!
//! Uses `kingdee`, `sys`, `config`, `log` and the foundation; used by `members` and above.

pub(crate) mod answers;
pub(crate) mod authorization;
pub(crate) mod breaker;
pub(crate) mod budget;
pub(crate) mod cache_files;
pub(crate) mod engine;
pub(crate) mod generic_call;
pub(crate) mod pacer;
pub(crate) mod resolver;
pub(crate) mod retry;
pub(crate) mod tls;
pub(crate) mod token;
pub(crate) mod token_file;
pub(crate) mod transport;
