//! Renewal through the real binary: inside the window a session is printed at once
//! and renewed by one detached process that no caller waits for; callers never queue behind an
//! STS that hangs; the last failure is shown; entries are served only to their plan.
#![cfg(target_os = "linux")]

mod support;

use std::fs;
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};
use support::fake::{self, Reply, assume_role_ok, sts_error};
use support::*;

/// Ten minutes: inside the 16-minute window, above the 5-minute margin.
const IN_WINDOW: Duration = Duration::from_secs(600);
/// Below the margin: the call renews it itself.
const IN_MARGIN: Duration = Duration::from_secs(200);

/// An STS whose first AssumeRole gives a session of `lifetime`, and whose later ones never
/// answer (it accepts the connection and says nothing).
fn sts_once_then_hanging(lifetime: Duration) -> FakeServer {
    fake::sts_with(move |req, n| match n {
        0 => assume_role_ok(req, n, lifetime),
        _ => Reply::After(
            Duration::from_secs(120),
            Box::new(assume_role_ok(req, n, lifetime)),
        ),
    })
}

fn spawn(s: &Scenario, args: &[&str]) -> Child {
    s.command(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Runs `n` calls at once; each one's outcome and how long it took.
fn parallel(s: &Scenario, n: usize, args: &[&str]) -> Vec<(Outcome, Duration)> {
    let children: Vec<(Child, Instant)> =
        (0..n).map(|_| (spawn(s, args), Instant::now())).collect();
    let waiters: Vec<_> = children
        .into_iter()
        .map(|(c, started)| {
            std::thread::spawn(move || {
                let out = Outcome::from(c.wait_with_output().unwrap());
                (out, started.elapsed())
            })
        })
        .collect();
    waiters.into_iter().map(|w| w.join().unwrap()).collect()
}

#[test]
fn twelve_parallel_calls_while_sts_hangs_are_served_at_once_and_start_one_renewal() {
    let sts = sts_once_then_hanging(IN_WINDOW);
    let s = Scenario::with_role(&sts, "");
    let warm = s.run(&["--profile", "prod"]);
    warm.ok();
    let outs = parallel(&s, 12, &["--profile", "prod"]);
    for (o, took) in &outs {
        o.ok();
        assert_eq!(o.stdout, warm.stdout, "the cached session");
        assert!(
            !o.stderr.contains("warning"),
            "above the margin: silent\n{}",
            o.stderr
        );
        assert!(*took < Duration::from_secs(5), "took {took:?}");
    }
    assert!(s.eventually(Duration::from_secs(10), || sts.count("AssumeRole") == 2));
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(sts.count("AssumeRole"), 2, "one renewal, hanging on STS");
    assert_eq!(s.background_renewals().len(), 1, "single flight");
    s.kill_processes();
}

#[test]
fn below_the_margin_while_sts_hangs_one_call_renews_and_the_others_are_served_at_once() {
    let sts = sts_once_then_hanging(IN_MARGIN);
    let s = Scenario::with_role(&sts, "");
    let warm = s.run(&["--profile", "prod"]);
    warm.ok();
    let outs = parallel(&s, 12, &["--profile", "prod"]);
    let mut quick = 0;
    for (o, took) in &outs {
        o.ok().no_secrets_on_stderr();
        assert_eq!(o.stdout, warm.stdout, "the cached session");
        assert!(
            o.stderr.contains("warning"),
            "below the margin: one warning"
        );
        assert_eq!(o.stderr.lines().count(), 1, "{}", o.stderr);
        assert!(*took < Duration::from_secs(15), "took {took:?}");
        if *took < Duration::from_secs(4) {
            quick += 1;
        }
    }
    // The one holding the lock waited out STS's timeouts (~10 s); nobody queued behind it.
    assert!(quick >= 11, "{quick} of 12 were served at once: {outs:?}");
    assert!(s.background_renewals().is_empty(), "below the margin: none");
    assert!(s.wait_until_no_processes(Duration::from_secs(5)));
}

#[test]
fn with_nothing_valid_callers_wait_for_the_one_renewing_and_fail_clearly() {
    // Cold cache, STS hangs: one call spends its STS attempts, the others wait for it rather
    // than each spending as long again, and say what it met.
    let sts = fake::sts_with(|req, n| {
        Reply::After(
            Duration::from_secs(120),
            Box::new(assume_role_ok(req, n, IN_WINDOW)),
        )
    });
    let s = Scenario::with_role(&sts, "");
    let outs = parallel(&s, 6, &["--profile", "prod"]);
    for (o, took) in &outs {
        o.failed(5);
        assert!(*took < Duration::from_secs(15), "took {took:?}");
    }
    let waiters = outs
        .iter()
        .filter(|(o, _)| o.stderr.contains("another xacct-cred renewing the session"))
        .count();
    assert_eq!(waiters, 5, "{outs:?}");
    assert!(sts.count("AssumeRole") <= 3, "one call's attempts only");
}

#[test]
fn a_call_inside_the_window_returns_without_waiting_for_the_renewal_and_leaks_it_no_descriptor() {
    let sts = sts_once_then_hanging(IN_WINDOW);
    let s = Scenario::with_role(&sts, "");
    s.run(&["--profile", "prod"]).ok();
    // An extra descriptor the caller inherits without close-on-exec, as a careless parent or a
    // make jobserver leaves one: the renewal must not hold it either.
    let mut fds = [0; 2];
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
    let (read_end, write_end) = (fds[0], fds[1]);
    let mut cmd = s.command(&["--profile", "prod"]);
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    unsafe {
        cmd.pre_exec(move || {
            libc::dup2(write_end, 5);
            Ok(())
        });
    }
    let started = Instant::now();
    let mut child = cmd.spawn().unwrap();
    unsafe { libc::close(write_end) };
    let caller_pid = child.id();
    let mut stdout = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    let stdout_eof = started.elapsed();
    let mut extra = fs::File::from(unsafe {
        <std::os::fd::OwnedFd as std::os::fd::FromRawFd>::from_raw_fd(read_end)
    });
    let mut sink = Vec::new();
    extra.read_to_end(&mut sink).unwrap();
    let extra_eof = started.elapsed();
    assert!(child.wait().unwrap().success());
    assert!(stdout.contains("AccessKeyId"));
    assert!(s.eventually(Duration::from_secs(10), || sts.count("AssumeRole") == 2));
    let renewals = s.background_renewals();
    assert_eq!(renewals.len(), 1, "the renewal is still in flight");
    assert!(
        stdout_eof < Duration::from_secs(3),
        "stdout EOF after {stdout_eof:?}"
    );
    assert!(
        extra_eof < Duration::from_secs(3),
        "fd 5 EOF after {extra_eof:?}"
    );
    let pid = renewals[0];
    // Its own session, not the caller's, and stdin/stdout/stderr on /dev/null.
    let field = |pid: u32, n: usize| -> String {
        let stat = fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
        let rest = stat.rsplit(')').next().unwrap().to_string();
        rest.split_whitespace().nth(n).unwrap().to_string()
    };
    assert_eq!(field(pid, 4), "0", "no controlling terminal");
    let session = field(pid, 3);
    assert_ne!(session, caller_pid.to_string(), "not the caller's session");
    assert_ne!(
        field(pid, 1),
        caller_pid.to_string(),
        "not the caller's child"
    );
    for fd in 0..3 {
        let target = fs::read_link(format!("/proc/{pid}/fd/{fd}")).unwrap();
        assert_eq!(target, std::path::Path::new("/dev/null"), "fd {fd}");
    }
    s.kill_processes();
}

#[test]
fn the_background_renewal_is_single_flight_and_retries_passing_failures() {
    // After the warm-up, the first renewal attempt sequence (3 attempts) meets 500s; the retry
    // a second later succeeds (slowly, so that callers keep arriving while it is in flight).
    let sts = fake::sts_with(|req, n| match n {
        0 => assume_role_ok(req, n, IN_WINDOW),
        1..=3 => sts_error(500, "InternalFailure", "try again"),
        _ => Reply::After(
            Duration::from_millis(500),
            Box::new(assume_role_ok(req, n, Duration::from_secs(3600))),
        ),
    });
    let s = Scenario::with_role(&sts, "");
    let warm = s.run(&["--profile", "prod"]);
    warm.ok();
    for (o, _) in parallel(&s, 20, &["--profile", "prod"]) {
        assert_eq!(o.ok().stdout, warm.stdout);
    }
    assert!(
        s.wait_until_no_processes(Duration::from_secs(30)),
        "it finishes by itself"
    );
    assert_eq!(
        sts.count("AssumeRole"),
        1 + 3 + 1,
        "one renewal: one failed sequence, one retry"
    );
    let renewed = s.run(&["--profile", "prod"]);
    assert_ne!(renewed.ok().stdout, warm.stdout);
    assert_eq!(renewed.stderr, "");
    let leftovers: Vec<_> = fs::read_dir(s.cache_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp") || n.ends_with(".backoff"))
        .collect();
    assert!(
        leftovers.is_empty(),
        "success clears the failure record: {leftovers:?}"
    );
}

#[test]
fn a_refused_background_renewal_is_recorded_and_shown_by_debug_doctor_and_cache_list() {
    let sts = fake::sts_with(|req, n| match n {
        0 => assume_role_ok(req, n, IN_WINDOW),
        _ => sts_error(403, "AccessDenied", "not authorized to assume it"),
    });
    let s = Scenario::with_role(&sts, "");
    s.run(&["--profile", "prod"]).ok();
    let served = s.run(&["--profile", "prod"]);
    served.ok();
    assert_eq!(served.stderr, "", "the session is valid: served silently");
    assert!(s.wait_until_no_processes(Duration::from_secs(20)));
    let calls = sts.count("AssumeRole");
    assert_eq!(calls, 2, "a refusal is not retried");
    let debug = s.run(&["--profile", "prod", "--debug"]);
    debug.ok().stderr_has(&[
        "last failed renewal",
        "by the background renewal",
        "was denied",
    ]);
    assert_eq!(
        sts.count("AssumeRole"),
        calls,
        "no new renewal within a minute of it"
    );
    let list = s.run(&["cache", "list"]);
    assert!(
        list.ok().stdout.contains("last failed renewal") && list.stdout.contains("was denied"),
        "{}",
        list.stdout
    );
    let doctor = s.run(&["doctor", "--profile", "prod"]);
    assert!(
        doctor.stdout.contains("last failed renewal"),
        "{}",
        doctor.stdout
    );
    for text in [&debug.stderr, &list.stdout, &doctor.stdout] {
        assert!(!text.contains("fake-secret") && !text.contains(DEV_SECRET));
    }
    assert!(s.wait_until_no_processes(Duration::from_secs(5)));
}

#[test]
fn background_refresh_off_renews_in_the_call() {
    let sts = fake::sts_with(|req, n| assume_role_ok(req, n, IN_WINDOW));
    let mut s = Scenario::with_role(&sts, "");
    s.run(&["--profile", "prod"]).ok();
    s.run(&["--profile", "prod", "--background-refresh", "off"])
        .ok();
    assert_eq!(sts.count("AssumeRole"), 2, "renewed before it printed");
    s.set("XACCT_CRED_BACKGROUND_REFRESH", "0");
    s.run(&["--profile", "prod"]).ok();
    assert_eq!(sts.count("AssumeRole"), 3);
    assert!(s.processes().is_empty(), "nothing started");
    s.set("XACCT_CRED_BACKGROUND_REFRESH", "sometimes");
    s.run(&["--profile", "prod"])
        .failed(2)
        .stderr_has(&["XACCT_CRED_BACKGROUND_REFRESH"]);
}

#[test]
fn mfa_profiles_renew_in_the_call() {
    let sts = fake::sts_with(|req, n| assume_role_ok(req, n, IN_WINDOW));
    let mut s = Scenario::with_role(&sts, "mfa_serial = arn:aws:iam::222222222222:mfa/asi-dev");
    s.set("XACCT_CRED_TOKEN_CODE", "123456");
    s.run(&["--profile", "prod"]).ok();
    s.run(&["--profile", "prod"]).ok();
    assert_eq!(
        sts.count("AssumeRole"),
        2,
        "a detached process cannot ask for a code"
    );
    assert!(s.processes().is_empty());
}

/// Callers that keep what they get (a shell's `--export`, `exec`'s command) never ask again:
/// inside the window they get a fresh session from the call, and nothing is left renewing;
/// credential_process JSON (which callers ask for again) is served the current one at once.
#[test]
fn export_and_exec_inside_the_window_renew_in_the_call_and_json_in_the_background() {
    let sts = fake::sts_with(|req, n| assume_role_ok(req, n, IN_WINDOW));
    let s = Scenario::with_role(&sts, "");
    let warm = s.run(&["--profile", "prod"]);
    let warm_key = warm.ok().json()["AccessKeyId"]
        .as_str()
        .unwrap()
        .to_string();
    let export = s.run(&["--profile", "prod", "--export"]);
    export.ok();
    assert!(!export.stdout.contains(&warm_key), "{}", export.stdout);
    assert_eq!(sts.count("AssumeRole"), 2, "--export renewed in the call");
    assert!(s.background_renewals().is_empty());
    let script = "printf %s \"$AWS_ACCESS_KEY_ID\"";
    let exec = s.run(&["exec", "--profile", "prod", "--", "sh", "-c", script]);
    exec.ok();
    assert!(!export.stdout.contains(&exec.stdout), "{}", exec.stdout);
    assert_eq!(sts.count("AssumeRole"), 3, "exec renewed in the call");
    assert!(s.background_renewals().is_empty());
    let json = s.run(&["--profile", "prod"]);
    assert_eq!(json.ok().json()["AccessKeyId"], exec.stdout.as_str());
    assert!(
        s.eventually(Duration::from_secs(10), || sts.count("AssumeRole") == 4),
        "JSON: served at once, renewed in the background"
    );
    assert!(s.wait_until_no_processes(Duration::from_secs(10)));
}

/// A waiter that finds the holder failed a moment ago serves the valid session rather than
/// spend another STS attempt sequence: 20 `--export` callers during an outage made three
/// renewals one after another (each waiter that had waited under 2 s renewed again).
#[test]
fn parallel_exports_during_an_outage_make_one_renewal_not_a_chain() {
    let sts = fake::sts_with(|req, n| match n {
        0 => assume_role_ok(req, n, IN_WINDOW),
        _ => Reply::After(
            Duration::from_millis(300),
            Box::new(fake::sts_error(503, "ServiceUnavailable", "down")),
        ),
    });
    let s = Scenario::with_role(&sts, "");
    let warm = s.run(&["--profile", "prod"]);
    let key = warm.ok().json()["AccessKeyId"]
        .as_str()
        .unwrap()
        .to_string();
    let outcomes = parallel(&s, 20, &["--profile", "prod", "--export"]);
    for (out, _) in &outcomes {
        assert_eq!(out.code, Some(0), "{}", out.stderr);
        assert!(
            out.stdout.contains(&key),
            "the valid session: {}",
            out.stdout
        );
    }
    let renewals = sts.count("AssumeRole") - 1;
    assert!(
        (1..=3).contains(&renewals),
        "one renewal's attempts (at most 3), not a chain of renewals: {renewals} AssumeRole calls"
    );
    assert!(s.wait_until_no_processes(Duration::from_secs(10)));
}

#[test]
fn an_entry_is_served_only_for_the_role_session_name_and_source_it_was_written_for() {
    let sts = fake::sts_with(|req, n| assume_role_ok(req, n, Duration::from_secs(3600)));
    let s = Scenario::with_role(&sts, "");
    let first = s.run(&["--profile", "prod"]);
    first.ok();
    let entry = s.entry_file();
    for (field, value) in [
        ("role_session_name", "someone-else"),
        ("role_arn", "arn:aws:iam::111111111111:role/other"),
        ("source", "source_profile other"),
    ] {
        let mut doc: serde_json::Value =
            serde_json::from_slice(&fs::read(&entry).unwrap()).unwrap();
        doc[field] = value.into();
        fs::write(&entry, doc.to_string()).unwrap();
        let before = sts.count("AssumeRole");
        s.run(&["--profile", "prod"]).ok();
        assert_eq!(
            sts.count("AssumeRole"),
            before + 1,
            "{field} differs: a miss"
        );
        let doc: serde_json::Value = serde_json::from_slice(&fs::read(&entry).unwrap()).unwrap();
        assert_ne!(doc[field], value, "{field}: repaired");
    }
    s.run(&["--profile", "prod"]).ok();
    assert_eq!(sts.count("AssumeRole"), 4, "the repaired entry is a hit");
}

#[test]
fn a_relative_cache_directory_is_refused() {
    let sts = fake::sts();
    let mut s = Scenario::with_role(&sts, "");
    s.set("XACCT_CRED_CACHE_DIR", "cache");
    s.run(&["--profile", "prod"])
        .failed(2)
        .stderr_has(&["relative", "XACCT_CRED_CACHE_DIR"]);
    s.unset("XACCT_CRED_CACHE_DIR");
    s.run(&["--profile", "prod", "--cache-dir", "./x"])
        .failed(2);
    assert_eq!(sts.count("AssumeRole"), 0);
}

#[test]
fn a_back_off_record_dated_in_the_future_is_ignored() {
    let sts = fake::sts_with(|req, n| assume_role_ok(req, n, IN_MARGIN));
    let s = Scenario::with_role(&sts, "");
    s.run(&["--profile", "prod"]).ok();
    let entry = s.entry_file();
    let backoff = entry.with_extension("backoff");
    let future = (time::OffsetDateTime::now_utc() + time::Duration::days(30))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let record = format!(
        r#"{{"at":"{future}","kind":"sts-unavailable","by":"caller","message":"planted"}}"#
    );
    fs::write(&backoff, &record).unwrap();
    fs::set_permissions(
        &backoff,
        std::os::unix::fs::PermissionsExt::from_mode(0o600),
    )
    .unwrap();
    let out = s.run(&["--profile", "prod"]);
    out.ok();
    assert!(
        !out.stderr.contains("less than a minute ago"),
        "{}",
        out.stderr
    );
    assert_eq!(sts.count("AssumeRole"), 2, "renewed, not backed off");
    // The same record dated now does back off.
    let now = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    fs::write(&backoff, record.replace(&future, &now)).unwrap();
    s.run(&["--profile", "prod"])
        .ok()
        .stderr_has(&["renewal failed less than a minute ago"]);
    assert_eq!(sts.count("AssumeRole"), 2);
}

/// The renewal step run with descriptor `fd` as its lock: `Some(path)` opened afresh there
/// (another open file than any caller's), `None` for nothing open there.
fn run_renew_step(s: &Scenario, fd: i32, lock_file: Option<&std::path::Path>) -> Outcome {
    let entry = s.entry_file();
    let key = entry.file_stem().unwrap().to_str().unwrap().to_string();
    let cache_dir = format!("--cache-dir={}", s.cache_dir().display());
    let mut cmd = s.command(&[
        "background-renewal",
        "--stage",
        "renew",
        "--key",
        &key,
        "--lock-fd",
        &fd.to_string(),
        "--profile",
        "prod",
        &cache_dir,
    ]);
    if let Some(path) = lock_file {
        let file = fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .unwrap();
        let opened = std::os::fd::IntoRawFd::into_raw_fd(file);
        unsafe {
            cmd.pre_exec(move || {
                // When `opened` already is `fd`, dup2 does nothing and its close-on-exec stays.
                if opened == fd {
                    libc::fcntl(fd, libc::F_SETFD, 0);
                } else {
                    libc::dup2(opened, fd);
                }
                Ok(())
            });
        }
        let out = Outcome::from(cmd.output().unwrap());
        unsafe { libc::close(opened) };
        out
    } else {
        Outcome::from(cmd.output().unwrap())
    }
}

/// Issue 18, item 4: a renewal whose inputs now give another key (the files were edited since
/// its caller read them) gave up silently, so a long-lived caller started one per call. It
/// records why, and callers start no other for a while.
#[test]
fn a_renewal_that_finds_the_configuration_changed_records_it_and_callers_wait() {
    let sts = fake::sts_with(|req, n| assume_role_ok(req, n, IN_WINDOW));
    let s = Scenario::with_role(&sts, "");
    s.run(&["--profile", "prod"]).ok();
    let lock = s.entry_file().with_extension("lock");
    let config = s.home.path().join(".aws/config");
    let original = fs::read_to_string(&config).unwrap();
    s.config(&format!("{original}role_session_name = edited\n"));
    run_renew_step(&s, 7, Some(&lock)).ok();
    assert_eq!(sts.count("AssumeRole"), 1, "nothing to renew for that key");
    let list = s.run(&["cache", "list"]);
    assert!(
        list.ok().stdout.contains("configuration changed"),
        "{}",
        list.stdout
    );
    // A caller that still reads the old files (a server started before the edit) is served
    // inside the window and starts no renewal for a while.
    s.config(&original);
    s.run(&["--profile", "prod"]).ok();
    std::thread::sleep(Duration::from_millis(300));
    assert!(s.background_renewals().is_empty());
    assert_eq!(sts.count("AssumeRole"), 1);
    s.kill_processes();
}

#[test]
fn the_renewal_renews_only_holding_the_keys_lock() {
    let sts = fake::sts_with(|req, n| assume_role_ok(req, n, IN_WINDOW));
    let s = Scenario::with_role(&sts, "");
    s.run(&["--profile", "prod"]).ok();
    let entry = s.entry_file();
    let lock = entry.with_extension("lock");
    assert!(lock.exists(), "{lock:?}");

    // No descriptor handed on (nothing open at 7; nor at 3, the number the step's own
    // listing of its descriptors takes): nothing.
    run_renew_step(&s, 7, None).ok();
    run_renew_step(&s, 3, None).ok();
    assert_eq!(sts.count("AssumeRole"), 1, "renewed with no lock");
    // The descriptor is a file, but not this key's lock file: nothing.
    let other = s.cache_dir().join("not-a-lock");
    fs::write(&other, "").unwrap();
    run_renew_step(&s, 7, Some(&other)).ok();
    assert_eq!(sts.count("AssumeRole"), 1, "renewed on another file");
    // The key's lock file, but another process holds the lock (as on NFS, where the lock did
    // not pass with the descriptor and a caller took it meanwhile): nothing.
    let holder = fs::OpenOptions::new().write(true).open(&lock).unwrap();
    assert_eq!(
        unsafe { libc::flock(std::os::fd::AsRawFd::as_raw_fd(&holder), libc::LOCK_EX) },
        0
    );
    run_renew_step(&s, 7, Some(&lock)).ok();
    assert_eq!(
        sts.count("AssumeRole"),
        1,
        "renewed while another held the lock"
    );
    drop(holder);
    // The key's lock file, free: this is the step's real case, and it renews.
    run_renew_step(&s, 7, Some(&lock)).ok();
    assert_eq!(sts.count("AssumeRole"), 2, "the control case renews");
    s.kill_processes();
}

#[test]
fn a_hung_background_renewal_ends_when_the_session_reaches_the_margin() {
    // A 60-second window gives a 20-second margin, and a session with 25 s left is renewed in
    // the background. Its source (a credential_process) then hangs, which only the 15-second
    // source bound would end. The renewal must let go of the lock when the session reaches the
    // margin (after ~5 s), for callers below the margin renew in the call and must find it free.
    let sts = fake::sts_with(|req, n| assume_role_ok(req, n, Duration::from_secs(25)));
    let mut s = Scenario::with_role(&sts, "");
    let helper = s.with_helper_source("");
    s.set("XACCT_CRED_REFRESH_WINDOW", "60");
    let started = Instant::now();
    s.run(&["--profile", "prod"]).ok();
    fs::write(&helper, "exec sleep 60\n").unwrap();
    s.run(&["--profile", "prod"]).ok();
    assert!(
        s.eventually(Duration::from_secs(5), || s.background_renewals().len()
            == 1)
    );
    assert!(
        s.wait_until_no_processes(Duration::from_secs(30)),
        "the renewal still runs {:?} after the warm-up",
        started.elapsed()
    );
    let ended = started.elapsed();
    assert!(ended >= Duration::from_secs(3), "it ended early: {ended:?}");
    assert!(
        ended < Duration::from_secs(11),
        "it held the lock below the margin: it ended {ended:?} after a 25 s session was written"
    );
    assert_eq!(sts.count("AssumeRole"), 1);
    s.kill_processes();
}

/// A background renewal whose source failed does not start the source again: a hung or
/// failing helper (a browser login, say) is run once per renewal, not once per retry. (STS
/// failures are retried: the test above.)
#[test]
fn a_background_renewal_runs_a_failing_source_helper_once() {
    let sts = fake::sts_with(|req, n| assume_role_ok(req, n, IN_WINDOW));
    let s = Scenario::with_role(&sts, "");
    let helper = s.with_helper_source("");
    let runs = s.home.path().join("runs");
    s.run(&["--profile", "prod"]).ok();
    fs::write(
        &helper,
        format!(
            "echo run >> {}; echo 'no login' >&2; exit 1\n",
            runs.display()
        ),
    )
    .unwrap();
    // Inside the window: served at once, renewed in the background, which fails at the source.
    s.run(&["--profile", "prod"]).ok();
    assert!(
        s.wait_until_no_processes(Duration::from_secs(60)),
        "the renewal ends by itself"
    );
    let runs = fs::read_to_string(&runs).unwrap_or_default();
    assert_eq!(runs.lines().count(), 1, "the helper was run {runs:?}");
    assert_eq!(sts.count("AssumeRole"), 1);
}

/// What a detached renewal's source helper left running — a child that kept the helper's
/// output open (the renewal then gives up on it), or a double-forked grandchild of a helper
/// that answered — was re-parented to init and ran on for good, one more per renewal. The
/// renewal's session is its own: what is left in it when it ends is ended.
#[test]
fn a_detached_renewal_leaves_nothing_its_helper_started() {
    let double_fork = "(sleep 100 > /dev/null 2>&1 < /dev/null & echo $! > {PID})\n";
    for (what, wrapper, start) in [
        (
            "a child holding the output",
            "",
            "sleep 100 &\necho $! > {PID}\n",
        ),
        ("a double fork", "", double_fork),
        // GNU timeout puts itself (and the helper) in a process group of its own.
        ("a double fork under timeout", "timeout 60 ", double_fork),
    ] {
        let sts = fake::sts_with(|req, n| assume_role_ok(req, n, IN_WINDOW));
        let s = Scenario::with_role(&sts, "");
        let helper = s.with_helper_source(wrapper);
        let keys = fs::read_to_string(&helper).unwrap();
        let pid_file = s.home.path().join("left.pid");
        s.run(&["--profile", "prod"]).ok();
        fs::write(
            &helper,
            format!(
                "{}{keys}",
                start.replace("{PID}", &pid_file.display().to_string())
            ),
        )
        .unwrap();
        // Inside the window: served at once, renewed in the background.
        s.run(&["--profile", "prod"]).ok();
        let ended = s.wait_until_no_processes(Duration::from_secs(60));
        let pid = fs::read_to_string(&pid_file).unwrap_or_default();
        let left = s.processes();
        s.kill_processes();
        assert!(!pid.trim().is_empty(), "{what}: the helper ran");
        assert!(ended, "{what}: left running: {left:?}");
    }
}

/// A throttling STS is not retried by the detached renewal: each retry is three more calls on
/// the account's shared quota, and one renewal made 33 in a minute. It records the failure, and
/// callers are served the current session through the back-off.
#[test]
fn a_background_renewal_does_not_retry_a_throttling_sts() {
    let sts = fake::sts_with(|req, n| match n {
        0 => assume_role_ok(req, n, IN_WINDOW),
        _ => sts_error(400, "Throttling", "Rate exceeded"),
    });
    let s = Scenario::with_role(&sts, "");
    let warm = s.run(&["--profile", "prod"]);
    warm.ok();
    let served = s.run(&["--profile", "prod"]);
    assert_eq!(served.ok().stdout, warm.stdout);
    assert!(
        s.wait_until_no_processes(Duration::from_secs(60)),
        "it ends by itself"
    );
    assert_eq!(
        sts.count("AssumeRole"),
        1 + 3,
        "the warm-up, then one sequence of the SDK's attempts"
    );
    // Within the back-off, a caller neither renews nor starts a renewal.
    assert_eq!(s.run(&["--profile", "prod"]).ok().stdout, warm.stdout);
    assert!(s.wait_until_no_processes(Duration::from_secs(5)));
    assert_eq!(sts.count("AssumeRole"), 4);
}
