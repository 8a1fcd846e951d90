//! The last failed renewal of a key (`KEY.backoff`, a small JSON record: when, the error's kind
//! and one-line message, who failed) and the back-off it implies: within a minute of a
//! transient failure, calls serve the still-valid session at once. Best effort; never a secret
//! in the record; a record dated in the future is ignored.

use super::dir::CacheDir;
use super::platform;
use crate::credentials::{format_expiration, parse_expiration};
use crate::disk::private_file;
use crate::error::{Error, Kind};
use serde_json::{Value, json};
use std::io::{Read, Write};
use std::path::PathBuf;
use std::time::Duration;
use time::OffsetDateTime;

/// How long after a transient renewal failure calls serve the cached session without trying
/// (an eighth of the window at most, so that short sessions are retried before they expire).
pub const RETRY_BACKOFF: Duration = Duration::from_secs(60);

/// The back-off that applies with `window` (see [`RETRY_BACKOFF`]).
pub fn retry_backoff(window: Duration) -> Duration {
    RETRY_BACKOFF.min(window / 8)
}
/// The message is cut to this many characters: a record, not a log.
const MAX_MESSAGE: usize = 300;

/// Who made the failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt {
    Caller,
    Background,
}

/// The last failed renewal of a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub at: OffsetDateTime,
    pub kind: Kind,
    pub by: Attempt,
    /// One line, without the hint.
    pub message: String,
}

impl Failure {
    pub fn new(e: &Error, by: Attempt, at: OffsetDateTime) -> Failure {
        let one_line: String = e.what().split_whitespace().collect::<Vec<_>>().join(" ");
        Failure {
            at,
            kind: e.kind(),
            by,
            message: one_line.chars().take(MAX_MESSAGE).collect(),
        }
    }

    /// Whether calls at `now` should serve a valid session without trying STS: a transient
    /// failure less than `backoff` ago ([`retry_backoff`]), and not dated in the future.
    pub fn backs_off(&self, now: OffsetDateTime, backoff: Duration) -> bool {
        self.kind.is_transient() && self.is_recent(now, backoff)
    }

    /// Less than `backoff` ago, of any kind, and not dated in the future.
    pub fn is_recent(&self, now: OffsetDateTime, backoff: Duration) -> bool {
        self.at <= now && now - self.at < backoff
    }

    /// "3 min ago (background renewal): STS did not answer …", for people.
    pub fn describe(&self, now: OffsetDateTime) -> String {
        let ago = (now - self.at).whole_seconds();
        let when = if ago < 0 {
            "dated in the future, ignored".to_string()
        } else if ago < 120 {
            format!("{ago} s ago")
        } else {
            format!("{} min ago", ago / 60)
        };
        let by = match self.by {
            Attempt::Caller => "by a caller",
            Attempt::Background => "by the background renewal",
        };
        format!("{when}, {by}: {}", self.message)
    }

    fn to_json(&self) -> String {
        json!({
            "at": format_expiration(self.at),
            "kind": kind_name(self.kind),
            "by": match self.by { Attempt::Caller => "caller", Attempt::Background => "background" },
            "message": self.message,
        })
        .to_string()
    }

    fn from_json(bytes: &[u8]) -> Option<Failure> {
        let v: Value = serde_json::from_slice(bytes).ok()?;
        Some(Failure {
            at: parse_expiration(v.get("at")?.as_str()?)?,
            kind: kind_named(v.get("kind")?.as_str()?)?,
            by: match v.get("by")?.as_str()? {
                "background" => Attempt::Background,
                _ => Attempt::Caller,
            },
            message: v
                .get("message")?
                .as_str()?
                .chars()
                .take(MAX_MESSAGE)
                .collect(),
        })
    }
}

const KINDS: &[(Kind, &str)] = &[
    (Kind::Config, "config"),
    (Kind::Source, "source"),
    (Kind::SourceUnavailable, "source-unavailable"),
    (Kind::Sts, "sts"),
    (Kind::StsUnavailable, "sts-unavailable"),
    (Kind::Cache, "cache"),
    (Kind::Mfa, "mfa"),
];

fn kind_name(kind: Kind) -> &'static str {
    KINDS
        .iter()
        .find(|(k, _)| *k == kind)
        .map_or("other", |(_, n)| n)
}

fn kind_named(name: &str) -> Option<Kind> {
    KINDS.iter().find(|(_, n)| *n == name).map(|(k, _)| *k)
}

impl CacheDir {
    /// Records a failed renewal of `key`, replacing the previous record.
    pub fn note_failed_renewal(&self, key: &str, failure: &Failure) {
        let path = self.backoff_path(key);
        let tmp = self
            .path()
            .join(format!("{key}.backoff.{}.tmp", std::process::id()));
        let _ = std::fs::remove_file(&tmp);
        let json = failure.to_json();
        let _ = private_file::write_private(&path, &tmp, 0o600, |f| f.write_all(json.as_bytes()));
    }

    /// The last failed renewal of `key` since it was last renewed, if any.
    pub fn last_failure(&self, key: &str) -> Option<Failure> {
        let mut f = platform::open_entry(&self.backoff_path(key)).ok()?;
        let mut bytes = Vec::new();
        Read::by_ref(&mut f)
            .take(4096)
            .read_to_end(&mut bytes)
            .ok()?;
        Failure::from_json(&bytes)
    }

    /// Whether a renewal of `key` failed for a passing reason less than `backoff` ago.
    pub fn renewal_backing_off(&self, key: &str, now: OffsetDateTime, backoff: Duration) -> bool {
        self.last_failure(key)
            .is_some_and(|f| f.backs_off(now, backoff))
    }

    pub fn clear_failed_renewal(&self, key: &str) {
        let _ = std::fs::remove_file(self.backoff_path(key));
    }

    fn backoff_path(&self, key: &str) -> PathBuf {
        self.path().join(format!("{key}.backoff"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_backs_off_for_a_minute_and_never_from_the_future() {
        let now = OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
        let down = Error::new(Kind::StsUnavailable, "STS did not\nanswer");
        let f = Failure::new(&down, Attempt::Background, now);
        assert_eq!(f.message, "STS did not answer", "one line");
        let b = RETRY_BACKOFF;
        assert!(f.backs_off(now, b));
        assert!(f.backs_off(now + time::Duration::seconds(59), b));
        assert!(!f.backs_off(now + time::Duration::seconds(60), b));
        assert!(!f.backs_off(now - time::Duration::seconds(1), b), "future");
        assert_eq!(retry_backoff(Duration::from_secs(960)), b);
        assert_eq!(
            retry_backoff(Duration::from_secs(80)),
            Duration::from_secs(10)
        );
        assert!(
            f.describe(now - time::Duration::seconds(1))
                .contains("future")
        );
        let denied = Failure::new(&Error::new(Kind::Sts, "denied"), Attempt::Caller, now);
        assert!(
            !denied.backs_off(now, b),
            "a refusal is no reason to back off"
        );
        let back = Failure::from_json(f.to_json().as_bytes()).unwrap();
        assert_eq!(back, f);
        assert!(
            Failure::from_json(b"2026-01-01T00:00:00Z").is_none(),
            "old format"
        );
    }

    #[test]
    fn the_record_is_written_and_read_in_the_directory() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = CacheDir::open(tmp.path().join("c")).unwrap();
        let now = OffsetDateTime::now_utc();
        assert!(dir.last_failure("k").is_none());
        let e = Error::new(Kind::SourceUnavailable, "IMDS answered 500");
        dir.note_failed_renewal("k", &Failure::new(&e, Attempt::Caller, now));
        assert!(dir.renewal_backing_off("k", now, RETRY_BACKOFF));
        let future = Failure::new(&e, Attempt::Caller, now + time::Duration::hours(1));
        dir.note_failed_renewal("k", &future);
        assert!(
            !dir.renewal_backing_off("k", now, RETRY_BACKOFF),
            "dated in the future"
        );
        dir.clear_failed_renewal("k");
        assert!(dir.last_failure("k").is_none());
    }

    #[test]
    fn a_killed_writers_temp_files_of_the_key_are_removed_and_no_others() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = CacheDir::open(tmp.path().join("c")).unwrap();
        let names = [
            "k.json.41.tmp",
            "k.backoff.42.tmp",
            "other.backoff.43.tmp",
            "k.json",
        ];
        for name in names {
            std::fs::write(tmp.path().join("c").join(name), "").unwrap();
        }
        dir.remove_stale_temp_files("k");
        let mut left: Vec<String> = std::fs::read_dir(tmp.path().join("c"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left, ["k.json", "other.backoff.43.tmp"]);
    }
}
