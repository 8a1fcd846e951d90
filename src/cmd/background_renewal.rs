//! The hidden `background-renewal` subcommand: the detached renewal that `background::start`
//! launches, in two steps. `detach` starts in the caller's process group, gives itself a
//! session of its own (`setsid`: no terminal, no Ctrl-C or hang-up from the caller's), starts
//! `renew` and exits at once; so the renewal is never the caller's child (never a zombie of a
//! long-lived caller) and holds none of its pipes: stdio is /dev/null, and `main` marks every
//! other inherited descriptor close-on-exec first (the CLIs read credential_process's stdout
//! to EOF).
//!
//! `renew` holds the key's lock it inherited until it exits, and renews only holding it (the
//! descriptor must be the key's lock file and lock again). It rebuilds the plan from the inputs
//! it was given (and gives up unless it has the same cache key, recording why: the files
//! changed since the caller read them), re-reads the entry, renews
//! with jittered back-off while the session stays above the margin, writes atomically, records
//! its last failure, and exits; a watchdog ends it when the session reaches the blocking margin
//! (below which callers renew in the call and need the lock) or at `DEADLINE` and a grace. It
//! prints nothing and never asks for an MFA code (MFA plans always renew in the call).

use crate::background::{DEADLINE, Stage, cannot_start, step};
use crate::cache::{self, Attempt, CacheDir, CacheEntry, Failure, State};
use crate::cli::{BackgroundArgs, BackgroundStage};
use crate::env::Environment;
use crate::error::{Error, Kind, Result};
use crate::plan::Plan;
use crate::renew::{Detached, Renew};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant};
use time::OffsetDateTime;

const GRACE: Duration = Duration::from_secs(15);
const FIRST_RETRY: Duration = Duration::from_secs(1);
const MAX_RETRY: Duration = Duration::from_secs(8);
const WATCHDOG_POLL: Duration = Duration::from_millis(250);

/// Runs one step. Nobody reads what `renew` says, so it reports nothing.
pub fn run(args: &BackgroundArgs, env: &Environment) -> Result<()> {
    match args.stage {
        BackgroundStage::Detach => {
            #[cfg(unix)]
            let _ = rustix::process::setsid();
            // Spawned, not waited for: this process exits now and `renew` is re-parented.
            let arguments = crate::background::arguments(&args.plan.role, &args.plan.store);
            step(Stage::Renew, &args.key, args.lock_fd, arguments)?
                .spawn()
                .map_err(|e| cannot_start(&e.to_string()))?;
            Ok(())
        }
        BackgroundStage::Renew => {
            // A session (and process group) of its own, holding only this process and what it
            // starts, so that the watchdog can end all of it.
            #[cfg(unix)]
            let own_group = rustix::process::setsid().is_ok();
            #[cfg(not(unix))]
            let own_group = false;
            // The watchdog: it ends this process (and what it started, e.g. a hung source
            // credential_process) after DEADLINE and a grace, or once the wall clock reaches
            // the time `margin_at` holds (set when the entry is read). It polls rather than
            // sleeps to a time, so that a clock stepped forward (a VM resumed from a snapshot,
            // a laptop from sleep) counts.
            let margin_at = Arc::new(AtomicI64::new(i64::MAX));
            let at = margin_at.clone();
            let started = Instant::now();
            std::thread::spawn(move || {
                while started.elapsed() < DEADLINE + GRACE
                    && OffsetDateTime::now_utc().unix_timestamp() < at.load(Ordering::Relaxed)
                {
                    std::thread::sleep(WATCHDOG_POLL);
                }
                #[cfg(unix)]
                if own_group {
                    crate::leftovers::end_own_session();
                    let _ =
                        rustix::process::kill_current_process_group(rustix::process::Signal::KILL);
                }
                let _ = own_group;
                std::process::exit(0);
            });
            let _ = renew(args, env, &margin_at);
            // A source helper may have left what it started running, with nobody to end it: a
            // child that still held its output (`( agent & )`), or a grandchild re-parented to
            // init when its parent exited, in this process group or another (`timeout` makes
            // its own). This session exists for this renewal alone, so what is left in it is
            // the renewal's and abandoned: ended, this process last. (A child that made a
            // session of its own left on purpose.)
            #[cfg(unix)]
            if own_group {
                crate::leftovers::end_own_session();
                let _ = rustix::process::kill_current_process_group(rustix::process::Signal::KILL);
            }
            Ok(())
        }
    }
}

/// `margin_at`: the watchdog ends this process when the wall clock reaches it (Unix seconds).
fn renew(args: &BackgroundArgs, env: &Environment, margin_at: &AtomicI64) -> Result<()> {
    let key = args.key.as_str();
    let store = &args.plan.store;
    let dir = CacheDir::open(store.locate()?)?;
    // The key's lock, inherited as `args.lock_fd` (which `main` made close-on-exec, so that no
    // source credential_process this starts holds it) and held until this process exits. No
    // lock (a descriptor that is not this key's lock file, or a lock another process holds):
    // no renewal.
    #[cfg(unix)]
    let Some(_lock) = args
        .handed_lock
        .as_ref()
        .and_then(|f| f.try_clone().ok())
        .and_then(|f| dir.adopt_lock(key, f))
    else {
        return Ok(());
    };
    // The plan again, from the files as they are now. If they changed since the caller read
    // them, this is another key: say so in the key's failure record, so that callers start no
    // renewal for a while (a long-lived caller would otherwise start one per call, in vain).
    let role = &args.plan.role;
    let plan = match role
        .load_config(env)
        .and_then(|config| Plan::build(&config, role, env))
    {
        Ok(plan) if cache::key(&plan) == key => plan,
        other => {
            let why = match other {
                Ok(_) => "they now give another role, session name, source or duration".into(),
                Err(e) => e.what().to_string(),
            };
            let e = Error::config(format!(
                "the configuration changed since the caller read it ({why}); the next call renews as it now says"
            ));
            let failure = Failure::new(&e, Attempt::Background, OffsetDateTime::now_utc());
            dir.note_failed_renewal(key, &failure);
            return Err(e);
        }
    };
    if !plan.renews_without_asking() {
        return Ok(());
    }
    let (window, margin) = store.window_and_margin(plan.role.duration());
    let deadline = Instant::now() + DEADLINE;
    let renewer = Detached { env };
    let mut delay = FIRST_RETRY;
    loop {
        let now = OffsetDateTime::now_utc();
        let read = dir.entry_file(key);
        // Renewed meanwhile, gone, or now so close to expiry that callers renew it: done.
        let Some(entry) = dir.read(key)?.filter(|e| e.is_for(&plan)) else {
            return Ok(());
        };
        if entry.state(now, window, margin) != State::RenewingInBackground {
            return Ok(());
        }
        // Below the margin callers renew in the call, and they must find the lock free:
        // whatever attempt is then under way ends with this process.
        margin_at.store(margin_reached_at(&entry, margin), Ordering::Relaxed);
        dir.remove_stale_temp_files(key);
        match renewer.renew(&plan, key) {
            Ok(creds) => {
                let entry = CacheEntry::new(&plan, creds, OffsetDateTime::now_utc());
                dir.clear_failed_renewal(key);
                // Not over an entry `cache clear` removed meanwhile.
                return dir.write_over(key, &entry, read).map(|_| ());
            }
            Err(e) => {
                let failure = Failure::new(&e, Attempt::Background, OffsetDateTime::now_utc());
                dir.note_failed_renewal(key, &failure);
                let pause = jittered(delay);
                let then = OffsetDateTime::now_utc() + pause;
                // A source that failed is not asked again by this renewal: a hung helper (a
                // browser login, say) would be started, and given up on, once per retry.
                // Nor is a throttling STS: each retry is three more calls on the account's
                // shared quota; the failure record holds callers off for the back-off instead.
                if e.kind() != Kind::StsUnavailable
                    || e.is_throttled()
                    || Instant::now() + pause >= deadline
                    || entry.state(then, window, margin) != State::RenewingInBackground
                {
                    return Err(e);
                }
                std::thread::sleep(pause);
                delay = (delay * 2).min(MAX_RETRY);
            }
        }
    }
}

/// When `entry` has only `margin` left, in Unix seconds.
fn margin_reached_at(entry: &CacheEntry, margin: Duration) -> i64 {
    let margin = time::Duration::try_from(margin).unwrap_or(time::Duration::ZERO);
    (entry.credentials.expiration - margin).unix_timestamp()
}

/// `base` scaled by a random factor in [0.5, 1.5), so that renewals of many keys (or many
/// machines) do not retry in step.
fn jittered(base: Duration) -> Duration {
    use std::hash::{BuildHasher, Hasher};
    let random = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish();
    base.mul_f64(0.5 + (random % 1000) as f64 / 1000.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jitter_stays_within_half_and_one_and_a_half() {
        for _ in 0..200 {
            let d = jittered(Duration::from_secs(2));
            assert!(
                d >= Duration::from_secs(1) && d < Duration::from_secs(3),
                "{d:?}"
            );
        }
    }
}
