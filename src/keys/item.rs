//! The items the key store holds, and their one byte format (versioned JSON): a profile's
//! long-term IAM user key, and the MFA session made with it.
//!
//! Decoding never echoes the bytes it was given (they hold a secret): a malformed item is
//! reported by what is missing, never by its content.

use crate::credentials::{Secret, SessionCredentials, format_expiration, parse_expiration};
use serde_json::{Value, json};
use std::fmt;
use time::OffsetDateTime;

/// A long-term access key of an IAM user, as `keys add` stored it.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredKey {
    pub access_key_id: String,
    pub secret_access_key: Secret,
    /// When this key was put in the store (`keys list` shows its age; `rotate` renews it).
    pub created: OffsetDateTime,
}

impl fmt::Debug for StoredKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredKey")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &self.secret_access_key)
            .field("created", &self.created)
            .finish()
    }
}

/// A GetSessionToken session made with an MFA code, kept in the store (never in the plain
/// cache) so that roles are assumed from it without a code until it ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MfaSession {
    /// The long-term key it was made with: a session of an older key is not used.
    pub source_key_id: String,
    pub mfa_serial: String,
    pub credentials: SessionCredentials,
}

const VERSION: u64 = 1;

impl StoredKey {
    pub fn encode(&self) -> Vec<u8> {
        json!({
            "Version": VERSION,
            "Kind": "access-key",
            "AccessKeyId": self.access_key_id,
            "SecretAccessKey": self.secret_access_key.expose(),
            "Created": format_expiration(self.created),
        })
        .to_string()
        .into_bytes()
    }

    pub fn decode(bytes: &[u8]) -> Result<StoredKey, String> {
        let v = document(bytes, "access-key")?;
        Ok(StoredKey {
            access_key_id: field(&v, "AccessKeyId")?.to_string(),
            secret_access_key: Secret::new(field(&v, "SecretAccessKey")?),
            created: parse_expiration(field(&v, "Created")?)
                .ok_or("its Created time is not an RFC 3339 time")?,
        })
    }
}

impl MfaSession {
    pub fn encode(&self) -> Vec<u8> {
        let c = &self.credentials;
        json!({
            "Version": VERSION,
            "Kind": "mfa-session",
            "SourceAccessKeyId": self.source_key_id,
            "MfaSerial": self.mfa_serial,
            "AccessKeyId": c.access_key_id,
            "SecretAccessKey": c.secret_access_key.expose(),
            "SessionToken": c.session_token.expose(),
            "Expiration": format_expiration(c.expiration),
        })
        .to_string()
        .into_bytes()
    }

    pub fn decode(bytes: &[u8]) -> Result<MfaSession, String> {
        let v = document(bytes, "mfa-session")?;
        Ok(MfaSession {
            source_key_id: field(&v, "SourceAccessKeyId")?.to_string(),
            mfa_serial: field(&v, "MfaSerial")?.to_string(),
            credentials: SessionCredentials {
                access_key_id: field(&v, "AccessKeyId")?.to_string(),
                secret_access_key: Secret::new(field(&v, "SecretAccessKey")?),
                session_token: Secret::new(field(&v, "SessionToken")?),
                expiration: parse_expiration(field(&v, "Expiration")?)
                    .ok_or("its Expiration is not an RFC 3339 time")?,
            },
        })
    }
}

fn document(bytes: &[u8], kind: &str) -> Result<Value, String> {
    let v: Value = serde_json::from_slice(bytes).map_err(|_| "it is not JSON".to_string())?;
    match (v.get("Version").and_then(Value::as_u64), v.get("Kind")) {
        (Some(VERSION), Some(k)) if k == kind => Ok(v),
        (Some(VERSION), _) => Err(format!("it is not an item of kind {kind}")),
        _ => Err(format!(
            "it is not a version {VERSION} item (written by another xacct-cred?)"
        )),
    }
}

fn field<'a>(v: &'a Value, name: &str) -> Result<&'a str, String> {
    v.get(name)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| format!("it has no {name}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> StoredKey {
        StoredKey {
            access_key_id: "AKIAEXAMPLE0000001".into(),
            secret_access_key: Secret::new("item-secret-0123456789"),
            created: parse_expiration("2026-12-01T10:00:00Z").unwrap(),
        }
    }

    #[test]
    fn items_round_trip_and_their_debug_shows_no_secret() {
        let k = key();
        assert_eq!(StoredKey::decode(&k.encode()).unwrap(), k);
        assert!(!format!("{k:?}").contains("item-secret"));
        let s = MfaSession {
            source_key_id: k.access_key_id.clone(),
            mfa_serial: "arn:aws:iam::222222222222:mfa/asi-dev".into(),
            credentials: SessionCredentials {
                access_key_id: "ASIAEXAMPLE".into(),
                secret_access_key: Secret::new("session-secret"),
                session_token: Secret::new("session-token"),
                expiration: parse_expiration("2026-12-01T22:00:00Z").unwrap(),
            },
        };
        assert_eq!(MfaSession::decode(&s.encode()).unwrap(), s);
        assert!(!format!("{s:?}").contains("session-secret"));
    }

    #[test]
    fn a_malformed_item_is_described_without_its_content() {
        let k = key();
        let mut text = String::from_utf8(k.encode()).unwrap();
        text = text.replace("\"Created\"", "\"Made\"");
        let why = StoredKey::decode(text.as_bytes()).unwrap_err();
        assert_eq!(why, "it has no Created");
        let why = StoredKey::decode(b"item-secret-0123456789").unwrap_err();
        assert!(!why.contains("item-secret"), "{why}");
        assert!(
            MfaSession::decode(&k.encode()).is_err(),
            "kinds are not mixed"
        );
    }
}
