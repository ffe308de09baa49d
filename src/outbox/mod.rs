//! The offline outbox: members kept durably while the gateway cannot be reached and sent
//! later exactly once: the SQLite store ([`store`]), the JSON requests and answers of its
//! entry points ([`requests`]) and the sending ([`flush`]).
//!
//! Uses `members` and everything below it; used by the client and the doctor.

pub(crate) mod flush;
pub(crate) mod requests;
pub(crate) mod store;
