//! `xacct-cred keys add|list|remove|import|export|rotate`: a profile's long-term IAM user key in the
//! key store instead of `~/.aws/credentials`.
//!
//! A secret is read from the terminal (not echoed) or standard input, never from argv, and
//! printed only by `export`, on stdout. Messages name keys by their id's last four characters.

mod import;
mod rotate;

use crate::cli::{KeysAction, KeysArgs, KeysBackend};
use crate::config::file_paths_to_edit;
use crate::config::lines::holds_secret_line;
use crate::config::self_command::{keys_export_command, quoted, self_path};
use crate::credentials::Secret;
use crate::env::Environment;
use crate::error::{Error, Result, key_id_tail};
use crate::keys::{Backend, KeyStore, StoredKey};
use std::io::{BufRead, Write};
use time::OffsetDateTime;

pub fn run(args: &KeysArgs, env: &Environment) -> Result<()> {
    let flag = args.backend.map(backend);
    match &args.action {
        KeysAction::Add {
            profile,
            stdin,
            write_profile,
        } => add(profile, *stdin, *write_profile, flag, env),
        KeysAction::List => list(flag, env),
        KeysAction::Remove { profile } => remove(profile, flag, env),
        KeysAction::Import { profile } => import::run(profile, flag, env),
        KeysAction::Rotate { profile } => rotate::run(profile, flag, env),
        KeysAction::Export { profile } => export(profile, flag, env),
    }
}

fn backend(b: KeysBackend) -> Backend {
    match b {
        KeysBackend::SecretService => Backend::SecretService,
        KeysBackend::Keychain => Backend::Keychain,
        KeysBackend::Wincred => Backend::WinCred,
        KeysBackend::Keyutils => Backend::Keyutils,
        KeysBackend::File => Backend::File,
    }
}

fn add(
    profile: &str,
    from_stdin: bool,
    write_profile: bool,
    flag: Option<Backend>,
    env: &Environment,
) -> Result<()> {
    let (id, secret) = if from_stdin {
        read_stdin()?
    } else {
        let ask = |q: &str, hidden: bool| {
            let answer = if hidden {
                crate::prompt::ask_hidden(q)
            } else {
                crate::prompt::ask(q)
            };
            answer.map_err(|why| {
                Error::config(format!("keys add needs a terminal to ask on ({why})"))
                    .hint(format!("Or give the key id and the secret as two lines on standard input: xacct-cred keys add {profile} --stdin"))
            })
        };
        let id = ask(&format!("Access key id for {profile}: "), false)?;
        let secret = ask("Secret access key (not shown): ", true)?;
        (id, secret)
    };
    let key = checked_key(&id, secret)?;
    let store = KeyStore::open(flag, env)?;
    store_and_check(&store, profile, &key)?;
    crate::say!(
        "stored the key {} of profile {profile} in {} ({}; {}).",
        key_id_tail(&key.access_key_id),
        store.backend().name(),
        store.choice.why,
        store.backend().persistence()
    );
    if write_profile {
        write_export_line(profile, env)?;
    }
    Ok(())
}

/// The key id, then the secret, one line each.
fn read_stdin() -> Result<(String, String)> {
    let mut lines = std::io::stdin().lock().lines();
    let mut next = |what: &str| -> Result<String> {
        match lines.next() {
            Some(Ok(l)) => Ok(l.trim().to_string()),
            _ => Err(
                Error::config(format!("--stdin: standard input ended before the {what}"))
                    .hint("Give two lines: the access key id, then the secret access key."),
            ),
        }
    };
    Ok((next("access key id")?, next("secret access key")?))
}

/// A long-term key as IAM issues it; never echoing the secret in an error.
pub(crate) fn checked_key(id: &str, secret: String) -> Result<StoredKey> {
    let id = id.trim();
    let id_ok = id.len() >= 16 && id.len() <= 128 && id.chars().all(|c| c.is_ascii_alphanumeric());
    if !id_ok {
        // Never the value: with the lines swapped it is the secret.
        let wrong = if id.chars().all(|c| c.is_ascii_alphanumeric()) {
            "not 16 to 128 long"
        } else {
            "some of them not letters or digits"
        };
        let n = id.chars().count();
        return Err(Error::config(format!("the key id given is not an access key id ({n} characters, {wrong})"))
            .hint("An access key id is 16-128 letters and digits, e.g. AKIAIOSFODNN7EXAMPLE (first line with --stdin, then the secret)."));
    }
    if id.starts_with("ASIA") {
        return Err(Error::config(format!(
            "{} is a temporary key (ASIA…), which expires and needs a session token",
            key_id_tail(id)
        ))
        .hint("Store the IAM user's long-term key (AKIA…); xacct-cred makes the sessions."));
    }
    let secret = secret.trim();
    if secret.is_empty() || secret.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(
            Error::config("the secret access key is empty or has spaces in it")
                .hint("Paste the secret exactly as IAM showed it (40 characters)."),
        );
    }
    Ok(StoredKey {
        access_key_id: id.to_string(),
        secret_access_key: Secret::new(secret),
        created: OffsetDateTime::now_utc()
            .replace_nanosecond(0)
            .expect("0 is a valid nanosecond"),
    })
}

/// Stores the key and reads it back.
pub(crate) fn store_and_check(store: &KeyStore, profile: &str, key: &StoredKey) -> Result<()> {
    store.put_key(profile, key)?;
    match store.key(profile)? {
        Some(back) if back == *key => Ok(()),
        _ => Err(Error::source(format!(
            "the key store {} did not give back the key of profile {profile} just stored",
            store.backend().name()
        ))
        .hint("Check the store (doctor shows which one); nothing else was changed.")),
    }
}

fn list(flag: Option<Backend>, env: &Environment) -> Result<()> {
    let store = KeyStore::open(flag, env)?;
    let now = OffsetDateTime::now_utc();
    let mut out = format!(
        "{:<24} {:<10} {:<16} {}\n",
        "PROFILE", "KEY ID", "STORE", "AGE"
    );
    for profile in store.profiles()? {
        let (tail, age) = match store.key(&profile) {
            Ok(Some(k)) => (key_id_tail(&k.access_key_id), age(now - k.created)),
            Ok(None) => ("-".into(), "missing".into()),
            Err(e) => ("-".into(), format!("unreadable: {}", e.what())),
        };
        out.push_str(&format!(
            "{profile:<24} {tail:<10} {:<16} {age}\n",
            store.backend().name()
        ));
    }
    let _ = std::io::stdout().lock().write_all(out.as_bytes());
    crate::say!(
        "key store {} ({}), {}.",
        store.backend().name(),
        store.choice.why,
        store.location
    );
    Ok(())
}

fn age(d: time::Duration) -> String {
    match d.whole_hours() {
        h if h >= 48 => format!("{} days", h / 24),
        h if h >= 1 => format!("{h} h"),
        _ => format!("{} min", d.whole_minutes().max(0)),
    }
}

fn remove(profile: &str, flag: Option<Backend>, env: &Environment) -> Result<()> {
    let store = KeyStore::open(flag, env)?;
    if !store.remove_key(profile)? {
        return Err(Error::config(format!(
            "the key store {} holds no key for profile {profile}",
            store.backend().name()
        ))
        .hint("xacct-cred keys list shows what it holds (and --backend picks another store)."));
    }
    crate::say!(
        "removed the key of profile {profile} from {}.",
        store.backend().name()
    );
    Ok(())
}

fn export(profile: &str, flag: Option<Backend>, env: &Environment) -> Result<()> {
    let store = KeyStore::open(flag, env)?;
    let Some(key) = store.key(profile)? else {
        return Err(Error::source(format!(
            "the key store {} ({}) holds no key for profile {profile}",
            store.backend().name(),
            store.choice.why
        ))
        .hint(format!("Store one with: xacct-cred keys add {profile}")));
    };
    let doc = serde_json::json!({
        "Version": 1,
        "AccessKeyId": key.access_key_id,
        "SecretAccessKey": key.secret_access_key.expose(),
    });
    let _ = writeln!(std::io::stdout().lock(), "{doc}");
    Ok(())
}

fn write_export_line(profile: &str, env: &Environment) -> Result<()> {
    let (config_path, _) = file_paths_to_edit(env)?;
    crate::disk::path_walk::refuse_paths_others_control_as_root(&config_path)?;
    let original = crate::disk::user_text::read(&config_path)?;
    let (binary, _) = self_path(env)?;
    let binary = quoted(&binary);
    let line = keys_export_command(&binary, profile);
    let header = crate::config::ini::header(profile);
    let text =
        crate::config::lines::set_key(&original, &header, profile, "credential_process", &line);
    if text == original {
        return Ok(());
    }
    // A backup of a text holding a secret would be one more copy `keys import` leaves behind.
    let written = if holds_secret_line(&original) {
        crate::disk::replace::replace_without_backup(&config_path, &original, &text)?
    } else {
        crate::disk::replace::write_with_backup(&config_path, &original, &text)?
    };
    crate::say!(
        "[{header}] in {} now has credential_process = {line}",
        written.target.display()
    );
    Ok(())
}
