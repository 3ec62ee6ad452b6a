//! Audio files on disk: the store of item and task audio ([`store`]) and
//! the atomic, fsynced writes and links it is built on ([`atomic`]).

pub mod atomic;
pub mod store;

/// Whether a file error means the disk (or the service's quota on it) is
/// full: `ENOSPC`, `EDQUOT`, or the kinds std maps them to.
pub fn is_storage_full(e: &std::io::Error) -> bool {
    matches!(e.raw_os_error(), Some(28 | 122))
        || matches!(
            e.kind(),
            std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded
        )
}
