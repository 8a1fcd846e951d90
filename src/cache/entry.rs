//! A cache file's contents, what it was written for, and the rules of its freshness.
//!
//! The format is a small JSON object with a version; anything else (older or newer versions,
//! garbage, a missing field) parses as `None` and is a miss, repaired by the next write. An entry
//! also records the role, session name and source it was written for, and is served only to a
//! plan that asks for exactly those ([`CacheEntry::is_for`]). The freshness rules ([`State`])
//! take the clock as an argument, so they are tested without sleeping. Nothing here reads a file.

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
/// Inside the window but with more than this left, a session is served at once and renewed in
/// a detached process; with less, the caller renews it itself (the blocking margin).
pub const DEFAULT_BLOCKING_MARGIN: Duration = Duration::from_secs(5 * 60);

/// Where a cached session stands, by the clock: the four states docs/CACHE.md names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// More than the window left: served, nothing else happens.
    Fresh,
    /// Inside the window, more than the margin left: served at once, renewed in the background.
    RenewingInBackground,
    /// Less than the margin left (but more than [`MIN_SERVE_LEFT`]): the caller renews it, and
    /// serves it only if renewing fails for a passing reason or another process is renewing it.
    MustRenew,
    /// Expired, or too close to it to hand out: never served.
    Expired,
}

impl State {
    pub fn describe(self) -> &'static str {
        match self {
            State::Fresh => "fresh",
            State::RenewingInBackground => "inside the window: renewed in the background",
            State::MustRenew => "inside the margin: the next call renews it",
            State::Expired => "expired",
        }
    }
}

/// A cache file's contents: the credentials and what they are for (never secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheEntry {
    pub credentials: SessionCredentials,
    pub role_arn: String,
    /// `None` in entries written before the session name was recorded: served to no plan.
    pub session_name: Option<String>,
    pub profile: Option<String>,
    pub source: String,
    pub created_at: OffsetDateTime,
}

impl CacheEntry {
    pub fn new(plan: &Plan, credentials: SessionCredentials, now: OffsetDateTime) -> Self {
        CacheEntry {
            credentials,
            role_arn: plan.role.role_arn.arn.clone(),
            session_name: Some(plan.role.session_name.to_string()),
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
            "role_session_name": self.session_name,
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
            session_name: text(&v, "role_session_name"),
            profile: text(&v, "profile"),
            source: text(&v, "source").unwrap_or_default(),
            created_at: parse_expiration(&text(&v, "created_at")?)?,
        })
    }

    /// Whether this entry was written for the role, session name and source `plan` asks for.
    /// The key already covers them, so a mismatch means a planted, copied or older entry: a miss.
    pub fn is_for(&self, plan: &Plan) -> bool {
        self.role_arn == plan.role.role_arn.arn
            && self.session_name.as_deref() == Some(&*plan.role.session_name)
            && self.source == plan.source.describe()
    }

    /// Where it stands at `now` (pass the [`effective_window`] and [`effective_margin`]).
    pub fn state(&self, now: OffsetDateTime, window: Duration, margin: Duration) -> State {
        let left = self.time_left(now);
        if left > window {
            State::Fresh
        } else if left > margin && left > MIN_SERVE_LEFT {
            State::RenewingInBackground
        } else if left > MIN_SERVE_LEFT {
            State::MustRenew
        } else {
            State::Expired
        }
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

/// The margin applied with a window: a third of the window at most, so that a short session
/// (or a small `--refresh-window`) still has a stretch renewed in the background.
pub fn effective_margin(margin: Duration, window: Duration) -> Duration {
    margin.min(window / 3)
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
            session_name: Some("asi-dev".into()),
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

    #[test]
    fn the_four_states_by_time_left() {
        let now = OffsetDateTime::UNIX_EPOCH + time::Duration::days(20_000);
        let (w, m) = (W, DEFAULT_BLOCKING_MARGIN);
        let at = |left| entry_expiring_in(now, left).state(now, w, m);
        assert_eq!(at(961), State::Fresh);
        assert_eq!(at(960), State::RenewingInBackground);
        assert_eq!(at(301), State::RenewingInBackground);
        assert_eq!(at(300), State::MustRenew);
        assert_eq!(at(11), State::MustRenew);
        assert_eq!(at(10), State::Expired);
        assert_eq!(at(-60), State::Expired);
    }

    #[test]
    fn the_margin_scales_down_with_the_window() {
        let m = DEFAULT_BLOCKING_MARGIN;
        assert_eq!(effective_margin(m, W), m, "960 s window: 5 minutes");
        // 900 s sessions get a 300 s window, and a 100 s margin inside it.
        let short = effective_window(W, Duration::from_secs(900));
        assert_eq!(effective_margin(m, short), Duration::from_secs(100));
        assert_eq!(
            effective_margin(Duration::from_secs(5), short),
            Duration::from_secs(5)
        );
    }

    #[test]
    fn an_entry_records_what_it_is_for_and_older_entries_lack_the_session_name() {
        let now = OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
        let e = entry_expiring_in(now, 3600);
        let doc: Value = serde_json::from_str(&e.to_json()).unwrap();
        assert_eq!(doc["role_session_name"], "asi-dev");
        let older = e
            .to_json()
            .replace(",\"role_session_name\":\"asi-dev\"", "");
        assert_eq!(
            CacheEntry::from_json(older.as_bytes())
                .unwrap()
                .session_name,
            None
        );
    }
}
