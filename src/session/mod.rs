//! The one decision: serve the cached session, serve it and renew it in the background (only
//! for a [`Caller`] that comes back for another), or renew it in the call ([`renewal`], single
//! flight under the key's lock). [`obtain`] is the
//! hot path and reads top to bottom: key, loop check, one file read, expiry check, done; no
//! runtime, SDK client, socket or lock on a hit. [`decide`] is the rule, pure; the clock and
//! the renewer are parameters. Never prints to stdout.

use crate::InheritedEnv;
use crate::cache::{self, Attempt, CacheDir, CacheEntry, CacheMode, CacheSettings, Failure, State};
use crate::credentials::SessionCredentials;
use crate::diag::debug;
use crate::env::Environment;
use crate::error::{Kind, Result};
use crate::loop_guard;
use crate::plan::Plan;
use crate::renew::{Renew, ViaSts};
use std::time::Duration;
use time::OffsetDateTime;

mod renewal;
#[cfg(test)]
mod tests;

use renewal::Renewal;

/// The time, injectable.
pub trait Clock {
    fn now(&self) -> OffsetDateTime;
}

/// The system's clock.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// What to do with the entry the cache holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// More than the refresh window left: print it.
    Serve,
    /// Inside the window, above the margin: print it, and start one detached renewal.
    ServeAndRenewInBackground,
    /// Due for renewal, but a renewal failed a moment ago: print it (with a warning when the
    /// call would otherwise have renewed it itself).
    ServeWhileBackingOff { warn: bool },
    /// Below the margin, expired or missing: renew in the call, under the lock.
    Renew,
}

/// Who asks for the session: whether it comes back for another before this one runs out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caller {
    /// Asks again before every use (credential_process JSON, the endpoint's clients): inside
    /// the window it is served the current session while a fresh one is fetched behind it.
    ComesBack,
    /// Takes the session once and keeps it (`--export` into a shell, `exec`'s command, a
    /// console sign-in): inside the window it gets a fresh one, renewed in the call.
    Once,
}

/// The window, the margin, who asks, and whether a detached renewal may do the work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rules {
    pub window: Duration,
    pub margin: Duration,
    pub caller: Caller,
    pub background: bool,
}

impl Rules {
    /// Only a caller that comes back is served inside the window while a detached process
    /// renews. Sessions that need an MFA code renew in the call: a detached process cannot ask
    /// for one. A key-store source with MFA renews in the background while its MFA session (kept
    /// in the store) lasts; after that its detached renewal fails and the call asks. (Off Unix
    /// everything renews in the call: there is no detached renewal yet.)
    pub fn for_plan(plan: &Plan, settings: &CacheSettings, caller: Caller) -> Rules {
        let (window, margin) = settings.store.window_and_margin(plan.role.duration());
        Rules {
            window,
            margin,
            caller,
            background: caller == Caller::ComesBack
                && settings.store.background
                && cfg!(unix)
                && settings.mode == CacheMode::Use
                && plan.renews_without_asking(),
        }
    }
}

/// The rule, pure: `backing_off` is asked only for an entry that is due but still valid.
pub fn decide(
    entry: Option<&CacheEntry>,
    now: OffsetDateTime,
    rules: Rules,
    backing_off: impl FnOnce() -> bool,
) -> Decision {
    let Some(entry) = entry else {
        return Decision::Renew;
    };
    match entry.state(now, rules.window, rules.margin) {
        State::Fresh => Decision::Serve,
        State::RenewingInBackground if rules.background => match backing_off() {
            true => Decision::ServeWhileBackingOff { warn: false },
            false => Decision::ServeAndRenewInBackground,
        },
        // Below the margin, a caller that keeps its session tries STS in the call whatever the
        // back-off says: what it would be handed lasts minutes at most (it falls back to it,
        // with a warning, if the renewal fails).
        State::MustRenew if rules.caller == Caller::Once => Decision::Renew,
        State::RenewingInBackground | State::MustRenew => match backing_off() {
            true => Decision::ServeWhileBackingOff { warn: true },
            false => Decision::Renew,
        },
        State::Expired => Decision::Renew,
    }
}

/// [`obtain`] with the real clock and STS: how the commands ask for a session.
pub fn obtain_from_sts(
    plan: &Plan,
    settings: &CacheSettings,
    caller: Caller,
    env: &Environment,
    inherited: &dyn InheritedEnv,
) -> Result<SessionCredentials> {
    let renewer = ViaSts {
        env,
        inherited,
        store: &settings.store,
    };
    obtain(plan, settings, caller, env, &SystemClock, &renewer)
}

/// The role's session credentials for `caller`, from the cache when it can.
pub fn obtain(
    plan: &Plan,
    settings: &CacheSettings,
    caller: Caller,
    env: &Environment,
    clock: &dyn Clock,
    renewer: &dyn Renew,
) -> Result<SessionCredentials> {
    let key = cache::key(plan);
    loop_guard::refuse_loop(plan, &key, env)?;
    if settings.mode == CacheMode::Off {
        return renewer.renew(plan, &key);
    }
    let rules = Rules::for_plan(plan, settings, caller);
    let dir = match CacheDir::open(settings.store.locate()?) {
        Err(e) if e.kind() == Kind::CacheUnwritable => {
            return without_cache(plan, &key, renewer, e);
        }
        dir => dir?,
    };
    // The hot path: one file read, an expiry check, done.
    let cached = match settings.mode {
        CacheMode::Refresh => None,
        _ => read_for(&dir, &key, plan)?,
    };
    if let Some(entry) = &cached {
        let now = clock.now();
        match decide(Some(entry), now, rules, || {
            dir.renewal_backing_off(&key, now, cache::retry_backoff(rules.window))
        }) {
            Decision::Serve => {
                debug(|| format!("cache hit {}", dir.entry_path(&key).display()));
                return Ok(entry.credentials.clone());
            }
            Decision::ServeAndRenewInBackground => {
                debug_last_failure(&dir, &key, now);
                start_background_renewal(&dir, &key, plan, rules.window, renewer, clock);
                return Ok(entry.credentials.clone());
            }
            Decision::ServeWhileBackingOff { warn } => {
                debug_last_failure(&dir, &key, now);
                if warn {
                    warn_serving_cached(plan, entry, now, "renewal failed less than a minute ago");
                }
                return Ok(entry.credentials.clone());
            }
            Decision::Renew => {}
        }
    }
    let renewal = Renewal {
        dir: &dir,
        key: &key,
        plan,
        settings,
        rules,
        clock,
        renewer,
    };
    match renewal.renew_locked(cached) {
        Err(e) if e.kind() == Kind::CacheUnwritable => without_cache(plan, &key, renewer, e),
        done => done,
    }
}

/// A cache that cannot take a file (full, read-only) is not a reason to fail the call: the
/// session is fetched as with `--no-cache`, with a warning.
fn without_cache(
    plan: &Plan,
    key: &str,
    renewer: &dyn Renew,
    why: crate::error::Error,
) -> Result<SessionCredentials> {
    crate::diag::say(&format!(
        "warning: {}; going on without the cache for {}.",
        why.what(),
        plan.role.role_arn.arn
    ));
    renewer.renew(plan, key)
}

/// The entry for `key` if it was written for this plan's role, session name and source; any
/// other is a miss, which the renewal that follows repairs.
pub(super) fn read_for(dir: &CacheDir, key: &str, plan: &Plan) -> Result<Option<CacheEntry>> {
    Ok(dir.read(key)?.filter(|e| {
        let ok = e.is_for(plan);
        if !ok {
            debug(|| {
                format!(
                    "{} was written for another role, session name or source ({}, {}): a miss",
                    dir.entry_path(key).display(),
                    e.role_arn,
                    e.source
                )
            });
        }
        ok
    }))
}

/// Starts one detached renewal unless another process holds the key's lock (a renewal is
/// already under way). Never fails the call: the session it serves is valid.
fn start_background_renewal(
    dir: &CacheDir,
    key: &str,
    plan: &Plan,
    window: Duration,
    renewer: &dyn Renew,
    clock: &dyn Clock,
) {
    // Any failure a moment ago (a refusal too, which does not back off callers) waits the
    // back-off (a minute, less for short windows):
    // otherwise every call inside the window would start one more doomed renewal.
    if let Some(f) = dir.last_failure(key) {
        let now = clock.now();
        if f.is_recent(now, cache::retry_backoff(window)) {
            return debug(|| {
                format!(
                    "inside the window; renewal failed {}: not retrying yet",
                    f.describe(now)
                )
            });
        }
    }
    // Handed to the detached renewal, which holds it until it exits: callers arriving meanwhile
    // start none.
    let lock = match dir.try_lock(key) {
        Ok(Some(lock)) => lock,
        Ok(None) => return debug(|| "inside the window; another process is renewing it".into()),
        Err(e) => return debug(|| format!("inside the window; not renewing: {}", e.what())),
    };
    match renewer.start_background(plan, key, &lock) {
        Ok(()) => debug(|| "inside the window: served, and renewing in the background".into()),
        Err(e) => {
            debug(|| e.what().to_string());
            let failure = Failure::new(&e, Attempt::Caller, clock.now());
            dir.note_failed_renewal(key, &failure);
        }
    }
    drop(lock);
}

fn debug_last_failure(dir: &CacheDir, key: &str, now: OffsetDateTime) {
    debug(|| match dir.last_failure(key) {
        Some(f) => format!("last failed renewal: {}", f.describe(now)),
        None => "no failed renewal recorded".into(),
    });
}

pub(super) fn warn_serving_cached(plan: &Plan, entry: &CacheEntry, now: OffsetDateTime, why: &str) {
    crate::diag::say(&format!(
        "warning: could not renew the session for {} ({why}); using the cached one, which expires in {} min.",
        plan.role.role_arn.arn,
        entry.time_left(now).whole_minutes()
    ));
}
