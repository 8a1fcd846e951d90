//! `keys import PROFILE`: copies the profile's key from the shared files into the store,
//! checks it reads back, then takes the two lines out of each file that held them — with
//! setup's file safety (mode kept, links kept, atomic) but no backup, so that no copy of the
//! secret stays on disk in a file of ours.

use super::{checked_key, store_and_check};
use crate::config::file_paths;
use crate::config::lines::take_keys;
use crate::env::Environment;
use crate::error::{Error, Result, key_id_tail};
use crate::keys::{Backend, KeyStore};
use std::path::PathBuf;

const ID: &str = "aws_access_key_id";
const SECRET: &str = "aws_secret_access_key";
const TOKEN: &str = "aws_session_token";

/// A file that holds the profile's key, and its text without the key lines.
struct Holder {
    path: PathBuf,
    without: String,
    id: Option<String>,
    secret: Option<String>,
}

pub fn run(profile: &str, flag: Option<Backend>, env: &Environment) -> Result<()> {
    let (config_path, credentials_path) = file_paths(env);
    let mut holders = Vec::new();
    for path in [credentials_path.clone(), config_path.clone()] {
        crate::disk::root_walk::refuse_paths_others_control_as_root(&path)?;
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => {
                return Err(Error::config(format!(
                    "could not read {}: {e}",
                    path.display()
                )));
            }
        };
        let taken = take_keys(&text, profile, &[ID, SECRET, TOKEN]);
        if taken.removed.is_empty() {
            continue;
        }
        let value = |k: &str| {
            taken
                .removed
                .iter()
                .rev()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.clone())
        };
        if value(TOKEN).is_some() {
            return Err(Error::config(format!(
                "profile {profile} in {} holds temporary keys (aws_session_token), which expire",
                path.display()
            ))
            .hint("Import the IAM user's long-term key (AKIA…); nothing was changed."));
        }
        holders.push(Holder {
            path,
            without: taken.text,
            id: value(ID),
            secret: value(SECRET),
        });
    }
    let pick = |f: fn(&Holder) -> Option<&String>| -> Result<Option<String>> {
        let mut found: Vec<&String> = holders.iter().filter_map(f).collect();
        found.dedup();
        match found.as_slice() {
            [] => Ok(None),
            [one] => Ok(Some((*one).clone())),
            _ => Err(Error::config(format!(
                "profile {profile} has different keys in {} and {}",
                credentials_path.display(),
                config_path.display()
            ))
            .hint("Keep the right one (the credentials file wins for the AWS CLI), delete the other, and import again; nothing was changed.")),
        }
    };
    let (Some(id), Some(secret)) = (pick(|h| h.id.as_ref())?, pick(|h| h.secret.as_ref())?) else {
        return Err(Error::config(format!(
            "profile {profile} has no aws_access_key_id and aws_secret_access_key in {} or {}",
            credentials_path.display(),
            config_path.display()
        ))
        .hint(format!("Check the profile name (xacct-cred keys list shows what the store holds), or type the key in: xacct-cred keys add {profile}")));
    };
    let key = checked_key(&id, secret)?;
    let store = KeyStore::open(flag, env)?;
    store.refuse_forgetful_default("keys import")?;
    store_and_check(&store, profile, &key)?;
    let tail = key_id_tail(&key.access_key_id);
    for h in &holders {
        let written = crate::disk::replace::replace_without_backup(&h.path, &h.without)
            .map_err(|e| {
                Error::new(
                    e.kind(),
                    format!(
                        "the key {tail} of profile {profile} is in the store {}, but could not be taken out of {}: {}",
                        store.backend().name(),
                        h.path.display(),
                        e.what()
                    ),
                )
                .hint(format!("Remove the aws_access_key_id and aws_secret_access_key lines of [{profile}] from that file by hand."))
            })?;
        eprintln!(
            "xacct-cred: took the key {tail} of profile {profile} out of {}",
            written.target.display()
        );
    }
    eprintln!(
        "xacct-cred: the key {tail} of profile {profile} is now in {} ({}; {}).",
        store.backend().name(),
        store.choice.why,
        store.backend().persistence()
    );
    Ok(())
}
