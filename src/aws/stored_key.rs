//! A key-store source (`SourceSpec::Stored`): the profile's long-term key from the key store,
//! and, for a role with `mfa_serial`, the MFA session made with it — GetSessionToken with one
//! code, kept in the store (never in the plain cache) — from which the role is assumed without
//! a code until the session ends. Then one prompt makes the next.
//!
//! Reached only when a session is renewed, never on the cache-hit path.

use super::caller::SourceCredential;
use super::{mfa, sts};
use crate::credentials::{Secret, SessionCredentials};
use crate::diag::debug;
use crate::env::Environment;
use crate::error::{Error, Kind, Result, key_id_tail};
use crate::keys::{KeyStore, MfaSession, StoredKey};
use crate::plan::Plan;
use aws_credential_types::Credentials;
use aws_sdk_sts::error::ProvideErrorMetadata;
use time::OffsetDateTime;

/// An MFA session with less than this left is not used: the AssumeRole it signs must not
/// meet its end.
const MFA_SESSION_MIN_LEFT: time::Duration = time::Duration::minutes(5);

/// The store (chosen as `XACCT_CRED_KEYS_BACKEND` says, else the first that answers) and the
/// key it holds for `profile`.
pub fn open(profile: &str, env: &Environment) -> Result<(KeyStore, StoredKey)> {
    let store = KeyStore::open(None, env)?;
    match store.key(profile)? {
        Some(key) => Ok((store, key)),
        None => Err(Error::source(format!(
            "source_profile {profile} has no keys in the config files, and the key store {} ({}) holds none for it",
            store.backend().name(),
            store.choice.why
        ))
        .hint(format!("Move them there with `xacct-cred keys import {profile}` (from ~/.aws/credentials) or `xacct-cred keys add {profile}`; if they are in another store, set XACCT_CRED_KEYS_BACKEND."))),
    }
}

/// The stored key as the credential that signs the next call.
pub fn credential(profile: &str, store: &KeyStore, key: &StoredKey) -> SourceCredential {
    SourceCredential {
        credentials: Credentials::new(
            &key.access_key_id,
            key.secret_access_key.expose(),
            None,
            None,
            "XacctCredKeyStore",
        ),
        description: format!(
            "source_profile {profile} (key store {}, access key {})",
            store.backend().name(),
            key_id_tail(&key.access_key_id)
        ),
    }
}

/// The MFA session to assume the role from: the one in the store while it lasts, else a new
/// one (one code, GetSessionToken signed with the long-term key), stored before it is used.
pub async fn mfa_source(
    plan: &Plan,
    profile: &str,
    store: &KeyStore,
    key: &StoredKey,
) -> Result<SourceCredential> {
    let serial = plan
        .role
        .mfa_serial
        .as_deref()
        .expect("called for a role with mfa_serial");
    let now = OffsetDateTime::now_utc();
    let kept = store.mfa_session(profile)?.filter(|s| {
        s.source_key_id == key.access_key_id
            && s.mfa_serial == serial
            && s.credentials.expiration - now > MFA_SESSION_MIN_LEFT
    });
    let session = match kept {
        Some(s) => {
            debug(|| {
                format!(
                    "MFA session of {profile} from the key store, {} min left",
                    (s.credentials.expiration - now).whole_minutes()
                )
            });
            s
        }
        None => {
            let code = mfa::token_code(plan)?.expect("mfa_serial is set");
            let long_term = credential(profile, store, key);
            let credentials = get_session_token(plan, &long_term, serial, code).await?;
            let s = MfaSession {
                source_key_id: key.access_key_id.clone(),
                mfa_serial: serial.to_string(),
                credentials,
            };
            store.put_mfa_session(profile, &s)?;
            s
        }
    };
    let c = &session.credentials;
    Ok(SourceCredential {
        credentials: Credentials::new(
            &c.access_key_id,
            c.secret_access_key.expose(),
            Some(c.session_token.expose().to_string()),
            Some(c.expiration.into()),
            "XacctCredMfaSession",
        ),
        description: format!(
            "the MFA session of source_profile {profile} (key {}, until {})",
            key_id_tail(&key.access_key_id),
            crate::credentials::format_expiration(c.expiration)
        ),
    })
}

async fn get_session_token(
    plan: &Plan,
    long_term: &SourceCredential,
    serial: &str,
    code: String,
) -> Result<SessionCredentials> {
    let client = sts::client(plan, long_term);
    let out = client
        .get_session_token()
        .duration_seconds(plan.mfa_session_seconds as i32)
        .serial_number(serial)
        .token_code(code)
        .send()
        .await
        .map_err(|e| {
            let code = e.code().unwrap_or_default().to_string();
            let said = e.message().map(|m| format!(": {m}")).unwrap_or_default();
            match code.as_str() {
                "AccessDenied" => Error::new(
                    Kind::Mfa,
                    format!("GetSessionToken refused the MFA code for {serial}{said}"),
                )
                .hint("Use the current code of that device (codes last 30 s and each works once), and check that mfa_serial is its ARN."),
                "" => Error::new(
                    Kind::StsUnavailable,
                    format!(
                        "GetSessionToken for the MFA session of {} failed: {}",
                        long_term.description,
                        crate::error::causes(&e)
                    ),
                )
                .hint("Check the network and the STS endpoint; retry shortly."),
                _ => Error::new(
                    Kind::Sts,
                    format!(
                        "STS refused GetSessionToken for {} ({code}{said})",
                        long_term.description
                    ),
                )
                .hint("Check the stored key (xacct-cred keys list; aws sts get-caller-identity with it) and mfa_serial."),
            }
        })?;
    let c = out.credentials().ok_or_else(|| {
        Error::new(
            Kind::StsUnavailable,
            "STS answered GetSessionToken without credentials",
        )
        .hint("Retry; if it persists, the STS endpoint is not a real STS.")
    })?;
    let expiration = OffsetDateTime::from_unix_timestamp(c.expiration().secs()).map_err(|_| {
        Error::new(
            Kind::StsUnavailable,
            "STS returned an expiration time out of range",
        )
    })?;
    Ok(SessionCredentials {
        access_key_id: c.access_key_id().to_string(),
        secret_access_key: Secret::new(c.secret_access_key()),
        session_token: Secret::new(c.session_token()),
        expiration,
    })
}
