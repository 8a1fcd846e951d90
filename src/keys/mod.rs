//! The key store: where a profile's long-term IAM user key lives instead of
//! `~/.aws/credentials`, and where the MFA session made with it is kept (never in the plain
//! cache). One of the OS stores (`os`) or an encrypted file (`file`), chosen by `backend`.
//!
//! It is opened only by the `keys` commands, `doctor`, and a renewal whose source key is in
//! it — never on the cache-hit path. Items are named `key/PROFILE` and `mfa-session/PROFILE`;
//! the OS stores cannot list what they hold, so an `index` item lists the profiles.

pub mod backend;
mod bus;
mod crypt;
mod file;
mod item;
#[cfg(target_os = "linux")]
mod keyutils;
mod os;

pub use backend::{Backend, Choice};
pub use item::{MfaSession, StoredKey};

use crate::env::Environment;
use crate::error::{Error, Result};

/// Raw items by name, in one store.
trait Items {
    fn get(&self, name: &str) -> std::result::Result<Option<Vec<u8>>, String>;
    fn set(&self, name: &str, bytes: &[u8]) -> std::result::Result<(), String>;
    /// `false` when there was no such item.
    fn delete(&self, name: &str) -> std::result::Result<bool, String>;
    /// Every item's name, for a store that can list them.
    fn names(&self) -> std::result::Result<Option<Vec<String>>, String> {
        Ok(None)
    }
}

/// An open key store.
pub struct KeyStore {
    items: Box<dyn Items>,
    pub choice: Choice,
    /// The file of the file backend, for messages.
    pub location: String,
}

const INDEX: &str = "index";

impl KeyStore {
    /// Refuses a store that forgets (keyutils) when it was only the first to answer, for a
    /// command after which its item is the key's only copy (`keys import`): losing it at
    /// reboot must be a choice, not a default.
    pub fn refuse_forgetful_default(&self, doing: &str) -> Result<()> {
        if !self.choice.backend.forgets() || self.choice.named {
            return Ok(());
        }
        Err(Error::config(format!(
            "{doing}: the store that answered is {} ({}), {}; the key would have no other copy",
            self.choice.backend.name(),
            self.choice.why,
            self.choice.backend.persistence()
        ))
        .hint("Name the store: --backend file (encrypted on disk; XACCT_CRED_FILE_PASSPHRASE or the terminal gives the passphrase), or --backend keyutils if losing the key at reboot is fine. Nothing was changed."))
    }

    /// Chooses (see [`backend::choose`]) and opens the store.
    pub fn open(flag: Option<Backend>, env: &Environment) -> Result<KeyStore> {
        let foreign = || bus::not_ours(env);
        let choice = backend::choose(flag, env, &|b| match b {
            Backend::SecretService => match foreign() {
                Some(why) => Err(why),
                None => open_os(b).map(drop),
            },
            b => open_os(b).map(drop),
        })?;
        if choice.backend == Backend::SecretService
            && let Some(why) = foreign()
        {
            return Err(Error::source(format!(
                "the key store secret-service ({}) is refused: {why}",
                choice.why
            ))
            .hint("Run it in the session of the user whose keyring it is (not through su or sudo -E), or unset DBUS_SESSION_BUS_ADDRESS and pick another store with --backend (file or keyutils)."));
        }
        let unusable = |why: String| {
            Error::source(format!(
                "the key store {} ({}) cannot be used: {why}",
                choice.backend.name(),
                choice.why
            ))
            .hint("Unlock or start it, or pick another with --backend / XACCT_CRED_KEYS_BACKEND (file works everywhere).")
        };
        let (items, location): (Box<dyn Items>, String) = match choice.backend {
            Backend::File => {
                let f = file::FileStore::open(env).map_err(unusable)?;
                let shown = f.path().display().to_string();
                (Box::new(f), shown)
            }
            b => (
                open_os(b).map_err(unusable)?,
                format!("service {}", os::SERVICE),
            ),
        };
        Ok(KeyStore {
            items,
            choice,
            location,
        })
    }

    pub fn backend(&self) -> Backend {
        self.choice.backend
    }

    fn failed(&self, doing: &str, why: String) -> Error {
        Error::source(format!(
            "the key store {} failed {doing}: {why}",
            self.backend().name()
        ))
        .hint("Check that the store is unlocked and reachable (xacct-cred doctor shows which store and why).")
    }

    /// The long-term key stored for `profile`.
    pub fn key(&self, profile: &str) -> Result<Option<StoredKey>> {
        let doing = format!("reading the key of profile {profile}");
        match self
            .items
            .get(&key_name(profile))
            .map_err(|e| self.failed(&doing, e))?
        {
            None => Ok(None),
            Some(bytes) => StoredKey::decode(&bytes)
                .map(Some)
                .map_err(|why| self.failed(&doing, why)),
        }
    }

    pub fn put_key(&self, profile: &str, key: &StoredKey) -> Result<()> {
        let doing = format!("storing the key of profile {profile}");
        self.items
            .set(&key_name(profile), &key.encode())
            .map_err(|e| self.failed(&doing, e))?;
        let mut profiles = self.profiles()?;
        if !profiles.iter().any(|p| p == profile) {
            profiles.push(profile.to_string());
            self.write_index(&profiles)?;
        }
        Ok(())
    }

    /// Removes the key and any MFA session of `profile`; `false` if it had no key.
    pub fn remove_key(&self, profile: &str) -> Result<bool> {
        let doing = format!("removing the key of profile {profile}");
        self.remove_mfa_session(profile)?;
        let removed = self
            .items
            .delete(&key_name(profile))
            .map_err(|e| self.failed(&doing, e))?;
        let mut profiles = self.profiles()?;
        if profiles.iter().any(|p| p == profile) {
            profiles.retain(|p| p != profile);
            self.write_index(&profiles)?;
        }
        Ok(removed)
    }

    /// The profiles that have a key here, sorted.
    pub fn profiles(&self) -> Result<Vec<String>> {
        let fail = |e| self.failed("listing its items", e);
        let mut names: Vec<String> = match self.items.names().map_err(fail)? {
            Some(names) => names
                .into_iter()
                .filter_map(|n| n.strip_prefix("key/").map(str::to_string))
                .collect(),
            None => match self.items.get(INDEX).map_err(fail)? {
                None => Vec::new(),
                Some(bytes) => serde_json::from_slice(&bytes).map_err(|_| {
                    self.failed("listing its items", "the index is malformed".into())
                })?,
            },
        };
        names.sort();
        names.dedup();
        Ok(names)
    }

    fn write_index(&self, profiles: &[String]) -> Result<()> {
        if self.items.names().ok().flatten().is_some() {
            return Ok(());
        }
        let fail = |e| self.failed("updating its index", e);
        if profiles.is_empty() {
            return self.items.delete(INDEX).map(drop).map_err(fail);
        }
        let bytes = serde_json::to_vec(profiles).expect("a list of strings");
        self.items.set(INDEX, &bytes).map_err(fail)
    }

    /// The MFA session kept for `profile`, if any (expired or not: the caller decides).
    pub fn mfa_session(&self, profile: &str) -> Result<Option<MfaSession>> {
        let doing = format!("reading the MFA session of profile {profile}");
        match self
            .items
            .get(&session_name(profile))
            .map_err(|e| self.failed(&doing, e))?
        {
            None => Ok(None),
            // A malformed session is as good as none: a new one replaces it.
            Some(bytes) => Ok(MfaSession::decode(&bytes).ok()),
        }
    }

    pub fn put_mfa_session(&self, profile: &str, session: &MfaSession) -> Result<()> {
        let doing = format!("storing the MFA session of profile {profile}");
        self.items
            .set(&session_name(profile), &session.encode())
            .map_err(|e| self.failed(&doing, e))
    }

    pub fn remove_mfa_session(&self, profile: &str) -> Result<bool> {
        let doing = format!("removing the MFA session of profile {profile}");
        self.items
            .delete(&session_name(profile))
            .map_err(|e| self.failed(&doing, e))
    }
}

/// An OS store, connected (so that "first available" means one that answers).
fn open_os(backend: Backend) -> std::result::Result<Box<dyn Items>, String> {
    #[cfg(target_os = "linux")]
    if backend == Backend::Keyutils {
        return Ok(Box::new(keyutils::KeyutilsStore::open()?));
    }
    Ok(Box::new(os::OsStore::open(backend)?))
}

fn key_name(profile: &str) -> String {
    format!("key/{profile}")
}

fn session_name(profile: &str) -> String {
    format!("mfa-session/{profile}")
}
