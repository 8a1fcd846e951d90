//! The on-disk session cache: one directory (0700, the user's, never a symlink) holding per key
//! a `KEY.json` entry (0600), a `KEY.lock` and sometimes a `KEY.backoff` record. [`mod@key`] what
//! an entry is for, [`entry`] its format and freshness, [`dir`] the directory and its entries,
//! [`lock`] single-flight renewal, [`backoff`] the last failure, [`settings`] the flags,
//! `platform` the Unix modes and the safety errors. Nothing here talks to the network.

mod backoff;
mod dir;
mod entry;
mod key;
mod lock;
mod platform;
mod settings;

pub use backoff::{Attempt, Failure, retry_backoff};
pub use dir::CacheDir;
pub use entry::{
    CacheEntry, DEFAULT_BLOCKING_MARGIN, DEFAULT_REFRESH_WINDOW, State, effective_margin,
    effective_window, short_session_note,
};
pub use key::key;
pub use lock::KeyLock;
pub use settings::{CacheMode, CacheSettings, StoreSettings};
