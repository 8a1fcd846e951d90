//! The doctor's key-store step, for a source whose key is in the key store: which store and
//! why, the key (id tail, age), and how long its MFA session has left. Never shows a secret.

use super::report::Report;
use crate::aws::stored_key;
use crate::env::Environment;
use crate::error::key_id_tail;
use crate::keys::{KeyStore, StoredKey};
use time::OffsetDateTime;

/// What the step opened, for the steps after it.
pub struct Opened {
    pub name: String,
    pub store: KeyStore,
    pub key: StoredKey,
}

/// Opens the store and reads the key of source profile `name`; `None` (and a failed step)
/// when either cannot be had.
pub fn step(r: &mut Report, name: &str, serial: Option<&str>, env: &Environment) -> Option<Opened> {
    let (store, key) = match stored_key::open(name, env) {
        Ok(opened) => opened,
        Err(e) => {
            r.fail("key store", &e);
            return None;
        }
    };
    let now = OffsetDateTime::now_utc();
    let mut detail = format!(
        "source_profile {name}'s key {} ({} days old) is in {} ({}; {})",
        key_id_tail(&key.access_key_id),
        (now - key.created).whole_days(),
        store.backend().name(),
        store.choice.why,
        store.backend().persistence()
    );
    if let Some(serial) = serial {
        let session = store
            .mfa_session(name)
            .ok()
            .flatten()
            .filter(|s| s.source_key_id == key.access_key_id && s.mfa_serial == serial);
        detail.push_str(&match session {
            Some(s) if s.credentials.expiration > now => {
                let left = s.credentials.expiration - now;
                format!(
                    "; MFA session: {} h {:02} min left (roles renew without a code until then)",
                    left.whole_hours(),
                    left.whole_minutes() % 60
                )
            }
            _ => "; MFA session: none (the next renewal asks for a code)".to_string(),
        });
    }
    r.pass("key store", detail);
    Some(Opened {
        name: name.to_string(),
        store,
        key,
    })
}
