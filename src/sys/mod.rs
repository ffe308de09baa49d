//! What the library asks of the operating system: the clock ([`time`]), files that hold
//! secrets or personal data ([`secure_file`]) and the lock that processes share such a file
//! by ([`file_lock`]).
//!
//! Knows nothing of Kingdee. Uses only the standard library and the foundation; used by
//! every layer above it.

pub(crate) mod secure_file;
