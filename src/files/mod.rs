//! Audio files on disk: the store of item and task audio ([`store`]) and
//! the atomic, fsynced writes and links it is built on ([`atomic`]).

pub mod atomic;
pub mod store;
