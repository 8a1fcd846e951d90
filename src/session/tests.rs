//! The decision with a fake clock and a fake renewer: no STS, no sleeping, no process started.
use super::*;
use crate::cache::{DEFAULT_BLOCKING_MARGIN, DEFAULT_REFRESH_WINDOW, StoreSettings};
use crate::config::SharedConfig;
use crate::credentials::Secret;
use crate::error::{Error, Kind};
use std::cell::{Cell, RefCell};
use std::time::Instant;

mod caller;

struct FixedClock(Cell<OffsetDateTime>);

impl Clock for FixedClock {
    fn now(&self) -> OffsetDateTime {
        self.0.get()
    }
}

impl FixedClock {
    fn advance(&self, minutes: i64) {
        self.0.set(self.0.get() + time::Duration::minutes(minutes));
    }
}

/// Issues one-hour sessions "now", or fails with the queued errors first; counts the detached
/// renewals it is asked to start (and starts none).
struct FakeSts<'a> {
    clock: &'a FixedClock,
    calls: Cell<u32>,
    started: Cell<u32>,
    failures: RefCell<Vec<Error>>,
}

impl<'a> FakeSts<'a> {
    fn new(clock: &'a FixedClock) -> Self {
        FakeSts {
            clock,
            calls: Cell::new(0),
            started: Cell::new(0),
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

    fn start_background(&self, _: &Plan, _: &str, _: &cache::KeyLock) -> Result<()> {
        self.started.set(self.started.get() + 1);
        Ok(())
    }
}

fn plan_with(extra: &str) -> Plan {
    let config = SharedConfig::from_strings(
        &format!("[profile p]\nrole_arn = arn:aws:iam::111111111111:role/r\nsource_profile = dev\n{extra}"),
        "[dev]\naws_access_key_id = AKIADEV\naws_secret_access_key = s\n",
    )
    .unwrap();
    let args = crate::plan::RoleInputs {
        profile: Some("p".into()),
        ..Default::default()
    };
    Plan::build(&config, &args, &Environment::default()).unwrap()
}

fn plan() -> Plan {
    plan_with("")
}

fn settings(dir: &std::path::Path, mode: CacheMode, background: bool) -> CacheSettings {
    CacheSettings {
        mode,
        store: StoreSettings {
            dir: Some(dir.join("cache")),
            refresh_window: DEFAULT_REFRESH_WINDOW,
            blocking_margin: DEFAULT_BLOCKING_MARGIN,
            background,
            lock_timeout: Duration::from_secs(1),
        },
    }
}

fn clock() -> FixedClock {
    FixedClock(Cell::new(OffsetDateTime::now_utc()))
}

#[test]
fn inside_the_window_the_session_is_served_and_renewed_in_the_background_below_the_margin_in_the_call()
 {
    let tmp = tempfile::tempdir().unwrap();
    let clock = clock();
    let sts = FakeSts::new(&clock);
    let (plan, s, env) = (
        plan(),
        settings(tmp.path(), CacheMode::Use, true),
        Environment::default(),
    );
    let first = obtain(&plan, &s, Caller::ComesBack, &env, &clock, &sts).unwrap();
    clock.advance(43);
    assert_eq!(
        obtain(&plan, &s, Caller::ComesBack, &env, &clock, &sts)
            .unwrap()
            .access_key_id,
        first.access_key_id
    );
    assert_eq!(
        (sts.calls.get(), sts.started.get()),
        (1, 0),
        "17 min left: fresh"
    );
    clock.advance(2);
    assert_eq!(
        obtain(&plan, &s, Caller::ComesBack, &env, &clock, &sts)
            .unwrap()
            .access_key_id,
        first.access_key_id
    );
    assert_eq!(
        (sts.calls.get(), sts.started.get()),
        (1, 1),
        "15 min left: served at once, one background renewal started"
    );
    clock.advance(11);
    let renewed = obtain(&plan, &s, Caller::ComesBack, &env, &clock, &sts).unwrap();
    assert_eq!(
        (sts.calls.get(), sts.started.get()),
        (2, 1),
        "4 min left, below the margin: renewed in the call"
    );
    assert_ne!(renewed.access_key_id, first.access_key_id);
}

#[test]
fn with_background_renewal_off_or_mfa_the_window_renews_in_the_call() {
    let tmp = tempfile::tempdir().unwrap();
    for (plan, background) in [
        (plan(), false),
        (plan_with("mfa_serial = arn:aws:iam::1:mfa/x\n"), true),
    ] {
        let clock = clock();
        let sts = FakeSts::new(&clock);
        let s = settings(tmp.path(), CacheMode::Use, background);
        let env = Environment::default();
        let mut plan = plan;
        plan.role.token_code = Some("123456".parse().unwrap());
        obtain(&plan, &s, Caller::ComesBack, &env, &clock, &sts).unwrap();
        clock.advance(50);
        obtain(&plan, &s, Caller::ComesBack, &env, &clock, &sts).unwrap();
        assert_eq!((sts.calls.get(), sts.started.get()), (2, 0), "{plan:?}");
    }
}

#[test]
fn an_outage_serves_the_valid_session_and_backs_off_but_never_an_expired_one() {
    let tmp = tempfile::tempdir().unwrap();
    let clock = clock();
    let sts = FakeSts::new(&clock);
    let (plan, s, env) = (
        plan(),
        settings(tmp.path(), CacheMode::Use, true),
        Environment::default(),
    );
    let first = obtain(&plan, &s, Caller::ComesBack, &env, &clock, &sts).unwrap();
    let down = || Error::new(Kind::StsUnavailable, "STS did not answer");
    sts.failures.replace(vec![down(), down()]);
    clock.advance(57);
    let served = obtain(&plan, &s, Caller::ComesBack, &env, &clock, &sts).unwrap();
    assert_eq!(served.access_key_id, first.access_key_id);
    assert_eq!(sts.calls.get(), 2, "one attempt, then the cached session");
    let served = obtain(&plan, &s, Caller::ComesBack, &env, &clock, &sts).unwrap();
    assert_eq!(served.access_key_id, first.access_key_id);
    assert_eq!(sts.calls.get(), 2, "backing off: no second attempt");
    clock.advance(4);
    let e = obtain(&plan, &s, Caller::ComesBack, &env, &clock, &sts).unwrap_err();
    assert_eq!(e.kind(), Kind::StsUnavailable, "expired: never served");
}

#[test]
fn a_recent_failure_starts_no_background_renewal() {
    let tmp = tempfile::tempdir().unwrap();
    let clock = clock();
    let sts = FakeSts::new(&clock);
    let (plan, s, env) = (
        plan(),
        settings(tmp.path(), CacheMode::Use, true),
        Environment::default(),
    );
    obtain(&plan, &s, Caller::ComesBack, &env, &clock, &sts).unwrap();
    clock.advance(50);
    let dir = CacheDir::open(tmp.path().join("cache")).unwrap();
    let key = cache::key(&plan);
    let denied = Error::new(Kind::Sts, "AccessDenied");
    dir.note_failed_renewal(
        &key,
        &Failure::new(&denied, Attempt::Background, clock.now()),
    );
    obtain(&plan, &s, Caller::ComesBack, &env, &clock, &sts).unwrap();
    assert_eq!(sts.started.get(), 0, "a refusal a moment ago: none started");
    clock.0.set(clock.now() + time::Duration::seconds(61));
    obtain(&plan, &s, Caller::ComesBack, &env, &clock, &sts).unwrap();
    assert_eq!(sts.started.get(), 1, "a minute later: tried again");
}

#[test]
fn a_caller_that_finds_the_lock_held_serves_a_valid_session_and_waits_only_without_one() {
    let tmp = tempfile::tempdir().unwrap();
    let clock = clock();
    let sts = FakeSts::new(&clock);
    let (plan, s, env) = (
        plan(),
        settings(tmp.path(), CacheMode::Use, true),
        Environment::default(),
    );
    let first = obtain(&plan, &s, Caller::ComesBack, &env, &clock, &sts).unwrap();
    let dir = CacheDir::open(tmp.path().join("cache")).unwrap();
    let key = cache::key(&plan);
    let held = dir.try_lock(&key).unwrap().expect("free");
    clock.advance(50);
    assert_eq!(
        obtain(&plan, &s, Caller::ComesBack, &env, &clock, &sts)
            .unwrap()
            .access_key_id,
        first.access_key_id
    );
    assert_eq!(sts.started.get(), 0, "held: no background renewal started");
    clock.advance(7);
    assert_eq!(
        obtain(&plan, &s, Caller::ComesBack, &env, &clock, &sts)
            .unwrap()
            .access_key_id,
        first.access_key_id
    );
    assert_eq!(
        sts.calls.get(),
        1,
        "below the margin, held: served, no STS call"
    );
    clock.advance(5);
    let started = Instant::now();
    let e = obtain(&plan, &s, Caller::ComesBack, &env, &clock, &sts).unwrap_err();
    assert_eq!(
        e.kind(),
        Kind::Cache,
        "expired and held: waited, then gave up"
    );
    assert!(started.elapsed() >= Duration::from_millis(900));
    drop(held);
    obtain(&plan, &s, Caller::ComesBack, &env, &clock, &sts).unwrap();
    assert_eq!(sts.calls.get(), 2, "let go: renewed");
}

#[test]
fn an_entry_for_another_session_name_is_a_miss_and_is_repaired() {
    let tmp = tempfile::tempdir().unwrap();
    let clock = clock();
    let sts = FakeSts::new(&clock);
    let (plan, s, env) = (
        plan(),
        settings(tmp.path(), CacheMode::Use, true),
        Environment::default(),
    );
    let first = obtain(&plan, &s, Caller::ComesBack, &env, &clock, &sts).unwrap();
    let dir = CacheDir::open(tmp.path().join("cache")).unwrap();
    let key = cache::key(&plan);
    let mut other = plan.clone();
    other.role.session_name = "someone-else".parse().unwrap();
    let planted = CacheEntry::new(&other, first.clone(), clock.now());
    dir.write(&key, &planted).unwrap();
    let got = obtain(&plan, &s, Caller::ComesBack, &env, &clock, &sts).unwrap();
    assert_ne!(
        got.access_key_id, first.access_key_id,
        "not served to this plan"
    );
    assert!(dir.read(&key).unwrap().unwrap().is_for(&plan), "repaired");
    assert_eq!(
        obtain(&plan, &s, Caller::ComesBack, &env, &clock, &sts)
            .unwrap()
            .access_key_id,
        got.access_key_id
    );
}

#[test]
fn a_refusal_is_not_papered_over_and_no_cache_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let clock = clock();
    let sts = FakeSts::new(&clock);
    let (plan, env) = (plan(), Environment::default());
    let s = settings(tmp.path(), CacheMode::Use, true);
    obtain(&plan, &s, Caller::ComesBack, &env, &clock, &sts).unwrap();
    sts.failures
        .replace(vec![Error::new(Kind::Sts, "AccessDenied")]);
    clock.advance(57);
    assert_eq!(
        obtain(&plan, &s, Caller::ComesBack, &env, &clock, &sts)
            .unwrap_err()
            .kind(),
        Kind::Sts
    );
    let off = settings(&tmp.path().join("other"), CacheMode::Off, true);
    obtain(&plan, &off, Caller::ComesBack, &env, &clock, &sts).unwrap();
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
        session_name: Some("s".into()),
        profile: None,
        source: String::new(),
        created_at: now,
    };
    let on = Rules {
        window: DEFAULT_REFRESH_WINDOW,
        margin: DEFAULT_BLOCKING_MARGIN,
        caller: Caller::ComesBack,
        background: true,
    };
    let off = Rules {
        background: false,
        ..on
    };
    assert_eq!(decide(None, now, on, || true), Decision::Renew);
    assert_eq!(
        decide(Some(&entry(961)), now, on, || panic!()),
        Decision::Serve
    );
    assert_eq!(
        decide(Some(&entry(600)), now, on, || false),
        Decision::ServeAndRenewInBackground
    );
    assert_eq!(
        decide(Some(&entry(600)), now, on, || true),
        Decision::ServeWhileBackingOff { warn: false }
    );
    assert_eq!(
        decide(Some(&entry(300)), now, on, || false),
        Decision::Renew
    );
    assert_eq!(
        decide(Some(&entry(300)), now, on, || true),
        Decision::ServeWhileBackingOff { warn: true }
    );
    assert_eq!(
        decide(Some(&entry(600)), now, off, || true),
        Decision::ServeWhileBackingOff { warn: true }
    );
    assert_eq!(
        decide(Some(&entry(600)), now, off, || false),
        Decision::Renew
    );
    assert_eq!(decide(Some(&entry(5)), now, on, || true), Decision::Renew);
    // A caller that keeps its session (--export, exec, console): in the window it waits out a
    // back-off with the current session, below the margin it tries STS whatever the back-off.
    let once = Rules {
        caller: Caller::Once,
        background: false,
        ..on
    };
    assert_eq!(
        decide(Some(&entry(600)), now, once, || true),
        Decision::ServeWhileBackingOff { warn: true }
    );
    assert_eq!(
        decide(Some(&entry(45)), now, once, || panic!()),
        Decision::Renew
    );
}
