//! The offline outbox: members kept durably while the gateway cannot be reached, and sent
//! later exactly once. The SQLite file ([`store`]) holds [`item`]s; [`requests`] are the
//! JSON requests and answers of its entry points; [`flush`] sends what waits, explicitly or
//! from the [`background`] thread; [`queue`] is the policy that sends a save to the outbox
//! when the gateway cannot be reached (`offline: "queue"`).
//!
//! Uses `members` and every layer below it; used by the client and the doctor.

pub(crate) mod background;
pub(crate) mod flush;
pub(crate) mod item;
pub(crate) mod queue;
pub(crate) mod requests;
pub(crate) mod store;
