//! `serve --token-file` against a path someone else prepared: the token never lands in a file
//! another user can read, a FIFO or a link cannot hold `serve` up or feed it, and a second
//! `serve` on the same path neither takes over nor removes the first one's live token.
//! The other-user cases run as root with `nobody` (uid 65534) preparing the path; they are
//! `#[ignore]`d for everyone else and run by scripts/test-all.sh as root.
#![cfg(unix)]

mod support;

use std::io::{BufRead, BufReader};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};
use support::fake::{self, endpoint_get};
use support::*;

const NOBODY: u32 = 65534;

/// `serve --format json --token-file PATH`: Ok(the child and its variables) once it printed
/// them, or Err(its exit status and stderr) if it ended first; killed (and the test failed) if
/// it did neither within 15 s.
fn start_serve(s: &Scenario, path: &Path) -> Result<(Child, serde_json::Value), (i32, String)> {
    start(s.command(&serve_args(path)))
}

fn serve_args(path: &Path) -> [&str; 7] {
    [
        "serve",
        "--format",
        "json",
        "-p",
        "prod",
        "--token-file",
        path_str(path),
    ]
}

/// [`start_serve`] for any command line.
fn start(mut command: std::process::Command) -> Result<(Child, serde_json::Value), (i32, String)> {
    let logs = tempfile::tempdir().unwrap();
    let log = logs.path().join("stderr");
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = rx.recv_timeout(Duration::from_secs(15));
    let stderr = || std::fs::read_to_string(&log).unwrap_or_default();
    match line {
        Ok(line) if !line.trim().is_empty() => Ok((child, serde_json::from_str(&line).unwrap())),
        Ok(_) => {
            let started = Instant::now();
            let status = loop {
                if let Some(st) = child.try_wait().unwrap() {
                    break st;
                }
                if started.elapsed() > Duration::from_secs(15) {
                    let _ = child.kill();
                    let _ = child.wait();
                    panic!("serve neither served nor ended: {}", stderr());
                }
                std::thread::sleep(Duration::from_millis(20));
            };
            Err((status.code().unwrap_or(-1), stderr()))
        }
        Err(_) => {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "serve printed nothing and did not end within 15 s (held up by the path?): {}",
                stderr()
            );
        }
    }
}

fn stop(mut child: Child) {
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("serve did not stop on SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The endpoint URL a serve printed for `prod`.
fn url_of(vars: &serde_json::Value) -> String {
    vars["prod"]["AWS_CONTAINER_CREDENTIALS_FULL_URI"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Another process on the port of `url` (for as long as the listener lives), and its address.
fn squat(url: &str) -> (std::net::TcpListener, String) {
    let address = url.split('/').nth(2).unwrap().to_string();
    (std::net::TcpListener::bind(&address).unwrap(), address)
}

/// Runs serve on `path`, which must refuse (exit 2) and publish nothing: its stderr. `what`
/// says what publishing would have done, for the failure.
fn refused(s: &Scenario, path: &Path, what: &str) -> String {
    match start_serve(s, path) {
        Ok((child, _)) => {
            stop(child);
            panic!("{what}");
        }
        Err((code, stderr)) => {
            assert_eq!(code, 2, "{stderr}");
            stderr
        }
    }
}

/// A directory anyone may add files to, as /tmp: where another user can prepare the path.
fn shared_dir(s: &Scenario) -> std::path::PathBuf {
    let dir = s.home.path().join("shared");
    std::fs::create_dir(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o1777)).unwrap();
    dir
}

#[test]
fn a_second_serve_on_the_same_path_neither_takes_over_nor_removes_the_live_token() {
    let sts = fake::sts();
    let s = Scenario::with_role(&sts, "");
    let path = s.home.path().join("token");
    let (first, vars) = start_serve(&s, &path).expect("the first serve starts");
    let url = url_of(&vars);
    let token = std::fs::read_to_string(&path).unwrap();
    assert_eq!(endpoint_get(&url, Some(&token)).0, 200);

    match start_serve(&s, &path) {
        Ok((second, _)) => {
            let now = std::fs::read_to_string(&path).unwrap_or_default();
            let first_gets = endpoint_get(&url, Some(&now)).0;
            stop(second);
            let left = path.exists();
            stop(first);
            panic!(
                "a second serve started on a live token file (token now {}, the first's clients get {first_gets}; the file {} after the second stopped)",
                if now == token {
                    "unchanged"
                } else {
                    "replaced"
                },
                if left { "stayed" } else { "was removed" }
            );
        }
        Err((code, stderr)) => {
            assert_eq!(code, 2, "{stderr}");
            assert!(stderr.contains("in use by a running"), "{stderr}");
        }
    }
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        token,
        "the live token stays"
    );
    assert_eq!(
        endpoint_get(&url, Some(&token)).0,
        200,
        "the first's clients still get in"
    );
    stop(first);
    assert!(!path.exists(), "the first removes its own file on exit");
}

/// A serve that was killed leaves its token file and the address record beside it: the next
/// one replaces the file and listens where its clients call. A token file with no record (its
/// clients' address unknown) is left alone and nothing is published.
#[test]
fn a_killed_serves_token_file_is_replaced_at_the_same_address() {
    let sts = fake::sts();
    let s = Scenario::with_role(&sts, "");
    let path = s.home.path().join("token");
    let (mut killed, vars) = start_serve(&s, &path).expect("the first serve starts");
    let url = vars["prod"]["AWS_CONTAINER_CREDENTIALS_FULL_URI"].clone();
    killed.kill().unwrap();
    killed.wait().unwrap();
    let stale = std::fs::read_to_string(&path).expect("a killed serve leaves its file");
    let (child, vars) = start_serve(&s, &path).expect("a killed serve's file is replaced");
    assert_eq!(vars["prod"]["AWS_CONTAINER_CREDENTIALS_FULL_URI"], url);
    let token = std::fs::read_to_string(&path).unwrap();
    assert_ne!(token, stale);
    assert_eq!(
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o600
    );
    stop(child);

    let other = s.home.path().join("other-token");
    std::fs::write(&other, "a".repeat(64)).unwrap();
    std::fs::set_permissions(&other, std::fs::Permissions::from_mode(0o600)).unwrap();
    let stderr = refused(
        &s,
        &other,
        "a token was published where the clients' address is unknown",
    );
    assert!(stderr.contains("not the address"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&other).unwrap(), "a".repeat(64));
}

/// As root, in a shared directory, `prepare` (run as root, then handed to nobody) leaves
/// something at the path; serve must refuse at once and leave it as it was.
fn refused_as_root(what: &str, prepare: impl FnOnce(&Path)) {
    assert_eq!(
        unsafe { libc::geteuid() },
        0,
        "run as root (scripts/test-all.sh does)"
    );
    let sts = fake::sts();
    let s = Scenario::with_role(&sts, "");
    let path = shared_dir(&s).join("token");
    prepare(&path);
    std::os::unix::fs::lchown(&path, Some(NOBODY), Some(NOBODY)).unwrap();
    let started = Instant::now();
    match start_serve(&s, &path) {
        Ok((child, _)) => {
            let meta = std::fs::symlink_metadata(&path).unwrap();
            let readable_by_nobody = meta.uid() == NOBODY || meta.mode() & 0o004 != 0;
            stop(child);
            panic!(
                "{what}: serve accepted it (file owner uid {}, mode {:o}, nobody can read the token: {readable_by_nobody})",
                meta.uid(),
                meta.mode() & 0o7777
            );
        }
        Err((code, stderr)) => {
            assert_eq!(code, 2, "{what}: {stderr}");
            assert!(stderr.contains("--token-file"), "{what}: {stderr}");
            assert!(!stderr.contains("panicked"), "{what}: {stderr}");
        }
    }
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{what}: refused at once, not after {:?}",
        started.elapsed()
    );
    assert_eq!(
        std::fs::symlink_metadata(&path).unwrap().uid(),
        NOBODY,
        "{what}: left as it was"
    );
}

#[test]
#[ignore = "needs root and the nobody user; scripts/test-all.sh runs it as root"]
fn as_root_a_token_file_in_a_directory_another_user_controls_is_refused() {
    assert_eq!(
        unsafe { libc::geteuid() },
        0,
        "run as root (scripts/test-all.sh does)"
    );
    let sts = fake::sts();
    let s = Scenario::with_role(&sts, "");
    let theirs = s.home.path().join("theirs");
    std::fs::create_dir(&theirs).unwrap();
    std::os::unix::fs::chown(&theirs, Some(NOBODY), Some(NOBODY)).unwrap();
    for (path, why) in [
        (theirs.join("token"), "owned by uid 65534"),
        (shared_dir(&s).join("token"), "writable by other users"),
    ] {
        match start_serve(&s, &path) {
            Ok((child, _)) => {
                stop(child);
                panic!("serve wrote its token at {}", path.display());
            }
            Err((code, stderr)) => {
                assert_eq!(code, 2, "{stderr}");
                for part in ["as root", "--token-file", why] {
                    assert!(stderr.contains(part), "{part}: {stderr}");
                }
            }
        }
        assert!(!path.exists(), "{}", path.display());
    }
}

#[test]
#[ignore = "needs root and the nobody user; scripts/test-all.sh runs it as root"]
fn as_root_an_empty_world_writable_file_another_user_made_is_refused() {
    refused_as_root("an empty 0666 file of nobody's", |p| {
        std::fs::write(p, "").unwrap();
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o666)).unwrap();
    });
}

#[test]
#[ignore = "needs root and the nobody user; scripts/test-all.sh runs it as root"]
fn as_root_a_fifo_another_user_made_is_refused_without_blocking() {
    refused_as_root("a FIFO of nobody's", |p| {
        let c = std::ffi::CString::new(path_str(p)).unwrap();
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o666) }, 0);
    });
}

#[test]
#[ignore = "needs root and the nobody user; scripts/test-all.sh runs it as root"]
fn as_root_a_link_to_dev_zero_another_user_made_is_refused_without_reading_it() {
    refused_as_root("a link of nobody's to /dev/zero", |p| {
        std::os::unix::fs::symlink("/dev/zero", p).unwrap();
    });
}

/// The clients of a `serve --token-file` read each new token from the file but keep the
/// address they were given: a restart listens on that address again, and when someone else
/// holds it, publishes no token at all (else that holder would receive the live token).
#[test]
fn a_restart_keeps_the_address_and_publishes_nothing_when_it_is_taken() {
    let sts = fake::sts();
    let s = Scenario::with_role(&sts, "");
    let path = s.home.path().join("token");
    let (first, vars) = start_serve(&s, &path).expect("the first serve starts");
    let url = url_of(&vars);
    stop(first);
    // A restart, with the path spelled through a link to its directory and another cache
    // directory: the same address, so the first run's clients get in with the new token.
    let link = s.home.path().join("link");
    std::os::unix::fs::symlink(s.home.path(), &link).unwrap();
    let mut s = s;
    s.set(
        "XACCT_CRED_CACHE_DIR",
        path_str(&s.home.path().join("other-cache")),
    );
    let (second, vars) = start_serve(&s, &link.join("token")).expect("a restart starts");
    assert_eq!(url_of(&vars), url, "a restart moved the endpoint");
    let token = std::fs::read_to_string(&path).unwrap();
    assert_eq!(endpoint_get(&url, Some(&token)).0, 200);
    stop(second);
    // Someone takes the freed port: the next serve refuses and publishes nothing there.
    let (squatter, address) = squat(&url);
    let stderr = refused(
        &s,
        &path,
        "serve published a token while another process held its clients' port",
    );
    assert!(
        stderr.contains(&address) && stderr.contains("new --token-file"),
        "{stderr}"
    );
    assert!(
        !path.exists(),
        "a token file was left for the squatter's clients"
    );
    drop(squatter);
}

/// A token file's directory wiped between runs (a systemd RuntimeDirectory, a tmpfs) takes the
/// record beside the file with it: the copy in the cache directory still keeps the address.
#[test]
fn a_wiped_token_directory_still_keeps_the_address() {
    let sts = fake::sts();
    let s = Scenario::with_role(&sts, "");
    let run = s.home.path().join("run");
    std::fs::create_dir(&run).unwrap();
    let path = run.join("token");
    let (first, vars) = start_serve(&s, &path).expect("the first serve starts");
    let url = url_of(&vars);
    stop(first);
    // A copy missing (an older version kept only the record beside the file): the next run,
    // bound by the record beside the file, writes it.
    let copies = |s: &Scenario| -> Vec<std::path::PathBuf> {
        std::fs::read_dir(s.cache_dir())
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.to_string_lossy().ends_with(".addr"))
            .collect()
    };
    for copy in copies(&s) {
        std::fs::remove_file(copy).unwrap();
    }
    let (second, _) = start_serve(&s, &path).expect("a restart starts");
    stop(second);
    assert_eq!(copies(&s).len(), 1, "the copy was not written again");
    std::fs::remove_dir_all(&run).unwrap();
    std::fs::create_dir(&run).unwrap();
    let (squatter, address) = squat(&url);
    let stderr = refused(
        &s,
        &path,
        "a token was published on a new port after the directory was wiped",
    );
    assert!(stderr.contains(&address), "{stderr}");
    assert!(!path.exists());
    drop(squatter);
}

/// A directory on the token file's path swapped for a link to a fresh one between runs (by a
/// member of a shared ancestor's group, say): the copy kept under the path as spelled still
/// binds the next run to its clients' address.
#[test]
fn a_directory_swapped_for_a_link_on_the_way_still_keeps_the_address() {
    let sts = fake::sts();
    let s = Scenario::with_role(&sts, "");
    let team = s.home.path().join("team");
    std::fs::create_dir_all(team.join("run")).unwrap();
    let path = team.join("run/token");
    let (first, vars) = start_serve(&s, &path).expect("the first serve starts");
    let url = url_of(&vars);
    stop(first);
    std::fs::rename(team.join("run"), team.join("run.old")).unwrap();
    std::fs::create_dir(team.join("x")).unwrap();
    std::os::unix::fs::symlink("x", team.join("run")).unwrap();
    let (squatter, address) = squat(&url);
    let stderr = refused(
        &s,
        &path,
        "a token was published on a new port after a directory was swapped",
    );
    assert!(stderr.contains(&address), "{stderr}");
    assert!(!team.join("x/token").exists());
    drop(squatter);
}

/// What another user could move: a directory on the way to the token file, or to the cache
/// directory that keeps a copy of its address, that its group may write to. Moving it (with
/// the address records) between runs would have the next serve publish its token on a new
/// port, while the old clients call the old one, which a group member then holds. Refused for
/// every user, before anything is written.
#[test]
fn a_token_file_or_cache_directory_a_group_member_could_move_is_refused() {
    let sts = fake::sts();
    let mut s = Scenario::with_role(&sts, "");
    let team = s.home.path().join("team");
    std::fs::create_dir_all(team.join("u/run")).unwrap();
    std::fs::set_permissions(&team, std::fs::Permissions::from_mode(0o2770)).unwrap();
    let safe = s.home.path().join("run");
    std::fs::create_dir(&safe).unwrap();
    let shared_cache = team.join("u/cache");
    for (token, cache, why) in [
        (team.join("u/run/token"), s.cache_dir(), "its group"),
        (safe.join("token"), shared_cache.clone(), "cache directory"),
    ] {
        s.set("XACCT_CRED_CACHE_DIR", path_str(&cache));
        match start_serve(&s, &token) {
            Ok((child, _)) => {
                stop(child);
                panic!(
                    "serve published a token at {} with the cache at {}",
                    token.display(),
                    cache.display()
                );
            }
            Err((code, stderr)) => {
                // As root the cache directory is refused before (exit 6, a cache error), by
                // the walk root makes wherever it uses the cache.
                let root = unsafe { libc::geteuid() } == 0;
                let (expected, doing) = match why {
                    "cache directory" if root => (6, "cache directory"),
                    _ => (2, "--token-file"),
                };
                assert_eq!(code, expected, "{stderr}");
                for part in [doing, why, &format!("{} is writable", team.display())] {
                    assert!(stderr.contains(part), "{part}: {stderr}");
                }
            }
        }
        assert!(!token.exists(), "{}", token.display());
        assert!(
            std::fs::read_dir(token.parent().unwrap())
                .unwrap()
                .next()
                .is_none(),
            "nothing written beside {}",
            token.display()
        );
    }
    assert!(!shared_cache.exists(), "no cache directory made there");
    // The same paths, once the group may not write there, are served.
    std::fs::set_permissions(&team, std::fs::Permissions::from_mode(0o2750)).unwrap();
    let (child, _) = start_serve(&s, &team.join("u/run/token")).expect("a private path serves");
    stop(child);
}

/// The same as another user (not root, whose walk was already strict): `nobody` keeps its token
/// file under its own directory inside a group-shared one (2770). Before, serve published there,
/// and a group member who renamed the directory away between runs received the next token.
#[test]
#[ignore = "needs root and the nobody user; scripts/test-all.sh runs it as root"]
fn as_another_user_a_token_file_under_a_group_shared_directory_is_refused() {
    use std::os::unix::process::CommandExt;
    assert_eq!(
        unsafe { libc::geteuid() },
        0,
        "run as root (scripts/test-all.sh does)"
    );
    let sts = fake::sts();
    let s = Scenario::with_role(&sts, "");
    let (_bin_dir, bin) = binary_anyone_may_run();
    let team = s.home.path().join("team");
    std::fs::create_dir_all(team.join("u/run")).unwrap();
    s.give_home_to(NOBODY);
    std::fs::set_permissions(team.join("u"), std::fs::Permissions::from_mode(0o700)).unwrap();
    let token = team.join("u/run/token");
    let as_nobody = || {
        let mut c = s.command_for(path_str(&bin), &serve_args(&token));
        c.uid(NOBODY).gid(NOBODY);
        c
    };
    std::fs::set_permissions(&team, std::fs::Permissions::from_mode(0o2770)).unwrap();
    match start(as_nobody()) {
        Ok((child, _)) => {
            stop(child);
            panic!("serve, as nobody, published its token under a group-shared directory");
        }
        Err((code, stderr)) => {
            assert_eq!(code, 2, "{stderr}");
            assert!(stderr.contains("its group"), "{stderr}");
            assert!(!stderr.contains("as root,"), "{stderr}");
        }
    }
    assert!(!token.exists());
    // A token file on a private path, but the cache directory (which keeps a copy of its
    // address) under the group-shared one.
    let private = s.home.path().join("run");
    std::fs::create_dir(&private).unwrap();
    std::os::unix::fs::chown(&private, Some(NOBODY), Some(NOBODY)).unwrap();
    let mut c = s.command_for(path_str(&bin), &serve_args(&private.join("token")));
    c.uid(NOBODY)
        .gid(NOBODY)
        .env("XACCT_CRED_CACHE_DIR", team.join("u/cache"));
    match start(c) {
        Ok((child, _)) => {
            stop(child);
            panic!("serve, as nobody, kept its address in a cache a group member could move");
        }
        Err((code, stderr)) => {
            assert_eq!(code, 2, "{stderr}");
            assert!(stderr.contains("in the cache directory"), "{stderr}");
            assert!(stderr.contains("its group"), "{stderr}");
        }
    }
    assert!(!private.join("token").exists());
    // Not group-writable: nobody's serve runs (so the refusal above was the path's, not the
    // test's set-up).
    std::fs::set_permissions(&team, std::fs::Permissions::from_mode(0o2750)).unwrap();
    let (child, _) = start(as_nobody()).expect("nobody's serve on a private path");
    assert_eq!(std::fs::symlink_metadata(&token).unwrap().uid(), NOBODY);
    stop(child);
}

/// `--token-file token`, typed relative: the variable names the file serve wrote, by its
/// absolute path, so a client in another directory does not read whatever another user put
/// under that name there.
#[test]
fn a_relative_token_file_is_given_to_the_clients_by_its_absolute_path() {
    let sts = fake::sts();
    let s = Scenario::with_role(&sts, "");
    let run = s.home.path().join("run");
    std::fs::create_dir(&run).unwrap();
    let mut command = s.command(&serve_args(Path::new("token")));
    command.current_dir(&run);
    let (child, vars) = start(command).expect("serve starts");
    let named = vars["prod"]["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"].clone();
    let token = std::fs::read_to_string(run.join("token")).unwrap();
    assert_eq!(endpoint_get(&url_of(&vars), Some(&token)).0, 200);
    stop(child);
    assert_eq!(named, path_str(&run.join("token")));
}

/// The copy of the address in the cache directory cannot be written (here a directory stands
/// at its name; a full disk, which another user may cause, does the same): serve publishes
/// nothing, for without the copy a wiped token directory would send the next token elsewhere.
#[test]
fn no_token_is_published_when_the_address_copy_cannot_be_written() {
    let sts = fake::sts();
    let s = Scenario::with_role(&sts, "");
    let run = s.home.path().join("run");
    std::fs::create_dir(&run).unwrap();
    let path = run.join("token");
    let (first, _) = start_serve(&s, &path).expect("the first serve starts");
    stop(first);
    let copies: Vec<_> = std::fs::read_dir(s.cache_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".addr"))
        .collect();
    assert!(!copies.is_empty(), "the first run kept a copy");
    for copy in &copies {
        std::fs::remove_file(copy).unwrap();
        std::fs::create_dir(copy).unwrap();
    }
    let stderr = refused(
        &s,
        &path,
        "a token was published with no copy of its address kept",
    );
    assert!(stderr.contains("no copy of its address"), "{stderr}");
    assert!(!path.exists());
    // A first run that cannot write the copy leaves no record beside the file either: it
    // would name an address no client was given, and another user who then took that port
    // would keep the path from being served.
    let fresh = run.join("fresh");
    let copy_name = |p: &Path| {
        use sha2::Digest;
        let digest = sha2::Sha256::digest(p.as_os_str().as_encoded_bytes());
        let hex: String = digest[..10].iter().map(|b| format!("{b:02x}")).collect();
        format!("endpoint-{hex}.addr")
    };
    for spelling in [
        fresh.clone(),
        std::fs::canonicalize(&run).unwrap().join("fresh"),
    ] {
        let _ = std::fs::create_dir(s.cache_dir().join(copy_name(&spelling)));
    }
    let stderr = refused(
        &s,
        &fresh,
        "a token was published with no copy of its address kept",
    );
    assert!(stderr.contains("no copy of its address"), "{stderr}");
    assert!(
        !run.join(".fresh.xacct-cred-addr").exists(),
        "a record of an address never given"
    );
}
