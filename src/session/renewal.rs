//! Renewal under the key's lock: take it or wait for its holder, re-check, renew, store; serve
//! a still-valid session when renewing fails for a passing reason. Never prints to stdout.

use super::{Caller, Clock, Rules, read_for, warn_serving_cached};
use crate::cache::{self, Attempt, CacheDir, CacheEntry, CacheMode, CacheSettings, Failure, State};
use crate::credentials::SessionCredentials;
use crate::diag::debug;
use crate::error::{Error, Result};
use crate::plan::Plan;
use crate::renew::Renew;
use std::time::{Duration, Instant};

/// What one renewal works with, passed once instead of as eight parameters (aws-config's
/// `ProviderConfig` style).
#[derive(Clone, Copy)]
pub struct Renewal<'a> {
    pub dir: &'a CacheDir,
    pub key: &'a str,
    pub plan: &'a Plan,
    pub settings: &'a CacheSettings,
    pub rules: Rules,
    pub clock: &'a dyn Clock,
    pub renewer: &'a dyn Renew,
}

impl Renewal<'_> {
    /// The miss path: under the key's lock, re-check the entry, then renew and store it.
    pub fn renew_locked(&self, cached: Option<CacheEntry>) -> Result<SessionCredentials> {
        let Renewal {
            dir,
            key,
            plan,
            settings,
            rules,
            clock,
            renewer: _,
        } = *self;
        debug(|| {
            format!(
                "renewing {}; taking the lock",
                dir.entry_path(key).display()
            )
        });
        let refresh = settings.mode == CacheMode::Refresh;
        let lock = match dir.try_lock(key)? {
            Some(lock) => lock,
            None => {
                // Another process is renewing. A valid session is served at once: queueing behind
                // its STS call is what made twelve parallel callers wait out each other's timeouts.
                let now = clock.now();
                let valid = cached.as_ref().filter(|e| e.is_servable(now) && !refresh);
                if let Some(entry) = valid.filter(|_| rules.caller == Caller::Once) {
                    // A caller that keeps what it gets waits (bounded) for the fresh session;
                    // it is served the old one, with a warning, only if none comes.
                    return self.wait_for_holder().or_else(|e| {
                        warn_serving_cached(plan, entry, clock.now(), e.what());
                        Ok(entry.credentials.clone())
                    });
                }
                if let Some(entry) = valid {
                    let state = entry.state(now, rules.window, rules.margin);
                    if state == State::MustRenew {
                        crate::diag::say(&format!(
                            "warning: another xacct-cred is renewing the session for {}; using the cached one, which expires in {} min.",
                            plan.role.role_arn.arn,
                            entry.time_left(now).whole_minutes()
                        ));
                    }
                    debug(|| "another process holds the lock: serving the valid session".into());
                    return Ok(entry.credentials.clone());
                }
                return self.wait_for_holder();
            }
        };
        self.renew_holding(lock)
    }

    /// Nothing valid to serve: wait (bounded) for the holder, then use what it wrote. If it let go
    /// at once without a session (it died, or was refused), renew here; if it spent its STS
    /// attempts and failed, say so rather than spend as long again.
    fn wait_for_holder(&self) -> Result<SessionCredentials> {
        let Renewal {
            dir,
            key,
            plan,
            settings,
            rules,
            clock,
            ..
        } = *self;
        /// A holder that let go sooner than this did not spend an STS attempt sequence.
        const QUICK: Duration = Duration::from_secs(2);
        let started = Instant::now();
        let since = clock.now();
        let lock = dir.lock(key, settings.store.lock_timeout)?;
        let waited = started.elapsed();
        debug(|| {
            format!(
                "waited {} ms for another process renewing it",
                waited.as_millis()
            )
        });
        let refresh = settings.mode == CacheMode::Refresh;
        // What the holder wrote: any valid session for a caller that comes back, a fresh one
        // for a caller that keeps it.
        let usable = |e: &CacheEntry| match rules.caller {
            Caller::ComesBack => e.is_servable(clock.now()),
            Caller::Once => e.is_fresh(clock.now(), rules.window),
        };
        if !refresh
            && let Some(entry) = read_for(dir, key, plan)?
            && usable(&entry)
        {
            return Ok(entry.credentials);
        }
        // A holder that failed while this one waited spent an STS attempt sequence, however
        // short the wait: renewing again would chain renewals through an outage.
        let failed_meanwhile = dir
            .last_failure(key)
            .filter(|f| f.at >= since - time::Duration::seconds(1));
        if refresh || (waited < QUICK && failed_meanwhile.is_none()) {
            return self.renew_holding(lock);
        }
        let what = match failed_meanwhile {
            Some(f) => Error::new(
                f.kind,
                format!(
                    "another xacct-cred renewing the session for {} failed after {} s: {}",
                    plan.role.role_arn.arn,
                    waited.as_secs(),
                    f.message
                ),
            ),
            None => Error::cache(format!(
                "another xacct-cred renewing the session for {} let go after {} s without a session",
                plan.role.role_arn.arn,
                waited.as_secs()
            )),
        };
        Err(what.hint(
            "Retry in a moment; run with --debug, or `xacct-cred doctor`, to see where it fails.",
        ))
    }

    /// Renewal proper, with the lock held: re-check, renew, store; serve a still-valid session if
    /// renewing fails for a passing reason.
    fn renew_holding(&self, lock: cache::KeyLock) -> Result<SessionCredentials> {
        let Renewal {
            dir,
            key,
            plan,
            settings,
            rules,
            clock,
            renewer,
        } = *self;
        let configured_window = settings.store.refresh_window;
        let read = dir.entry_file(key);
        let cached = read_for(dir, key, plan)?;
        if let Some(entry) = &cached {
            // Another process may have renewed it while we waited for the lock.
            if settings.mode != CacheMode::Refresh && entry.is_fresh(clock.now(), rules.window) {
                debug(|| format!("renewed by another process (waited: {})", lock.waited));
                return Ok(entry.credentials.clone());
            }
        }
        dir.remove_stale_temp_files(key);
        match renewer.renew(plan, key) {
            Ok(creds) => {
                let entry = CacheEntry::new(plan, creds, clock.now());
                dir.clear_failed_renewal(key);
                if let Some(note) =
                    cache::short_session_note(configured_window, plan.role.duration())
                {
                    crate::diag::say(note.trim_start_matches("xacct-cred: "));
                }
                match dir.write_over(key, &entry, read) {
                    Ok(true) => {}
                    Ok(false) => debug(|| "the entry was removed meanwhile: not cached".into()),
                    Err(e) => crate::diag::say(&format!(
                        "warning: the new session was not cached: {}",
                        e.what()
                    )),
                }
                Ok(entry.credentials)
            }
            Err(e) => {
                let now = clock.now();
                dir.note_failed_renewal(key, &Failure::new(&e, Attempt::Caller, now));
                match cached {
                    Some(entry) if e.kind().is_transient() && entry.is_servable(now) => {
                        warn_serving_cached(plan, &entry, now, e.what());
                        Ok(entry.credentials)
                    }
                    _ => Err(e),
                }
            }
        }
    }
}
