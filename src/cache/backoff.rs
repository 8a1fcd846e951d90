//! The back-off record: after a renewal failed for a transient reason, calls within a minute
//! serve the still-valid session at once instead of each waiting out STS's timeouts again.
//!
//! A small `KEY.backoff` file holding the time until which to back off. Best effort: a record
//! that cannot be written or read only means one more renewal attempt.

use super::dir::CacheDir;
use super::platform;
use crate::credentials::{format_expiration, parse_expiration};
use std::io::{Read, Write};
use std::path::PathBuf;
use std::time::Duration;
use time::OffsetDateTime;

/// How long after a transient renewal failure calls serve the cached session without trying.
pub const RETRY_BACKOFF: Duration = Duration::from_secs(60);

impl CacheDir {
    /// Records that renewing `key` failed just now; see [`RETRY_BACKOFF`].
    pub fn note_failed_renewal(&self, key: &str, now: OffsetDateTime) {
        let until = now + RETRY_BACKOFF;
        let path = self.backoff_path(key);
        let _ = std::fs::remove_file(&path);
        if let Ok(mut f) = platform::create_new(&path) {
            let _ = f.write_all(format_expiration(until).as_bytes());
        }
    }

    /// Whether a renewal of `key` failed less than [`RETRY_BACKOFF`] ago.
    pub fn renewal_backing_off(&self, key: &str, now: OffsetDateTime) -> bool {
        let Ok(mut f) = platform::open_entry(&self.backoff_path(key)) else {
            return false;
        };
        let mut text = String::new();
        let _ = f.read_to_string(&mut text);
        parse_expiration(text.trim())
            .is_some_and(|until| now < until && until - now <= RETRY_BACKOFF)
    }

    pub fn clear_failed_renewal(&self, key: &str) {
        let _ = std::fs::remove_file(self.backoff_path(key));
    }

    fn backoff_path(&self, key: &str) -> PathBuf {
        self.path().join(format!("{key}.backoff"))
    }
}
