//! A caller that keeps what it gets (`--export`, `exec`, `console`) inside the window.
use super::*;

/// 15 min left: renewed in the call; a passing failure: the valid session, then backing off;
/// another process renewing: waited for (bounded), then the valid session.
#[test]
fn a_caller_that_keeps_the_session_gets_a_fresh_one_inside_the_window() {
    let (tmp, clock) = (tempfile::tempdir().unwrap(), clock());
    let (sts, plan) = (FakeSts::new(&clock), plan());
    let (s, env) = (
        settings(tmp.path(), CacheMode::Use, true),
        Environment::default(),
    );
    let key = |sts: &FakeSts| {
        let got = obtain(&plan, &s, Caller::Once, &env, &clock, sts).unwrap();
        (got.access_key_id, sts.calls.get(), sts.started.get())
    };
    assert_eq!(key(&sts), ("ASIA1".into(), 1, 0));
    clock.advance(45);
    assert_eq!(key(&sts), ("ASIA2".into(), 2, 0));
    clock.advance(45);
    let down = Error::new(Kind::StsUnavailable, "STS did not answer");
    sts.failures.replace(vec![down]);
    assert_eq!(key(&sts), ("ASIA2".into(), 3, 0));
    assert_eq!(key(&sts), ("ASIA2".into(), 3, 0));
    let dir = CacheDir::open(tmp.path().join("cache")).unwrap();
    let held = dir.try_lock(&cache::key(&plan)).unwrap().expect("free");
    dir.clear_failed_renewal(&cache::key(&plan));
    let started = Instant::now();
    assert_eq!(key(&sts), ("ASIA2".into(), 3, 0));
    assert!(started.elapsed() >= Duration::from_millis(900), "it waited");
    drop(held);
    assert_eq!(key(&sts), ("ASIA4".into(), 4, 0));
}
