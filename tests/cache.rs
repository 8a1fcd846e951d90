//! The on-disk cache through the real binary: single flight across processes, atomic writes
//! under SIGKILL, self-healing entries, permission checks, the refresh window, and serving a
//! still-valid session when STS is down.
#![cfg(unix)]

mod support;

use std::fs;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::process::Stdio;
use std::time::{Duration, Instant};
use support::fake::{self, Reply, assume_role_ok, sts_error};
use support::*;

const HOUR: Duration = Duration::from_secs(3600);

/// An STS whose first AssumeRole gives a session of `lifetime`, and every later one fails with
/// `(status, code, message)`.
fn sts_once_then_failing(
    lifetime: Duration,
    (status, code, message): (u16, &'static str, &'static str),
) -> FakeServer {
    fake::sts_with(move |req, n| {
        if n == 0 {
            assume_role_ok(req, n, lifetime)
        } else {
            sts_error(status, code, message)
        }
    })
}

#[test]
fn the_second_call_is_a_file_read() {
    let sts = fake::sts();
    let s = Scenario::with_role(&sts, "");
    let first = s.run(&["--profile", "prod"]);
    first.ok();
    let second = s.run(&["--profile", "prod"]);
    second.ok();
    assert_eq!(first.stdout, second.stdout);
    assert_eq!(sts.count("AssumeRole"), 1);
    assert_eq!(second.stderr, "", "a hit is silent");
}

#[test]
fn the_cache_directory_and_entry_are_private() {
    let sts = fake::sts();
    let s = Scenario::with_role(&sts, "");
    s.run(&["--profile", "prod"]).ok();
    let dir_mode = fs::metadata(s.cache_dir()).unwrap().permissions().mode() & 0o777;
    assert_eq!(dir_mode, 0o700);
    let entry = s.entry_file();
    assert_eq!(
        fs::metadata(&entry).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let doc: serde_json::Value = serde_json::from_slice(&fs::read(&entry).unwrap()).unwrap();
    assert_eq!(doc["version"], 1);
    assert_eq!(doc["role_arn"], ROLE_ARN);
    assert_eq!(doc["profile"], "prod");
    assert_eq!(doc["credentials"]["SecretAccessKey"], "fake-secret-0");
}

#[test]
fn fifty_parallel_cold_calls_make_one_sts_call_and_agree() {
    // A slow STS widens the race: every process starts before the first one is answered.
    let sts = fake::sts_with(|req, n| {
        Reply::After(
            Duration::from_millis(400),
            Box::new(assume_role_ok(req, n, HOUR)),
        )
    });
    let s = Scenario::with_role(&sts, "");
    let children: Vec<_> = (0..50)
        .map(|_| {
            s.command(&["--profile", "prod"])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let outs: Vec<Outcome> = children
        .into_iter()
        .map(|c| Outcome::from(c.wait_with_output().unwrap()))
        .collect();
    for o in &outs {
        o.ok();
    }
    assert_eq!(sts.count("AssumeRole"), 1, "single flight across processes");
    assert!(
        outs.iter().all(|o| o.stdout == outs[0].stdout),
        "all fifty print the same session"
    );
}

#[test]
fn different_sources_never_share_an_entry() {
    let sts = fake::sts_with(|req, n| assume_role_ok(req, n, HOUR));
    let s = Scenario::with_role(&sts, "");
    s.credentials(&format!(
        "[dev]\naws_access_key_id = {DEV_KEY_ID}\naws_secret_access_key = {DEV_SECRET}\n[dev2]\naws_access_key_id = AKIADEVTWOEXAMPLE001\naws_secret_access_key = other\n"
    ));
    let a = s.run(&["--role-arn", ROLE_ARN, "--source-profile", "dev"]);
    let b = s.run(&["--role-arn", ROLE_ARN, "--source-profile", "dev2"]);
    assert_ne!(a.ok().stdout, b.ok().stdout);
    // Same profile name, other keys behind it: a different identity, so a different entry.
    s.credentials(&format!(
        "[dev]\naws_access_key_id = AKIAROTATEDEXAMPLE01\naws_secret_access_key = {DEV_SECRET}\n"
    ));
    s.run(&["--role-arn", ROLE_ARN, "--source-profile", "dev"])
        .ok();
    // And every setting that changes the session changes the key.
    for extra in [
        &["--external-id", "x-1"][..],
        &["--duration-seconds", "1800"],
        &["--role-session-name", "other"],
    ] {
        let mut args = vec!["--role-arn", ROLE_ARN, "--source-profile", "dev"];
        args.extend_from_slice(extra);
        s.run(&args).ok();
    }
    assert_eq!(sts.count("AssumeRole"), 6);
    assert_eq!(s.entry_files().len(), 6);
    // The region alone does not: the endpoint is the same, and a session is valid
    // in every region. tests/conformance.rs covers the endpoint side.
    let args = ["--role-arn", ROLE_ARN, "--source-profile", "dev"];
    s.run(&[&args[..], &["--region", "eu-central-1"]].concat())
        .ok();
    assert_eq!(sts.count("AssumeRole"), 6);
}

#[test]
fn every_corruption_of_an_entry_is_a_miss_that_the_next_write_repairs() {
    let sts = fake::sts_with(|req, n| assume_role_ok(req, n, HOUR));
    let s = Scenario::with_role(&sts, "");
    s.run(&["--profile", "prod"]).ok();
    let entry = s.entry_file();
    let good = fs::read_to_string(&entry).unwrap();
    let corruptions: Vec<(&str, Vec<u8>)> = vec![
        ("empty", vec![]),
        ("truncated", good.as_bytes()[..good.len() / 2].to_vec()),
        ("garbage", vec![0xff, 0x00, 0x13, b'{', 0x80]),
        ("not an object", b"[1,2,3]".to_vec()),
        (
            "wrong version",
            good.replace("\"version\":1", "\"version\":99").into_bytes(),
        ),
        (
            "wrong types",
            good.replace("\"version\":1", "\"version\":\"1\"")
                .into_bytes(),
        ),
        (
            "missing secret",
            good.replace("SecretAccessKey", "Other").into_bytes(),
        ),
        (
            "bad expiration",
            good.replace("Expiration\":\"", "Expiration\":\"soon")
                .into_bytes(),
        ),
        ("huge", vec![b' '; 200_000]),
    ];
    let mut expected_calls = 1;
    for (what, bytes) in corruptions {
        fs::write(&entry, &bytes).unwrap();
        let out = s.run(&["--profile", "prod"]);
        out.ok();
        expected_calls += 1;
        assert_eq!(
            sts.count("AssumeRole"),
            expected_calls,
            "{what}: one STS call"
        );
        let repaired: serde_json::Value =
            serde_json::from_str(&fs::read_to_string(&entry).unwrap()).unwrap();
        assert_eq!(repaired["version"], 1, "{what}: repaired");
        s.run(&["--profile", "prod"]).ok();
        assert_eq!(
            sts.count("AssumeRole"),
            expected_calls,
            "{what}: the repaired entry is a hit"
        );
    }
}

#[test]
fn sigkilled_writers_never_leave_a_torn_entry() {
    let sts = fake::sts_with(|req, n| assume_role_ok(req, n, HOUR));
    let s = Scenario::with_role(&sts, "");
    s.run(&["--profile", "prod"]).ok();
    let entry = s.entry_file();
    let mut rng = 0x2545F4914F6CDD1Du64;
    for _ in 0..60 {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        let mut child = s
            .command(&["--profile", "prod", "--refresh"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_micros(rng % 40_000));
        let _ = child.kill();
        let _ = child.wait();
        if let Ok(bytes) = fs::read(&entry) {
            let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_else(|e| {
                panic!("torn entry ({e}): {:?}", String::from_utf8_lossy(&bytes))
            });
            assert_eq!(v["version"], 1);
        }
    }
    // The cache still works, and the killed writers' temp files are swept by the next writer.
    s.run(&["--profile", "prod", "--refresh"]).ok();
    let leftovers: Vec<_> = fs::read_dir(s.cache_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n.to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn a_symlinked_entry_or_unsafe_directory_is_refused() {
    let sts = fake::sts();
    let s = Scenario::with_role(&sts, "");
    s.run(&["--profile", "prod"]).ok();
    let entry = s.entry_file();

    // An entry that is a symlink to someone's file.
    let elsewhere = s.home.path().join("planted.json");
    fs::rename(&entry, &elsewhere).unwrap();
    symlink(&elsewhere, &entry).unwrap();
    s.run(&["--profile", "prod"])
        .failed(6)
        .stderr_has(&["symbolic link", "cache clear"]);
    fs::remove_file(&entry).unwrap();

    // An entry others can read.
    s.run(&["--profile", "prod"]).ok();
    fs::set_permissions(&entry, fs::Permissions::from_mode(0o644)).unwrap();
    s.run(&["--profile", "prod"])
        .failed(6)
        .stderr_has(&["mode 644"]);
    fs::set_permissions(&entry, fs::Permissions::from_mode(0o600)).unwrap();

    // A world-writable directory (a shared /tmp).
    fs::set_permissions(s.cache_dir(), fs::Permissions::from_mode(0o777)).unwrap();
    // (Root's path walk says it first, in its words.)
    let why = match unsafe { libc::geteuid() } {
        0 => "is writable by other users",
        _ => "other users can write to it",
    };
    s.run(&["--profile", "prod"])
        .failed(6)
        .stderr_has(&[why, "--no-cache"]);
    fs::set_permissions(s.cache_dir(), fs::Permissions::from_mode(0o700)).unwrap();

    // A directory that is a symlink.
    let mut s2 = Scenario::with_role(&sts, "");
    let real = s2.home.path().join("real-cache");
    fs::create_dir(&real).unwrap();
    fs::set_permissions(&real, fs::Permissions::from_mode(0o700)).unwrap();
    let link = s2.home.path().join("linked-cache");
    symlink(&real, &link).unwrap();
    s2.set("XACCT_CRED_CACHE_DIR", path_str(&link));
    s2.run(&["--profile", "prod"])
        .failed(6)
        .stderr_has(&["symbolic link"]);
}

#[test]
#[ignore = "needs root to chown a directory to another user; scripts/test-all.sh runs it as root"]
fn a_directory_owned_by_another_user_is_refused() {
    assert_eq!(
        unsafe { libc::geteuid() },
        0,
        "run as root (cargo test -- --ignored)"
    );
    let sts = fake::sts();
    let s = Scenario::with_role(&sts, "");
    fs::create_dir(s.cache_dir()).unwrap();
    fs::set_permissions(s.cache_dir(), fs::Permissions::from_mode(0o700)).unwrap();
    std::os::unix::fs::chown(s.cache_dir(), Some(12345), Some(12345)).unwrap();
    s.run(&["--profile", "prod"])
        .failed(6)
        .stderr_has(&["owned by uid 12345"]);
}

/// Root's cache under a directory another user owns (a `sudo -E` HOME): that user could swap
/// in a link between root's checks and its writes, so root refuses before creating anything.
#[test]
#[ignore = "needs root and the nobody user; scripts/test-all.sh runs it as root"]
fn as_root_a_cache_under_another_users_directory_is_refused() {
    assert_eq!(
        unsafe { libc::geteuid() },
        0,
        "run as root (cargo test -- --ignored)"
    );
    let sts = fake::sts();
    let mut s = Scenario::with_role(&sts, "");
    let theirs = s.home.path().join("theirs");
    fs::create_dir(&theirs).unwrap();
    std::os::unix::fs::chown(&theirs, Some(65534), Some(65534)).unwrap();
    let cache = theirs.join(".cache/xacct-cred");
    s.set("XACCT_CRED_CACHE_DIR", path_str(&cache));
    let out = s.run(&["--profile", "prod"]);
    out.failed(6)
        .stderr_has(&["as root", "owned by uid 65534", "XACCT_CRED_CACHE_DIR"]);
    assert!(out.stdout.is_empty());
    assert_eq!(
        fs::read_dir(&theirs).unwrap().count(),
        0,
        "root created something there"
    );
    assert_eq!(sts.count("AssumeRole"), 0);
}

/// A cache on a read-only file system (a container's read-only root, a full disk): not a
/// safety refusal, so the call goes on as with `--no-cache`, with a warning.
#[test]
#[ignore = "needs root for a mount namespace (unshare -m); scripts/test-all.sh runs it as root"]
fn a_read_only_cache_directory_is_gone_around_with_a_warning() {
    let sts = fake::sts();
    let s = Scenario::with_role(&sts, "");
    let parent = s.home.path().join("ro");
    fs::create_dir(&parent).unwrap();
    let cache = parent.join("cache");
    for (what, prepare) in [
        (
            "missing",
            format!(
                "mount -t tmpfs -o ro,size=64k,mode=0755 tmpfs {}",
                parent.display()
            ),
        ),
        (
            "present",
            format!(
                "mount -t tmpfs -o size=64k,mode=0755 tmpfs {p} && mkdir -m 700 {c} && mount -o remount,ro {p}",
                p = parent.display(),
                c = cache.display()
            ),
        ),
    ] {
        let script = format!("set -e; {prepare}; exec \"$0\" \"$@\"");
        let mut cmd = s.command_for(
            "unshare",
            &["-m", "sh", "-c", &script, BIN, "--profile", "prod"],
        );
        cmd.env("XACCT_CRED_CACHE_DIR", &cache);
        let out = Outcome::from(cmd.output().unwrap());
        out.ok()
            .stderr_has(&["warning", "Read-only file system", "without the cache"]);
        assert!(
            out.json()["AccessKeyId"].is_string(),
            "{what}: {}",
            out.stdout
        );
    }
    assert_eq!(sts.count("AssumeRole"), 2);
}

#[test]
fn an_entry_inside_the_refresh_window_is_renewed_and_the_window_is_configurable() {
    // Ten minutes left is inside the default 16-minute window (and above the 5-minute margin:
    // served at once and renewed in the background).
    let sts = fake::sts_with(|req, n| assume_role_ok(req, n, Duration::from_secs(600)));
    let mut s = Scenario::with_role(&sts, "");
    let first = s.run(&["--profile", "prod"]);
    let second = s.run(&["--profile", "prod"]);
    assert_eq!(second.ok().stdout, first.ok().stdout, "served at once");
    assert!(s.eventually(Duration::from_secs(20), || sts.count("AssumeRole") == 2));
    assert!(s.wait_until_no_processes(Duration::from_secs(20)));
    assert_eq!(
        sts.count("AssumeRole"),
        2,
        "renewed: less than 16 minutes left"
    );
    let third = s.run(&["--profile", "prod", "--refresh-window", "300"]);
    assert_ne!(
        third.ok().stdout,
        first.stdout,
        "the background renewal's session"
    );
    assert_eq!(
        sts.count("AssumeRole"),
        2,
        "a 5-minute window accepts 10 minutes left"
    );
    s.set("XACCT_CRED_REFRESH_WINDOW", "300");
    s.run(&["--profile", "prod"]).ok();
    assert_eq!(
        sts.count("AssumeRole"),
        2,
        "the variable sets the window too"
    );
    assert!(s.processes().is_empty(), "fresh: nothing started");
    s.set("XACCT_CRED_REFRESH_WINDOW", "soon");
    s.run(&["--profile", "prod"])
        .failed(2)
        .stderr_has(&["XACCT_CRED_REFRESH_WINDOW"]);
}

#[test]
fn short_sessions_are_reused_and_say_so_once() {
    let sts = fake::sts_with(|req, n| assume_role_ok(req, n, Duration::from_secs(900)));
    let s = Scenario::with_role(&sts, "duration_seconds = 900");
    let first = s.run(&["--profile", "prod"]);
    first.ok().stderr_has(&[
        "900 s sessions are shorter than the 960 s refresh window",
        "300 s remain",
    ]);
    let second = s.run(&["--profile", "prod"]);
    second.ok();
    assert_eq!(
        second.stderr, "",
        "said once, on the call that made the session"
    );
    assert_eq!(
        sts.count("AssumeRole"),
        1,
        "not one STS call per invocation"
    );
}

#[test]
fn sts_down_with_a_valid_entry_serves_it_with_a_warning() {
    // Call 0 succeeds with 200 s left (below the 300 s margin, so the call renews it itself;
    // ten minutes would be renewed in the background); then STS fails.
    let sts = sts_once_then_failing(
        Duration::from_secs(200),
        (503, "ServiceUnavailable", "down"),
    );
    let s = Scenario::with_role(&sts, "");
    let first = s.run(&["--profile", "prod"]);
    first.ok();
    let second = s.run(&["--profile", "prod"]);
    second
        .ok()
        .stderr_has(&["warning: could not renew", "using the cached one"])
        .no_secrets_on_stderr();
    assert_eq!(first.stdout, second.stdout);
    assert_eq!(
        second.stderr.lines().count(),
        1,
        "one line: {}",
        second.stderr
    );
}

#[test]
fn while_sts_is_down_a_failed_renewal_is_not_retried_for_a_minute() {
    let sts = sts_once_then_failing(
        Duration::from_secs(200),
        (503, "ServiceUnavailable", "down"),
    );
    let s = Scenario::with_role(&sts, "");
    let first = s.run(&["--profile", "prod"]);
    first.ok();
    s.run(&["--profile", "prod"])
        .ok()
        .stderr_has(&["could not renew"]);
    let attempts = sts.count("AssumeRole");
    assert_eq!(attempts, 1 + 3, "one renewal, retried 3 times");
    let third = s.run(&["--profile", "prod"]);
    third.ok().stderr_has(&[
        "renewal failed less than a minute ago",
        "using the cached one",
    ]);
    assert_eq!(third.stdout, first.stdout);
    assert_eq!(
        sts.count("AssumeRole"),
        attempts,
        "no new STS attempt within the minute"
    );
    // --refresh still tries STS (and, it being down, falls back too); cache clear forgets the back-off.
    s.run(&["--profile", "prod", "--refresh"])
        .ok()
        .stderr_has(&["ServiceUnavailable"]);
    assert!(sts.count("AssumeRole") > attempts);
    s.run(&["cache", "clear"]).ok();
    assert!(fs::read_dir(s.cache_dir()).unwrap().all(|e| {
        !e.unwrap()
            .file_name()
            .to_string_lossy()
            .ends_with(".backoff")
    }));
}

#[test]
fn an_expired_entry_is_never_printed_even_when_sts_is_down() {
    let sts = sts_once_then_failing(HOUR, (500, "InternalFailure", "down"));
    let s = Scenario::with_role(&sts, "");
    s.run(&["--profile", "prod"]).ok();
    let entry = s.entry_file();
    let mut doc: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&entry).unwrap()).unwrap();
    doc["credentials"]["Expiration"] = "2020-01-01T00:00:00Z".into();
    fs::write(&entry, doc.to_string()).unwrap();
    s.run(&["--profile", "prod"])
        .failed(5)
        .stderr_has(&["InternalFailure"]);
}

#[test]
fn denial_is_not_papered_over_by_the_cache() {
    let sts = sts_once_then_failing(
        Duration::from_secs(200),
        (403, "AccessDenied", "not authorized"),
    );
    let s = Scenario::with_role(&sts, "");
    s.run(&["--profile", "prod"]).ok();
    s.run(&["--profile", "prod"])
        .failed(4)
        .stderr_has(&["denied"]);
}

#[test]
fn refresh_forces_a_new_session_and_no_cache_touches_nothing() {
    let sts = fake::sts_with(|req, n| assume_role_ok(req, n, HOUR));
    let s = Scenario::with_role(&sts, "");
    let a = s.run(&["--profile", "prod"]);
    let b = s.run(&["--profile", "prod", "--refresh"]);
    assert_ne!(a.ok().stdout, b.ok().stdout);
    let c = s.run(&["--profile", "prod"]);
    assert_eq!(c.ok().stdout, b.stdout, "--refresh rewrote the entry");
    assert_eq!(sts.count("AssumeRole"), 2);

    let fresh = Scenario::with_role(&sts, "");
    fresh.run(&["--profile", "prod", "--no-cache"]).ok();
    fresh.run(&["--profile", "prod", "--no-cache"]).ok();
    assert_eq!(sts.count("AssumeRole"), 4);
    assert!(!fresh.cache_dir().exists(), "--no-cache creates nothing");
}

#[test]
fn cache_list_and_clear() {
    let sts = fake::sts_with(|req, n| assume_role_ok(req, n, HOUR));
    let s = Scenario::with_role(&sts, "");
    s.config(&format!("[profile prod]\nrole_arn = {ROLE_ARN}\nsource_profile = dev\n[profile other]\nrole_arn = arn:aws:iam::111111111111:role/other\nsource_profile = dev\n"));
    s.run(&["--profile", "prod"]).ok();
    s.run(&["--profile", "other"]).ok();
    let list = s.run(&["cache", "list"]);
    list.ok();
    assert!(
        list.stdout.contains("prod")
            && list.stdout.contains("other")
            && list.stdout.contains(ROLE_ARN),
        "{}",
        list.stdout
    );
    assert!(!list.stdout.contains("fake-secret") && !list.stdout.contains("fake-token"));
    s.run(&["cache", "clear", "--profile", "other"]).ok();
    assert_eq!(s.entry_files().len(), 1);
    // Another program's JSON in the directory is not an entry: neither listed nor removed.
    let foreign = s.cache_dir().join("editor-state.json");
    fs::write(&foreign, "{}").unwrap();
    assert!(
        !s.run(&["cache", "list"])
            .ok()
            .stdout
            .contains("editor-state")
    );
    s.run(&["cache", "clear"]).ok();
    assert_eq!(
        s.entry_files(),
        std::slice::from_ref(&foreign),
        "every entry cleared, and only the entries"
    );
    fs::remove_file(&foreign).unwrap();
    s.run(&["--profile", "prod"]).ok();
    assert_eq!(
        sts.count("AssumeRole"),
        3,
        "cleared entries are fetched again"
    );
}

#[test]
fn a_held_lock_bounds_the_wait_and_a_dead_holder_releases_it() {
    let sts = fake::sts_with(|req, n| {
        Reply::After(
            Duration::from_secs(20),
            Box::new(assume_role_ok(req, n, HOUR)),
        )
    });
    let mut s = Scenario::with_role(&sts, "");
    s.set("XACCT_CRED_LOCK_TIMEOUT", "1");
    // A first process takes the lock and waits on a slow STS.
    let mut holder = s
        .command(&["--profile", "prod"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while sts.count("AssumeRole") == 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let started = Instant::now();
    s.run(&["--profile", "prod"])
        .failed(6)
        .stderr_has(&["gave up after 1 s", "XACCT_CRED_LOCK_TIMEOUT"]);
    assert!(started.elapsed() < Duration::from_secs(5));
    // Killed, it holds nothing: the next call takes the lock at once (and waits on STS itself).
    holder.kill().unwrap();
    holder.wait().unwrap();
    let lock_file = fs::read_dir(s.cache_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "lock"))
        .unwrap();
    let f = fs::File::open(&lock_file).unwrap();
    assert!(
        f.try_lock().is_ok(),
        "the killed holder's lock was released by the OS"
    );
}

/// `cache clear` while a renewal is in flight: the renewal must not bring the entry back (clear
/// waits 2 s for it; one that outlasts the wait writes nothing over a removed entry). STS here
/// answers renewals after 3.5 s: longer than clear waits, within the SDK's 4 s read timeout.
#[test]
fn cache_clear_is_not_undone_by_a_renewal_in_flight() {
    let sts = fake::sts_with(|req, n| match n {
        0 => assume_role_ok(req, n, Duration::from_secs(600)),
        _ => Reply::After(
            Duration::from_millis(3500),
            Box::new(assume_role_ok(req, n, HOUR)),
        ),
    });
    let s = Scenario::with_role(&sts, "");
    let warm = s.run(&["--profile", "prod"]);
    let warm_key = warm.ok().json()["AccessKeyId"]
        .as_str()
        .unwrap()
        .to_string();
    // Inside the window, `--export` renews in the call: a renewal in flight in the caller.
    let renewing = s
        .command(&["--profile", "prod", "--export"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    assert!(s.eventually(Duration::from_secs(10), || sts.count("AssumeRole") == 2));
    s.run(&["cache", "clear"]).ok();
    assert!(s.entry_files().is_empty());
    let renewed = Outcome::from(renewing.wait_with_output().unwrap());
    renewed.ok();
    assert!(
        renewed.stdout.contains("AWS_ACCESS_KEY_ID") && !renewed.stdout.contains(&warm_key),
        "the caller got a new session: {}",
        renewed.stderr
    );
    assert!(
        s.entry_files().is_empty(),
        "the renewal in flight brought the cleared entry back"
    );
    // The same with the detached renewal in flight (a credential_process call inside the
    // window starts one): a fresh entry, then one inside the window.
    s.run(&["--profile", "prod"]).ok();
    s.set_time_left(Duration::from_secs(600));
    s.run(&["--profile", "prod"]).ok();
    assert!(s.eventually(Duration::from_secs(10), || sts.count("AssumeRole") == 4));
    assert_eq!(s.background_renewals().len(), 1, "the renewal is in flight");
    s.run(&["cache", "clear"]).ok();
    assert!(s.wait_until_no_processes(Duration::from_secs(20)));
    assert!(
        s.entry_files().is_empty(),
        "the detached renewal brought the cleared entry back"
    );
}

/// `XACCT_CRED_CACHE_DIR=` (set, empty) means the default directory, as every other empty
/// setting does; clap refused the empty value, and every call failed.
#[test]
fn an_empty_cache_dir_variable_means_the_default() {
    let sts = fake::sts();
    let mut s = Scenario::with_role(&sts, "");
    s.set("XACCT_CRED_CACHE_DIR", "");
    s.unset("XDG_CACHE_HOME");
    s.run(&["--profile", "prod"]).ok();
    let default = s.home.path().join(".cache/xacct-cred");
    let entries = std::fs::read_dir(&default)
        .map(|d| d.count())
        .unwrap_or_default();
    assert!(entries > 0, "nothing cached in {}", default.display());
    s.run(&["cache", "list"]).ok();
}
