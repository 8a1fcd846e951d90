//! The on-disk session cache.
//!
//! Layout: one directory (0700, owned by the user, never a symlink), and per cache key a
//! `KEY.json` entry (0600), a `KEY.lock` file and sometimes a `KEY.backoff` record of the last
//! failed renewal. Each file here owns one concern: [`key`] what an entry is for, [`entry`] its
//! format, what it was written for and its freshness, [`dir`] directory safety and atomic
//! replacement, [`lock`] single-flight renewal, [`backoff`] the last failure and the pause after
//! it, [`settings`] the flags and variables, and
//! `platform` the Unix-only file modes. Nothing here talks to the network.

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
