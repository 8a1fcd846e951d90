//! Session credentials and the secret strings inside them.
//!
//! `Debug` never prints a secret: a [`Secret`] shows as `** redacted **`, so a stray `{:?}` in a
//! log line or a panic message cannot leak a key. The only ways out are [`Secret::expose`], used
//! by the output formats and the cache file writer.

use std::fmt;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// A string that must only ever reach stdout or the cache file.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("** redacted **")
    }
}

/// What AssumeRole returned, and what the cache stores and the outputs print.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionCredentials {
    pub access_key_id: String,
    pub secret_access_key: Secret,
    pub session_token: Secret,
    pub expiration: OffsetDateTime,
}

impl fmt::Debug for SessionCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionCredentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &self.secret_access_key)
            .field("session_token", &self.session_token)
            .field("expiration", &self.expiration)
            .finish()
    }
}

/// `YYYY-MM-DDTHH:MM:SSZ` in UTC: the one timestamp form that botocore (which crashes on a
/// timestamp without a zone) and the Rust SDK (strict RFC 3339) both accept.
pub fn format_expiration(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// Parses any RFC 3339 timestamp (the cache file and STS both use it) whose UTC form has a
/// four-digit year, so that [`format_expiration`] can always print it back.
pub fn parse_expiration(s: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(s, &Rfc3339)
        .ok()?
        .checked_to_offset(time::UtcOffset::UTC)
        .filter(|t| (0..=9999).contains(&t.year()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_secrets() {
        let c = SessionCredentials {
            access_key_id: "ASIAEXAMPLE".into(),
            secret_access_key: Secret::new("very-secret-key"),
            session_token: Secret::new("very-secret-token"),
            expiration: OffsetDateTime::UNIX_EPOCH,
        };
        let shown = format!("{c:?} {:#?}", c);
        assert!(shown.contains("ASIAEXAMPLE"));
        assert!(!shown.contains("very-secret"), "{shown}");
    }

    #[test]
    fn expiration_is_utc_with_z_and_round_trips() {
        let t = parse_expiration("2026-11-23T17:04:05+02:00").unwrap();
        assert_eq!(format_expiration(t), "2026-11-23T15:04:05Z");
        assert_eq!(parse_expiration(&format_expiration(t)), Some(t));
    }

    /// Found by the cache entry property test (src/fuzzing/props.rs): a cache file whose
    /// expiration is 9999-12-31 at a negative offset is year 10000 in UTC, and printing it
    /// panicked (`to_offset` out of range) on every cache hit until the file was removed.
    #[test]
    fn an_expiration_outside_four_digit_years_in_utc_is_refused_not_a_panic() {
        for s in ["9999-12-31T23:59:59-23:59", "0000-01-01T00:00:00+00:01"] {
            assert_eq!(parse_expiration(s), None, "{s}");
        }
        let last = parse_expiration("9999-12-31T23:59:59Z").unwrap();
        assert_eq!(format_expiration(last), "9999-12-31T23:59:59Z");
    }
}
