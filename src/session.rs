//! The one decision: serve the cached session, serve it although it is due for renewal, or
//! renew it — and the renewal itself, single flight under the key's lock.
//!
//! [`obtain`] is the hot path and reads top to bottom: key, loop check, one file read, expiry
//! check, done. No runtime, no SDK client, no socket and no lock unless that file is missing,
//! stale or unusable; only then does [`renew_locked`] take the per-key lock and call the
//! [`Renew`]er. The clock and the renewer are parameters, so the rules are tested in-process.

use crate::cache::{self, CacheDir, CacheEntry, CacheMode, CacheSettings};
use crate::credentials::SessionCredentials;
use crate::diag::debug;
use crate::env::Environment;
use crate::error::Result;
use crate::loop_guard;
use crate::plan::Plan;
use crate::renew::Renew;
use time::OffsetDateTime;

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
    /// Due for renewal, but a renewal failed a moment ago: print it, with a warning.
    ServeWhileBackingOff,
    /// Missing, due or expired: renew under the lock.
    Renew,
}

/// The rule, pure: `backing_off` is asked only for an entry that is due but still valid.
pub fn decide(
    entry: Option<&CacheEntry>,
    now: OffsetDateTime,
    window: std::time::Duration,
    backing_off: impl FnOnce() -> bool,
) -> Decision {
    match entry {
        Some(e) if e.is_fresh(now, window) => Decision::Serve,
        Some(e) if e.is_servable(now) && backing_off() => Decision::ServeWhileBackingOff,
        _ => Decision::Renew,
    }
}

/// The role's session credentials, from the cache when it can.
pub fn obtain(
    plan: &Plan,
    settings: &CacheSettings,
    env: &Environment,
    clock: &dyn Clock,
    renewer: &dyn Renew,
) -> Result<SessionCredentials> {
    let key = cache::key(plan);
    loop_guard::refuse_loop(plan, &key, env)?;
    if settings.mode == CacheMode::Off {
        return renewer.renew(plan, &key);
    }
    let window = cache::effective_window(settings.store.refresh_window, plan.role.duration());
    let dir = CacheDir::open(settings.store.locate()?)?;
    // The hot path: one file read, an expiry check, done.
    let cached = match settings.mode {
        CacheMode::Refresh => None,
        _ => dir.read(&key)?,
    };
    if let Some(entry) = cached {
        let now = clock.now();
        match decide(Some(&entry), now, window, || {
            dir.renewal_backing_off(&key, now)
        }) {
            Decision::Serve => {
                debug(|| format!("cache hit {}", dir.entry_path(&key).display()));
                return Ok(entry.credentials);
            }
            Decision::ServeWhileBackingOff => {
                warn_serving_cached(plan, &entry, now, "renewal failed less than a minute ago");
                return Ok(entry.credentials);
            }
            Decision::Renew => {}
        }
    }
    renew_locked(&dir, &key, plan, settings, clock, renewer)
}

/// The miss path: under the key's lock, re-check the entry, then renew and store it.
fn renew_locked(
    dir: &CacheDir,
    key: &str,
    plan: &Plan,
    settings: &CacheSettings,
    clock: &dyn Clock,
    renewer: &dyn Renew,
) -> Result<SessionCredentials> {
    let configured_window = settings.store.refresh_window;
    let window = cache::effective_window(configured_window, plan.role.duration());
    debug(|| {
        format!(
            "cache miss {}; taking the lock",
            dir.entry_path(key).display()
        )
    });
    let lock = dir.lock(key, settings.store.lock_timeout)?;
    let cached = dir.read(key)?;
    if let Some(entry) = &cached {
        // Another process may have renewed it while we waited for the lock.
        if settings.mode != CacheMode::Refresh && entry.is_fresh(clock.now(), window) {
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
    match renewer.renew(plan, key) {
        Ok(creds) => {
            let entry = CacheEntry::new(plan, creds, clock.now());
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
        Err(e) if e.kind().is_transient() => match cached {
            Some(entry) if entry.is_servable(clock.now()) => {
                let now = clock.now();
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

#[cfg(test)]
mod tests {
    //! The decision with a fake clock and a fake renewer: no STS, no sleeping.
    use super::*;
    use crate::cache::StoreSettings;
    use crate::config::SharedConfig;
    use crate::credentials::Secret;
    use crate::error::{Error, Kind};
    use std::cell::{Cell, RefCell};
    use std::time::Duration;

    struct FixedClock(Cell<OffsetDateTime>);

    impl Clock for FixedClock {
        fn now(&self) -> OffsetDateTime {
            self.0.get()
        }
    }

    /// Issues one-hour sessions "now", or fails with the queued errors first.
    struct FakeSts<'a> {
        clock: &'a FixedClock,
        calls: Cell<u32>,
        failures: RefCell<Vec<Error>>,
    }

    impl<'a> FakeSts<'a> {
        fn new(clock: &'a FixedClock) -> Self {
            FakeSts {
                clock,
                calls: Cell::new(0),
                failures: RefCell::new(Vec::new()),
            }
        }
    }

    impl Renew for FakeSts<'_> {
        fn renew(&self, _: &Plan, _: &str) -> Result<SessionCredentials> {
            self.calls.set(self.calls.get() + 1);
            if let Some(e) = self.failures.borrow_mut().pop() {
                return Err(e);
            }
            Ok(SessionCredentials {
                access_key_id: format!("ASIA{}", self.calls.get()),
                secret_access_key: Secret::new("s"),
                session_token: Secret::new("t"),
                expiration: self.clock.now() + time::Duration::hours(1),
            })
        }
    }

    fn plan() -> Plan {
        let config = SharedConfig::from_strings(
            "[profile p]\nrole_arn = arn:aws:iam::111111111111:role/r\nsource_profile = dev\n",
            "[dev]\naws_access_key_id = AKIADEV\naws_secret_access_key = s\n",
        )
        .unwrap();
        let args = crate::cli::RoleArgs {
            profile: Some("p".into()),
            ..Default::default()
        };
        Plan::build(&config, &args, &Environment::default()).unwrap()
    }

    fn settings(dir: &std::path::Path, mode: CacheMode) -> CacheSettings {
        CacheSettings {
            mode,
            store: StoreSettings {
                dir: Some(dir.join("cache")),
                refresh_window: cache::DEFAULT_REFRESH_WINDOW,
                lock_timeout: Duration::from_secs(1),
            },
        }
    }

    #[test]
    fn a_session_is_reused_until_the_window_then_renewed() {
        let tmp = tempfile::tempdir().unwrap();
        let clock = FixedClock(Cell::new(OffsetDateTime::now_utc()));
        let sts = FakeSts::new(&clock);
        let (plan, s, env) = (
            plan(),
            settings(tmp.path(), CacheMode::Use),
            Environment::default(),
        );
        let first = obtain(&plan, &s, &env, &clock, &sts).unwrap();
        clock.0.set(clock.now() + time::Duration::minutes(43));
        let again = obtain(&plan, &s, &env, &clock, &sts).unwrap();
        assert_eq!(again.access_key_id, first.access_key_id);
        assert_eq!(sts.calls.get(), 1, "17 minutes left: still fresh");
        clock.0.set(clock.now() + time::Duration::seconds(61));
        let renewed = obtain(&plan, &s, &env, &clock, &sts).unwrap();
        assert_eq!(sts.calls.get(), 2, "inside the window: renewed");
        assert_ne!(renewed.access_key_id, first.access_key_id);
    }

    #[test]
    fn an_outage_serves_the_valid_session_and_backs_off_but_never_an_expired_one() {
        let tmp = tempfile::tempdir().unwrap();
        let clock = FixedClock(Cell::new(OffsetDateTime::now_utc()));
        let sts = FakeSts::new(&clock);
        let (plan, s, env) = (
            plan(),
            settings(tmp.path(), CacheMode::Use),
            Environment::default(),
        );
        let first = obtain(&plan, &s, &env, &clock, &sts).unwrap();
        let down = || Error::new(Kind::StsUnavailable, "STS did not answer");
        sts.failures.replace(vec![down(), down()]);
        clock.0.set(clock.now() + time::Duration::minutes(50));
        let served = obtain(&plan, &s, &env, &clock, &sts).unwrap();
        assert_eq!(served.access_key_id, first.access_key_id);
        assert_eq!(sts.calls.get(), 2, "one attempt, then the cached session");
        let served = obtain(&plan, &s, &env, &clock, &sts).unwrap();
        assert_eq!(served.access_key_id, first.access_key_id);
        assert_eq!(sts.calls.get(), 2, "backing off: no second attempt");
        clock.0.set(clock.now() + time::Duration::minutes(11));
        let e = obtain(&plan, &s, &env, &clock, &sts).unwrap_err();
        assert_eq!(e.kind(), Kind::StsUnavailable, "expired: never served");
    }

    #[test]
    fn a_refusal_is_not_papered_over_and_no_cache_writes_nothing() {
        let tmp = tempfile::tempdir().unwrap();
        let clock = FixedClock(Cell::new(OffsetDateTime::now_utc()));
        let sts = FakeSts::new(&clock);
        let (plan, env) = (plan(), Environment::default());
        let s = settings(tmp.path(), CacheMode::Use);
        obtain(&plan, &s, &env, &clock, &sts).unwrap();
        sts.failures
            .replace(vec![Error::new(Kind::Sts, "AccessDenied")]);
        clock.0.set(clock.now() + time::Duration::minutes(50));
        assert_eq!(
            obtain(&plan, &s, &env, &clock, &sts).unwrap_err().kind(),
            Kind::Sts
        );
        let off = settings(&tmp.path().join("other"), CacheMode::Off);
        obtain(&plan, &off, &env, &clock, &sts).unwrap();
        assert!(
            !tmp.path().join("other").exists(),
            "--no-cache creates nothing"
        );
    }

    #[test]
    fn decide_is_the_whole_rule() {
        let now = OffsetDateTime::now_utc();
        let entry = |left: i64| CacheEntry {
            credentials: SessionCredentials {
                access_key_id: "ASIA".into(),
                secret_access_key: Secret::new("s"),
                session_token: Secret::new("t"),
                expiration: now + time::Duration::seconds(left),
            },
            role_arn: "arn:aws:iam::111111111111:role/r".into(),
            profile: None,
            source: String::new(),
            created_at: now,
        };
        let w = cache::DEFAULT_REFRESH_WINDOW;
        assert_eq!(decide(None, now, w, || true), Decision::Renew);
        assert_eq!(
            decide(Some(&entry(961)), now, w, || panic!()),
            Decision::Serve
        );
        assert_eq!(
            decide(Some(&entry(600)), now, w, || true),
            Decision::ServeWhileBackingOff
        );
        assert_eq!(decide(Some(&entry(600)), now, w, || false), Decision::Renew);
        assert_eq!(decide(Some(&entry(5)), now, w, || true), Decision::Renew);
    }
}
