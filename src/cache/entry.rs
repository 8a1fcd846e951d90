//! A cache file's contents and the rules of its freshness.
//!
//! The format is a small JSON object with a version; anything else (older or newer versions,
//! garbage, a missing field) parses as `None` and is a miss, repaired by the next write. The
//! freshness rules take the clock as an argument, so they are tested without sleeping.

use crate::credentials::{Secret, SessionCredentials, format_expiration, parse_expiration};
use crate::plan::Plan;
use serde_json::{Value, json};
use std::time::Duration;
use time::OffsetDateTime;

/// The entry format this build writes; any other is a miss.
pub const FORMAT_VERSION: u64 = 1;
/// botocore re-runs credential_process once fewer than 15 minutes remain; one more minute of
/// margin means a session we hand out is never already inside that window.
pub const DEFAULT_REFRESH_WINDOW: Duration = Duration::from_secs(15 * 60 + 60);
/// A cached session is never handed out with less than this left, even when STS is down.
pub const MIN_SERVE_LEFT: Duration = Duration::from_secs(10);

/// A cache file's contents: the credentials and what they are for (never secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheEntry {
    pub credentials: SessionCredentials,
    pub role_arn: String,
    pub profile: Option<String>,
    pub source: String,
    pub created_at: OffsetDateTime,
}

impl CacheEntry {
    pub fn new(plan: &Plan, credentials: SessionCredentials, now: OffsetDateTime) -> Self {
        CacheEntry {
            credentials,
            role_arn: plan.role.role_arn.arn.clone(),
            profile: plan.profile.clone(),
            source: plan.source.describe(),
            created_at: now,
        }
    }

    pub fn to_json(&self) -> String {
        let c = &self.credentials;
        json!({
            "version": FORMAT_VERSION,
            "role_arn": self.role_arn,
            "profile": self.profile,
            "source": self.source,
            "created_at": format_expiration(self.created_at),
            "credentials": {
                "AccessKeyId": c.access_key_id,
                "SecretAccessKey": c.secret_access_key.expose(),
                "SessionToken": c.session_token.expose(),
                "Expiration": format_expiration(c.expiration),
            }
        })
        .to_string()
    }

    /// `None` for anything but a complete entry of this format version.
    pub fn from_json(bytes: &[u8]) -> Option<CacheEntry> {
        let v: Value = serde_json::from_slice(bytes).ok()?;
        if v.get("version")?.as_u64()? != FORMAT_VERSION {
            return None;
        }
        let text = |v: &Value, k: &str| {
            v.get(k)?
                .as_str()
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        let c = v.get("credentials")?;
        Some(CacheEntry {
            credentials: SessionCredentials {
                access_key_id: text(c, "AccessKeyId")?,
                secret_access_key: Secret::new(text(c, "SecretAccessKey")?),
                session_token: Secret::new(text(c, "SessionToken")?),
                expiration: parse_expiration(&text(c, "Expiration")?)?,
            },
            role_arn: text(&v, "role_arn")?,
            profile: text(&v, "profile"),
            source: text(&v, "source").unwrap_or_default(),
            created_at: parse_expiration(&text(&v, "created_at")?)?,
        })
    }

    /// Time left before expiry (negative once expired).
    pub fn time_left(&self, now: OffsetDateTime) -> time::Duration {
        self.credentials.expiration - now
    }

    /// Fresh: more than the refresh window left (pass the [`effective_window`]).
    pub fn is_fresh(&self, now: OffsetDateTime, window: Duration) -> bool {
        self.time_left(now) > window
    }

    /// Still usable at all, e.g. when a refresh failed.
    pub fn is_servable(&self, now: OffsetDateTime) -> bool {
        self.time_left(now) > MIN_SERVE_LEFT
    }
}

/// The window applied to sessions of the requested duration. A session that is not longer than
/// the window could never be fresh, which would mean one STS call per invocation; such sessions
/// are instead reused until a third of their duration remains (five minutes of 900 s).
pub fn effective_window(window: Duration, duration: Duration) -> Duration {
    if duration > window {
        window
    } else {
        duration / 3
    }
}

/// Said by the call that creates such a session, never by the hits that reuse it.
pub fn short_session_note(window: Duration, duration: Duration) -> Option<String> {
    (duration <= window).then(|| {
        format!(
            "xacct-cred: note: {} s sessions are shorter than the {} s refresh window, so this one is reused until {} s remain; set duration_seconds above {} (or --refresh-window) to change that.",
            duration.as_secs(),
            window.as_secs(),
            effective_window(window, duration).as_secs(),
            window.as_secs()
        )
    })
}

#[cfg(test)]
mod tests {
    //! The window and expiry rules with an injected clock: no test sleeps.
    use super::*;

    fn entry_expiring_in(now: OffsetDateTime, secs: i64) -> CacheEntry {
        CacheEntry {
            credentials: SessionCredentials {
                access_key_id: "ASIA".into(),
                secret_access_key: Secret::new("s"),
                session_token: Secret::new("t"),
                expiration: now + time::Duration::seconds(secs),
            },
            role_arn: "arn:aws:iam::111111111111:role/r".into(),
            profile: Some("p".into()),
            source: "source_profile dev".into(),
            created_at: now - time::Duration::seconds(60),
        }
    }

    const W: Duration = DEFAULT_REFRESH_WINDOW;

    #[test]
    fn fresh_means_more_than_the_window_left() {
        let now = OffsetDateTime::UNIX_EPOCH + time::Duration::days(20_000);
        let win = effective_window(W, Duration::from_secs(3600));
        assert_eq!(win, W);
        assert!(entry_expiring_in(now, 961).is_fresh(now, win));
        assert!(!entry_expiring_in(now, 960).is_fresh(now, win));
        // The same entry, 2 seconds later by the clock, is stale.
        assert!(!entry_expiring_in(now, 961).is_fresh(now + time::Duration::seconds(2), win));
        assert!(!entry_expiring_in(now, -5).is_fresh(now, win));
    }

    #[test]
    fn servable_needs_a_margin_and_never_serves_expired() {
        let now = OffsetDateTime::UNIX_EPOCH + time::Duration::days(20_000);
        assert!(entry_expiring_in(now, 600).is_servable(now));
        assert!(!entry_expiring_in(now, 10).is_servable(now));
        assert!(!entry_expiring_in(now, -1).is_servable(now));
    }

    #[test]
    fn short_sessions_get_a_third_of_their_duration_as_window() {
        assert_eq!(
            effective_window(W, Duration::from_secs(900)),
            Duration::from_secs(300)
        );
        assert_eq!(
            effective_window(W, Duration::from_secs(960)),
            Duration::from_secs(320)
        );
        assert_eq!(effective_window(W, Duration::from_secs(961)), W);
        assert!(
            short_session_note(W, Duration::from_secs(900))
                .unwrap()
                .contains("300 s remain")
        );
        assert!(short_session_note(W, Duration::from_secs(3600)).is_none());
    }

    #[test]
    fn entries_round_trip_and_reject_other_versions() {
        let now = OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
        let e = entry_expiring_in(now, 3600);
        assert_eq!(
            CacheEntry::from_json(e.to_json().as_bytes()),
            Some(e.clone())
        );
        let other = e.to_json().replace("\"version\":1", "\"version\":2");
        assert_eq!(CacheEntry::from_json(other.as_bytes()), None);
    }
}
