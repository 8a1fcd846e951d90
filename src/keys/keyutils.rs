//! The Linux kernel's key store (keyutils), for servers without a Secret Service: items are
//! `user` keys named `xacct-cred:NAME` in the user keyring, linked into the user's persistent
//! keyring when the kernel allows it (so they outlive the last login session until its expiry).
//!
//! In memory only: gone at reboot. The keyring crates' keyutils store is not used because it
//! fails every write where linking into the persistent keyring is refused (containers); here
//! that link is best effort. Items are readable and writable by this user only.

use super::Items;
use linux_keyutils::{
    Key, KeyError, KeyPermissionsBuilder, KeyRing, KeyRingIdentifier, Permission,
};

pub struct KeyutilsStore {
    user: KeyRing,
    persistent: Option<KeyRing>,
}

impl KeyutilsStore {
    pub fn open() -> Result<KeyutilsStore, String> {
        let user = KeyRing::from_special_id(KeyRingIdentifier::User, true)
            .map_err(|e| format!("no user keyring: {}", describe(e)))?;
        let persistent = KeyRing::get_persistent(KeyRingIdentifier::User).ok();
        Ok(KeyutilsStore { user, persistent })
    }

    fn find(&self, name: &str) -> Result<Option<Key>, String> {
        let description = description(name);
        for ring in std::iter::once(&self.user).chain(self.persistent.as_ref()) {
            match ring.search(&description) {
                Ok(key) => return Ok(Some(key)),
                Err(KeyError::KeyDoesNotExist) => {}
                Err(e) => return Err(describe(e)),
            }
        }
        Ok(None)
    }
}

impl Items for KeyutilsStore {
    fn get(&self, name: &str) -> Result<Option<Vec<u8>>, String> {
        match self.find(name)? {
            Some(key) => key.read_to_vec().map(Some).map_err(describe),
            None => Ok(None),
        }
    }

    fn set(&self, name: &str, bytes: &[u8]) -> Result<(), String> {
        let key = match self.find(name)? {
            Some(key) => {
                key.update(&bytes).map_err(describe)?;
                key
            }
            None => {
                let key = self
                    .user
                    .add_key(&description(name), bytes)
                    .map_err(describe)?;
                let own = KeyPermissionsBuilder::builder()
                    .posessor(Permission::ALL)
                    .user(Permission::ALL)
                    .build();
                key.set_perms(own).map_err(describe)?;
                key
            }
        };
        if let Some(persistent) = &self.persistent {
            // Best effort: refused in containers, where the item lives as long as the user
            // keyring (while the user has processes, and never past a reboot).
            let _ = persistent.link_key(key);
        }
        Ok(())
    }

    fn delete(&self, name: &str) -> Result<bool, String> {
        match self.find(name)? {
            Some(key) => key.invalidate().map(|()| true).map_err(describe),
            None => Ok(false),
        }
    }
}

fn description(name: &str) -> String {
    format!("xacct-cred:{name}")
}

fn describe(e: KeyError) -> String {
    format!("{e:?}")
}
