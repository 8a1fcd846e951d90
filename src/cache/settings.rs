//! The cache's settings, resolved once: what the flags say, else the variables (clap reads
//! both, so `--help` and the man page show each variable beside its flag), else the defaults.

use crate::cli::{CacheArgs, CacheStoreArgs};
use crate::error::{Error, Result};
use std::path::PathBuf;
use std::time::Duration;

pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(30);

/// Whether this call reads and writes the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheMode {
    /// Serve a fresh entry; renew and write otherwise.
    Use,
    /// Renew now even if fresh, and write (`--refresh`).
    Refresh,
    /// Neither read nor write (`--no-cache`).
    Off,
}

/// Everything about the cache one call needs.
#[derive(Debug, Clone)]
pub struct CacheSettings {
    pub mode: CacheMode,
    pub store: StoreSettings,
}

/// Where the cache is and how it renews: shared by every command that touches it.
#[derive(Debug, Clone)]
pub struct StoreSettings {
    /// `--cache-dir` / XACCT_CRED_CACHE_DIR; `None`: the per-user cache directory.
    pub dir: Option<PathBuf>,
    pub refresh_window: Duration,
    pub lock_timeout: Duration,
}

impl CacheSettings {
    pub fn from_args(args: &CacheArgs) -> CacheSettings {
        let mode = match (args.no_cache, args.refresh) {
            (true, _) => CacheMode::Off,
            (false, true) => CacheMode::Refresh,
            (false, false) => CacheMode::Use,
        };
        CacheSettings {
            mode,
            store: StoreSettings::from_args(&args.store),
        }
    }
}

impl StoreSettings {
    pub fn from_args(args: &CacheStoreArgs) -> StoreSettings {
        StoreSettings {
            dir: args.cache_dir.clone().filter(|d| !d.as_os_str().is_empty()),
            refresh_window: args
                .refresh_window
                .and_then(|s| s.get())
                .unwrap_or(super::DEFAULT_REFRESH_WINDOW),
            lock_timeout: args
                .lock_timeout
                .and_then(|s| s.get())
                .unwrap_or(DEFAULT_LOCK_TIMEOUT),
        }
    }

    /// The directory: the configured one, else the per-user cache directory.
    pub fn locate(&self) -> Result<PathBuf> {
        if let Some(dir) = &self.dir {
            return Ok(dir.clone());
        }
        directories::ProjectDirs::from("", "", "xacct-cred")
            .map(|d| d.cache_dir().to_path_buf())
            .ok_or_else(|| {
                Error::cache("could not find a per-user cache directory (no home directory)").hint(
                    format!(
                        "Set {} to a directory only you can write, or pass --no-cache.",
                        crate::env::CACHE_DIR
                    ),
                )
            })
    }
}
