//! The OS stores, through the keyring crates (keyring-core and one store crate per platform):
//! Secret Service over D-Bus (zbus, pure Rust), the macOS Keychain, the Windows Credential
//! Manager (keyutils is `keyutils.rs`). Items are named service `xacct-cred`, user NAME.
//!
//! A keyring error is turned into words here and never printed with `{:?}` (some variants
//! carry the item's bytes).

use super::Items;
use super::backend::Backend;
use keyring_core::{CredentialStore, Entry, Error as KeyringError};
use std::collections::HashMap;
use std::sync::Arc;

/// The service name every item is stored under (`secret-tool search service xacct-cred`).
pub const SERVICE: &str = "xacct-cred";

pub struct OsStore {
    store: Arc<CredentialStore>,
    backend: Backend,
}

impl OsStore {
    /// Connects to the store (for the Secret Service: to the session bus and the service on
    /// it), so that "first available" means one that answers.
    pub fn open(backend: Backend) -> Result<OsStore, String> {
        let store = connect(backend).map_err(|e| describe(&e))?;
        Ok(OsStore { store, backend })
    }

    fn entry(&self, name: &str) -> Result<Entry, String> {
        let label = format!("xacct-cred: {name}");
        let built = match self.backend {
            Backend::SecretService => {
                let mods = HashMap::from([("label", label.as_str())]);
                Entry::new_in_store_with_modifiers(&self.store, SERVICE, name, &mods)
            }
            _ => Entry::new_in_store(&self.store, SERVICE, name),
        };
        built.map_err(|e| describe(&e))
    }
}

impl Items for OsStore {
    fn get(&self, name: &str) -> Result<Option<Vec<u8>>, String> {
        match self.entry(name)?.get_secret() {
            Ok(bytes) => Ok(Some(bytes)),
            Err(KeyringError::NoEntry) => Ok(None),
            Err(e) => Err(describe(&e)),
        }
    }

    fn set(&self, name: &str, bytes: &[u8]) -> Result<(), String> {
        self.entry(name)?
            .set_secret(bytes)
            .map_err(|e| describe(&e))
    }

    fn delete(&self, name: &str) -> Result<bool, String> {
        match self.entry(name)?.delete_credential() {
            Ok(()) => Ok(true),
            Err(KeyringError::NoEntry) => Ok(false),
            Err(e) => Err(describe(&e)),
        }
    }
}

#[allow(unreachable_code, unused_variables)]
fn connect(backend: Backend) -> keyring_core::Result<Arc<CredentialStore>> {
    match backend {
        #[cfg(all(
            unix,
            not(any(target_os = "macos", target_os = "ios", target_os = "android"))
        ))]
        Backend::SecretService => Ok(zbus_secret_service_keyring_store::Store::new()?),
        #[cfg(target_os = "macos")]
        Backend::Keychain => Ok(apple_native_keyring_store::keychain::Store::new()?),
        #[cfg(windows)]
        Backend::WinCred => Ok(windows_native_keyring_store::Store::new()?),
        _ => Err(KeyringError::NotSupportedByStore(format!(
            "{} is not built into this xacct-cred",
            backend.name()
        ))),
    }
}

/// A keyring error in words, without the item bytes some variants carry.
fn describe(e: &KeyringError) -> String {
    match e {
        KeyringError::BadEncoding(_) | KeyringError::BadDataFormat(..) => {
            "the stored item is malformed".into()
        }
        KeyringError::Ambiguous(items) => format!(
            "{} items match the name (remove the extra ones with the store's own tool)",
            items.len()
        ),
        KeyringError::PlatformFailure(p) | KeyringError::NoStorageAccess(p) => {
            crate::error::causes(p.as_ref())
        }
        other => other.to_string(),
    }
}
