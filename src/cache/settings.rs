//! The cache's settings, resolved once (by `cli`: the flags, else their variables, else the
//! defaults here), and where the cache directory is.

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

/// The per-user directory and the default window, margin and lock timeout, renewing in the
/// background.
impl Default for StoreSettings {
    fn default() -> StoreSettings {
        StoreSettings {
            dir: None,
            refresh_window: super::DEFAULT_REFRESH_WINDOW,
            blocking_margin: super::DEFAULT_BLOCKING_MARGIN,
            background: true,
            lock_timeout: DEFAULT_LOCK_TIMEOUT,
        }
    }
}

impl StoreSettings {
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
