//! Members: offline validation of a member and of member queries ([`validation`]),
//! references given by name or number ([`references`]), and the online work of a save that
//! knows what a member is: looking a lost save up before sending it again ([`recovery`]).
//!
//! Uses `gateway`, `kingdee`, `sys`, `config`, `log` and the foundation; used by `outbox`
//! and above.

pub(crate) mod recovery;
pub(crate) mod references;
pub mod validation;
