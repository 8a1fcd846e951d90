//! The default command: print the role's session credentials, from the cache when it can.
//!
//! [`credentials`] is the hot path and reads top to bottom: config files, plan, key, one file
//! read, expiry check, print. No runtime, no SDK client, no socket and no lock unless that
//! file is missing, stale or unusable; only then does [`refresh`] take the per-key lock and
//! call STS.

use crate::cache::{self, CacheDir, CacheEntry};
use crate::cli::{CacheArgs, Cli, Format, RoleArgs};
use crate::config::SharedConfig;
use crate::credentials::SessionCredentials;
use crate::diag::debug;
use crate::env::{self, Environment};
use crate::error::{Error, Result};
use crate::plan::Plan;
use crate::{mfa, output, source, sts};
use std::io::Write;
use std::time::Duration;
use time::OffsetDateTime;

/// How many xacct-cred processes may nest (a source profile whose credential_process is
/// xacct-cred for another role) before it must be a loop.
const MAX_NESTING: usize = 4;

pub fn credentials(cli: &Cli, env: &Environment) -> Result<()> {
    let (_, creds) = session(&cli.role, &cli.cache, env)?;
    print(&creds, cli.output.format())
}

/// The role's session credentials, from the cache when it can: what `credentials` prints and
/// what `exec` and `console` use.
pub fn session(
    role: &RoleArgs,
    cache: &CacheArgs,
    env: &Environment,
) -> Result<(Plan, SessionCredentials)> {
    let config = SharedConfig::load(env)?;
    let plan = Plan::build(&config, role, env)?;
    let creds = session_for(&plan, cache, env)?;
    Ok((plan, creds))
}

pub fn session_for(
    plan: &Plan,
    cache: &CacheArgs,
    env: &Environment,
) -> Result<SessionCredentials> {
    let key = cache::key(plan);
    refuse_loop(plan, &key, env)?;
    if cache.no_cache {
        return fetch(plan, &key, env);
    }
    let configured_window = cache::refresh_window(cache.refresh_window, env)?;
    let window = cache::effective_window(configured_window, plan.role.duration());
    let dir = CacheDir::open(cache::locate(env)?)?;
    // The hot path: one file read, an expiry check, done.
    let cached = if cache.refresh { None } else { dir.read(&key)? };
    if let Some(entry) = cached {
        let now = OffsetDateTime::now_utc();
        if entry.is_fresh(now, window) {
            debug(|| format!("cache hit {}", dir.entry_path(&key).display()));
            return Ok(entry.credentials);
        }
        // Stale but valid while STS was failing a moment ago: do not wait for it again.
        if entry.is_servable(now) && dir.renewal_backing_off(&key, now) {
            warn_serving_cached(plan, &entry, now, "renewal failed less than a minute ago");
            return Ok(entry.credentials);
        }
    }
    refresh(&dir, &key, plan, env, configured_window, cache.refresh)
}

/// The miss path: under the key's lock, re-check the entry, then assume the role and store it.
fn refresh(
    dir: &CacheDir,
    key: &str,
    plan: &Plan,
    env: &Environment,
    configured_window: Duration,
    force: bool,
) -> Result<SessionCredentials> {
    let window = cache::effective_window(configured_window, plan.role.duration());
    debug(|| {
        format!(
            "cache miss {}; taking the lock",
            dir.entry_path(key).display()
        )
    });
    let lock = dir.lock(key, cache::lock_timeout(env)?)?;
    let cached = dir.read(key)?;
    if let Some(entry) = &cached {
        // Another process may have refreshed it while we waited for the lock.
        if !force && entry.is_fresh(OffsetDateTime::now_utc(), window) {
            debug(|| {
                format!(
                    "refreshed by another process while waiting (waited: {})",
                    lock.waited
                )
            });
            return Ok(entry.credentials.clone());
        }
    }
    dir.remove_stale_temp_files(key);
    match fetch(plan, key, env) {
        Ok(creds) => {
            let entry = CacheEntry::new(plan, creds, OffsetDateTime::now_utc());
            dir.clear_failed_renewal(key);
            if let Some(note) = cache::short_session_note(configured_window, plan.role.duration()) {
                eprintln!("{note}");
            }
            if let Err(e) = dir.write(key, &entry) {
                eprintln!(
                    "xacct-cred: warning: the new session was not cached: {}",
                    e.what()
                );
            }
            Ok(entry.credentials)
        }
        Err(e) if e.kind() == crate::error::Kind::StsUnavailable => match cached {
            Some(entry) if entry.is_servable(OffsetDateTime::now_utc()) => {
                let now = OffsetDateTime::now_utc();
                dir.note_failed_renewal(key, now);
                warn_serving_cached(plan, &entry, now, e.what());
                Ok(entry.credentials)
            }
            _ => Err(e),
        },
        Err(e) => Err(e),
    }
}

fn warn_serving_cached(plan: &Plan, entry: &CacheEntry, now: OffsetDateTime, why: &str) {
    eprintln!(
        "xacct-cred: warning: could not renew the session for {} ({why}); using the cached one, which expires in {} min.",
        plan.role.role_arn.arn,
        entry.time_left(now).whole_minutes()
    );
}

/// Source credential → MFA code → AssumeRole. The only place the default command starts a runtime.
pub fn fetch(plan: &Plan, key: &str, env: &Environment) -> Result<SessionCredentials> {
    let token_code = mfa::token_code(plan)?;
    mark_in_chain(key, env);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::config(format!("could not start the I/O runtime: {e}")))?;
    runtime.block_on(async {
        let source = source::resolve(plan, env).await?;
        debug(|| {
            format!(
                "source: {}; AssumeRole {} via {}",
                source.description,
                plan.role.role_arn.arn,
                plan.sts_endpoint
                    .as_deref()
                    .unwrap_or("the regional endpoint")
            )
        });
        sts::assume_role(plan, &source, token_code)
            .await
            .map(|assumed| assumed.credentials)
    })
}

/// A source profile whose credential_process runs xacct-cred for this same role would recurse
/// forever; each xacct-cred passes the keys it is resolving down through the environment.
pub fn refuse_loop(plan: &Plan, key: &str, env: &Environment) -> Result<()> {
    let chain = env.get(env::CHAIN).unwrap_or("");
    let depth = chain.split(',').filter(|k| !k.is_empty()).count();
    let looped = chain.split(',').any(|k| k == key);
    if looped || depth >= MAX_NESTING {
        let role = &plan.role.role_arn.arn;
        let name = plan
            .profile
            .as_deref()
            .map(|p| format!("profile {p}"))
            .unwrap_or_else(|| role.clone());
        return Err(Error::config(format!(
            "{name} loops back into itself: its {} runs xacct-cred, which needs {name} again ({} nested xacct-cred calls)",
            plan.source.describe(),
            depth + 1
        ))
        .hint("The source profile must have its own credentials (keys, SSO, instance role), not a credential_process that runs xacct-cred for this role."));
    }
    Ok(())
}

fn mark_in_chain(key: &str, env: &Environment) {
    let chain = match env.get(env::CHAIN) {
        Some(c) => format!("{c},{key}"),
        None => key.to_string(),
    };
    // SAFETY: called before the runtime starts; the only other thread that may exist is a
    // finished lock waiter, which reads no environment. Children (a source profile's
    // credential_process) must inherit the variable, and aws-config spawns them itself.
    unsafe { std::env::set_var(env::CHAIN, chain) };
}

/// Writes the output; a closed stdout is an error, not a panic.
fn print(creds: &SessionCredentials, format: Format) -> Result<()> {
    let text = output::render(creds, format);
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| {
            Error::config(format!("could not write the credentials to stdout: {e}"))
                .hint("Whatever reads xacct-cred's output closed it early.")
        })
}
