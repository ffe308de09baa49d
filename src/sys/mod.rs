//! What the library asks of the operating system: the clock ([`time`]), files that hold
//! secrets or personal data ([`secure_file`]) and the lock that processes share such a file
//! by ([`file_lock`]).
//!
//! Knows nothing of Kingdee. Uses only the standard library; used by `config`, `log` and
//! every layer above them.

pub(crate) mod file_lock;
pub(crate) mod secure_file;
pub mod time;
