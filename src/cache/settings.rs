//! The cache's settings, resolved once: what the flags say, else the variables (clap reads
//! both, so `--help` and the man page show each variable beside its flag), else the defaults.

use crate::cli::{CacheArgs, CacheStoreArgs};
use crate::error::{Error, Result};
use std::path::PathBuf;
use std::time::Duration;

/// How long a caller with nothing valid waits for another process renewing the same session:
/// one bounded STS attempt sequence (`sts`: 10 s) and a little, so that however many callers
/// arrive, none waits much longer than the one renewing.
pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(12);

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
    /// See [`super::DEFAULT_BLOCKING_MARGIN`]; applied through [`super::effective_margin`].
    pub blocking_margin: Duration,
    /// Whether a session inside the window (above the margin) is renewed by a detached process.
    pub background: bool,
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
            blocking_margin: args
                .blocking_margin
                .and_then(|s| s.get())
                .unwrap_or(super::DEFAULT_BLOCKING_MARGIN),
            background: args
                .background_refresh
                .and_then(|t| t.get())
                .unwrap_or(true),
            lock_timeout: args
                .lock_timeout
                .and_then(|s| s.get())
                .unwrap_or(DEFAULT_LOCK_TIMEOUT),
        }
    }

    /// The window and the margin that apply to sessions of `duration`.
    pub fn window_and_margin(&self, duration: Duration) -> (Duration, Duration) {
        let window = super::effective_window(self.refresh_window, duration);
        (
            window,
            super::effective_margin(self.blocking_margin, window),
        )
    }

    /// The directory: the configured one, else the per-user cache directory. A relative one is
    /// refused: a credential_process runs in whatever directory its caller is in, so each
    /// would get a cache of its own, or plant one in a directory another user shares.
    pub fn locate(&self) -> Result<PathBuf> {
        if let Some(dir) = &self.dir {
            if dir.is_relative() {
                return Err(Error::config(format!(
                    "the cache directory {} (--cache-dir or {}) is a relative path",
                    dir.display(),
                    crate::env::CACHE_DIR
                ))
                .hint("Give an absolute path, e.g. \"$HOME/.cache/xacct-cred\", or unset it to use the default."));
            }
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
