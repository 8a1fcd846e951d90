//! `xacct-cred cache list|clear`: what is cached (and the last failed renewal of each entry),
//! without the secrets, and removing it — with the MFA sessions the key store keeps.

use crate::cache::{self, CacheDir, StoreSettings};
use crate::cli::CacheAction;
use crate::env::Environment;
use crate::error::Result;
use crate::keys::KeyStore;
use crate::plan::{Plan, RoleInputs, SourceSpec};
use std::io::Write;
use time::OffsetDateTime;

pub fn run(action: &CacheAction, store: &StoreSettings, env: &Environment) -> Result<()> {
    // The role sessions are cleared even when an MFA session could not be: then it fails after.
    let mfa = match action {
        CacheAction::Clear { profile } => drop_mfa_sessions(profile.as_deref(), env),
        CacheAction::List => Ok(()),
    };
    clear_or_list(action, store, env).and(mfa)
}

fn clear_or_list(action: &CacheAction, store: &StoreSettings, env: &Environment) -> Result<()> {
    let path = store.locate()?;
    let Some(dir) = CacheDir::open_existing(path.clone())? else {
        crate::say!(
            "the cache directory {} does not exist yet; nothing is cached.",
            path.display()
        );
        return Ok(());
    };
    match action {
        CacheAction::List => list(&dir),
        CacheAction::Clear { profile } => clear(&dir, profile.as_deref(), env),
    }
}

fn list(dir: &CacheDir) -> Result<()> {
    let now = OffsetDateTime::now_utc();
    let mut out = String::new();
    out.push_str(&format!(
        "{:<24} {:<14} {:<40} {}\n",
        "PROFILE", "EXPIRES IN", "ENTRY", "ROLE"
    ));
    for (key, entry) in dir.entries() {
        let line = match entry {
            Some(e) => {
                let left = e.time_left(now);
                let expires = if left.is_negative() {
                    "expired".to_string()
                } else {
                    format!("{}m{:02}s", left.whole_minutes(), left.whole_seconds() % 60)
                };
                let profile = e.profile.unwrap_or_else(|| "-".into());
                format!("{profile:<24} {expires:<14} {key:<40} {}\n", e.role_arn)
            }
            None => format!(
                "{:<24} {:<14} {:<40} {}\n",
                "-", "unreadable", key, "(replaced on next use)"
            ),
        };
        out.push_str(&line);
        if let Some(failure) = dir.last_failure(&key) {
            out.push_str(&format!(
                "{:<24} last failed renewal: {}\n",
                "",
                failure.describe(now)
            ));
        }
    }
    let _ = std::io::stdout().lock().write_all(out.as_bytes());
    Ok(())
}

fn clear(dir: &CacheDir, profile: Option<&str>, env: &Environment) -> Result<()> {
    let mut removed = 0;
    let targets: Vec<String> = match profile {
        None => dir.entries().into_iter().map(|(k, _)| k).collect(),
        Some(p) => {
            // The profile's current key, plus every entry that was written for it.
            let mut keys: Vec<String> = dir
                .entries()
                .into_iter()
                .filter(|(_, e)| e.as_ref().is_some_and(|e| e.profile.as_deref() == Some(p)))
                .map(|(k, _)| k)
                .collect();
            let args = RoleInputs {
                profile: Some(p.to_string()),
                ..RoleInputs::default()
            };
            if let Ok(plan) = args
                .load_config(env)
                .and_then(|c| Plan::build(&c, &args, env))
            {
                keys.push(cache::key(&plan));
            }
            keys
        }
    };
    for key in targets {
        if dir.remove(&key)? {
            removed += 1;
        }
    }
    crate::say!(
        "removed {removed} cached session(s) from {}.",
        dir.path().display()
    );
    Ok(())
}

/// Drops the MFA sessions the key store keeps (all, or the one `profile`'s role is assumed
/// from), so that the next renewal asks for a code. Named, a profile whose MFA session could not
/// be dropped (a store that cannot be opened or unlocked) is an error; otherwise a warning.
fn drop_mfa_sessions(profile: Option<&str>, env: &Environment) -> Result<()> {
    let source = match profile {
        None => None,
        Some(p) => {
            let args = RoleInputs {
                profile: Some(p.to_string()),
                ..RoleInputs::default()
            };
            match args
                .load_config(env)
                .and_then(|c| Plan::build(&c, &args, env))
            {
                Ok(Plan {
                    source: SourceSpec::Stored { name, .. },
                    ..
                }) => Some(name),
                _ => return Ok(()),
            }
        }
    };
    let kept = |e: crate::error::Error| {
        crate::error::Error::new(
            e.kind(),
            format!("the MFA session was not dropped: {}", e.what()),
        )
        .hint("It still serves renewals until it ends. Give the store's passphrase (XACCT_CRED_FILE_PASSPHRASE, or run this on a terminal) or unlock the store, then run cache clear again.")
    };
    let store = match KeyStore::open(None, env) {
        Ok(store) => store,
        Err(e) if source.is_some() => return Err(kept(e)),
        Err(e) => {
            crate::diag::debug(|| format!("no key store to clear: {}", e.what()));
            return Ok(());
        }
    };
    let names = match source {
        Some(name) => vec![name],
        None => match store.profiles() {
            Ok(names) => names,
            Err(e) => {
                crate::say!(
                    "warning: could not look for MFA sessions in the key store: {}",
                    e.what()
                );
                return Ok(());
            }
        },
    };
    let mut dropped = 0;
    for name in &names {
        match store.remove_mfa_session(name) {
            Ok(removed) => dropped += usize::from(removed),
            Err(e) if profile.is_some() => return Err(kept(e)),
            Err(e) => crate::say!("warning: {}", kept(e).what()),
        }
    }
    if dropped > 0 {
        crate::say!(
            "dropped {dropped} MFA session(s) from the key store {}.",
            store.backend().name()
        );
    }
    Ok(())
}
