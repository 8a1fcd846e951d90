//! `keys import PROFILE`: copies the profile's key from the shared files into the store,
//! checks it reads back, then takes the lines out of each file that held them — with
//! setup's file safety (mode kept, links kept, atomic) but no backup, so that no copy of the
//! secret stays on disk in a file of ours (xacct-cred's earlier backups beside the files lose
//! the key's lines too). Only the key the AWS CLI and SDKs resolve for the profile is taken,
//! and a file changed while the key was being stored is never overwritten with older text.

use super::{checked_key, store_and_check};
use crate::config::lines::{FileKind, take_keys, take_values};
use crate::config::{SharedConfig, file_paths_to_edit};
use crate::disk::private_file::parent_of;
use crate::disk::replace::{backup_prefix, follow_links, replace_without_backup};
use crate::disk::user_text;
use crate::env::Environment;
use crate::error::{Error, Result, key_id_tail};
use crate::keys::{Backend, KeyStore};
use std::path::{Path, PathBuf};

const ID: &str = "aws_access_key_id";
const SECRET: &str = "aws_secret_access_key";
const TOKEN: &str = "aws_session_token";
const KEYS: [&str; 3] = [ID, SECRET, TOKEN];

/// A shared file as first read.
struct Seen {
    path: PathBuf,
    kind: FileKind,
    text: String,
}

pub fn run(profile: &str, flag: Option<Backend>, env: &Environment) -> Result<()> {
    let (config_path, credentials_path) = file_paths_to_edit(env)?;
    let mut files = Vec::new();
    for (path, kind) in [
        (&credentials_path, FileKind::Credentials),
        (&config_path, FileKind::Config),
    ] {
        crate::disk::path_walk::refuse_paths_others_control_as_root(path)?;
        let text = user_text::read(path)?;
        files.push(Seen {
            path: path.clone(),
            kind,
            text,
        });
    }
    let (mut ids, mut secrets) = (Vec::new(), Vec::new());
    for f in &files {
        for (k, v) in take_keys(&f.text, f.kind, profile, &KEYS).removed {
            match k.as_str() {
                TOKEN => {
                    return Err(Error::config(format!(
                        "profile {profile} in {} holds temporary keys (aws_session_token), which expire",
                        f.path.display()
                    ))
                    .hint("Import the IAM user's long-term key (AKIA…); nothing was changed."));
                }
                ID => ids.push(v),
                _ => secrets.push(v),
            }
        }
    }
    let both = format!(
        "{} or {}",
        credentials_path.display(),
        config_path.display()
    );
    let one = |mut values: Vec<String>, what: &str| -> Result<Option<String>> {
        values.sort();
        values.dedup();
        match values.len() {
            0 | 1 => Ok(values.pop()),
            _ => Err(Error::config(format!(
                "profile {profile} has more than one {what} in {both} (several sections name it)"
            ))
            .hint("Keep the right one (the AWS CLI reads [NAME] in the credentials file, [profile NAME] in the config file, the credentials file winning), delete the others, and import again; nothing was changed.")),
        }
    };
    let (Some(id), Some(secret)) = (one(ids, ID)?, one(secrets, SECRET)?) else {
        return Err(Error::config(format!(
            "profile {profile} has no aws_access_key_id and aws_secret_access_key in {both}"
        ))
        .hint(format!("Check the profile name (xacct-cred keys list shows what the store holds), or type the key in: xacct-cred keys add {profile}")));
    };
    let texts = (&files[1], &files[0]);
    let resolved = SharedConfig::from_named_strings(
        (&texts.0.path, &texts.0.text),
        (&texts.1.path, &texts.1.text),
    )?;
    if resolved.get(profile, ID) != Some(id.as_str())
        || resolved.get(profile, SECRET) != Some(secret.as_str())
    {
        let used = match resolved.get(profile, ID) {
            Some(used) if used == id => "the same key id with another secret".to_string(),
            Some(used) => key_id_tail(used),
            None => "none".to_string(),
        };
        return Err(Error::config(format!(
            "the key {} found for profile {profile} is not the one the AWS CLI and SDKs use for it ({used}); nothing was changed",
            key_id_tail(&id)
        ))
        .hint("Check the profile's sections and lines ([NAME] in the credentials file, [profile NAME] in the config file; a comment after a value changes it), fix them, and import again."));
    }
    let key = checked_key(&id, secret.clone())?;
    let store = KeyStore::open(flag, env)?;
    store.refuse_forgetful_default("keys import")?;
    store_and_check(&store, profile, &key)?;
    let tail = key_id_tail(&key.access_key_id);
    let mut changed_meanwhile = Vec::new();
    for f in &files {
        let first = take_keys(&f.text, f.kind, profile, &KEYS);
        if first.removed.is_empty() {
            continue;
        }
        let not_taken = |e: Error| {
            Error::new(
                e.kind(),
                format!(
                    "the key {tail} of profile {profile} is in the store {}, but could not be taken out of {}: {}",
                    store.backend().name(),
                    f.path.display(),
                    e.what()
                ),
            )
            .hint(format!("Remove the aws_access_key_id and aws_secret_access_key lines of [{profile}] from that file by hand."))
        };
        // Storing may have waited long (a passphrase, a keyring unlock): the file as it is now.
        let now = user_text::read(&f.path).map_err(not_taken)?;
        let (before, after) = if now == f.text {
            (now, first.text)
        } else {
            // Changed meanwhile (another tool's edit): its text is kept, taking out the same
            // key's lines only; anything else about the profile's key changed is left alone.
            let again = take_keys(&now, f.kind, profile, &KEYS);
            if again.removed.is_empty() {
                continue;
            }
            let same_key = again
                .removed
                .iter()
                .all(|(k, v)| (k == ID && *v == id) || (k == SECRET && *v == secret));
            if !same_key {
                changed_meanwhile.push(f.path.display().to_string());
                continue;
            }
            (now, again.text)
        };
        let written = replace_without_backup(&f.path, &before, &after).map_err(not_taken)?;
        crate::say!(
            "took the key {tail} of profile {profile} out of {}",
            written.target.display()
        );
    }
    scrub_backups(&[&credentials_path, &config_path], &id, &secret);
    crate::say!(
        "the key {tail} of profile {profile} is now in {} ({}; {}).",
        store.backend().name(),
        store.choice.why,
        store.backend().persistence()
    );
    if changed_meanwhile.is_empty() {
        return Ok(());
    }
    Err(Error::config(format!(
        "the key {tail} of profile {profile} is in the store {}, but {} changed while it was being stored, and was not changed by xacct-cred",
        store.backend().name(),
        changed_meanwhile.join(" and ")
    ))
    .hint(format!("Check the profile's key lines there, then run xacct-cred keys import {profile} again.")))
}

/// Takes the key's lines out of xacct-cred's earlier backups beside `files` (`NAME.bak-*`,
/// regular files; mode, links and owner kept), and names on stderr any that still holds the
/// secret. Never fails the import: the key is already in the store and out of the files.
fn scrub_backups(files: &[&Path], id: &str, secret: &str) {
    for path in files {
        let target = follow_links(path).unwrap_or_else(|_| path.to_path_buf());
        let prefix = backup_prefix(&target);
        let Ok(entries) = std::fs::read_dir(parent_of(&target)) else {
            continue;
        };
        for entry in entries.flatten() {
            let is_backup = entry
                .file_name()
                .to_str()
                .is_some_and(|n| n.starts_with(&prefix));
            if !is_backup || !entry.file_type().is_ok_and(|t| t.is_file()) {
                continue;
            }
            let backup = entry.path();
            let Ok(text) = user_text::read(&backup) else {
                continue;
            };
            if !text.contains(secret) {
                continue;
            }
            let scrubbed = take_values(&text, &[ID, SECRET], &[id, secret]).text;
            let left = match scrubbed.contains(secret) {
                true => "the secret is on a line xacct-cred does not edit".to_string(),
                false => match replace_without_backup(&backup, &text, &scrubbed) {
                    Ok(_) => {
                        crate::say!(
                            "took the key {} out of the earlier backup {}",
                            key_id_tail(id),
                            backup.display()
                        );
                        continue;
                    }
                    Err(e) => e.what().to_string(),
                },
            };
            crate::say!(
                "warning: the earlier backup {} still holds the secret of the key {} ({left}); delete it, or the secret's line in it.",
                backup.display(),
                key_id_tail(id)
            );
        }
    }
}
