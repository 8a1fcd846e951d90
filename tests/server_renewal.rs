//! How a long-running server renews: in its own process, with the plan it started with, from
//! an executable that may since have been deleted, ending every source helper it gives up on.
//! Every process a test starts (the server, the helpers) is ended before it returns.
#![cfg(target_os = "linux")]

mod support;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};
use support::fake::{self, assume_role_ok, endpoint_get};
use support::*;

/// Ten minutes: inside the 16-minute window, above the 5-minute margin.
const IN_WINDOW: Duration = Duration::from_secs(600);

/// A running `serve --format json -p prod` (from `program`), killed when dropped.
struct Serving {
    child: Child,
    url: String,
    token: String,
}

impl Serving {
    fn start(s: &Scenario, program: &Path) -> Serving {
        let mut child = s
            .command_for(
                program.to_str().unwrap(),
                &["serve", "--format", "json", "-p", "prod"],
            )
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let vars: serde_json::Value = serde_json::from_str(&line).unwrap_or_else(|e| {
            let _ = child.kill();
            panic!("serve printed {line:?} ({e})")
        });
        let var = |name: &str| vars["prod"][name].as_str().unwrap().to_string();
        Serving {
            url: var("AWS_CONTAINER_CREDENTIALS_FULL_URI"),
            token: var("AWS_CONTAINER_AUTHORIZATION_TOKEN"),
            child,
        }
    }

    fn get(&self) -> (u16, String) {
        endpoint_get(&self.url, Some(&self.token))
    }

    /// SIGTERM, and the wait for it to exit.
    fn stop(mut self) {
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let until = Instant::now() + Duration::from_secs(20);
        while self.child.try_wait().unwrap().is_none() {
            assert!(Instant::now() < until, "serve did not stop");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn key_of(body: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"));
    v["AccessKeyId"].as_str().unwrap().to_string()
}

/// An STS whose first session is inside the window, and every later one an hour long.
fn sts_first_inside_the_window() -> FakeServer {
    fake::sts_with(|req, n| match n {
        0 => assume_role_ok(req, n, IN_WINDOW),
        _ => assume_role_ok(req, n, Duration::from_secs(3600)),
    })
}

/// Issue 18, item 4: after a config edit, the detached renewal a server started rebuilt
/// another key, gave up silently and recorded nothing, so every request started another
/// detach + renew pair (20 requests, 40 processes, no AssumeRole). A server renews in its own
/// process with the plan it started with.
#[test]
fn a_config_edited_under_a_running_serve_still_renews_and_starts_no_process() {
    let sts = sts_first_inside_the_window();
    let s = Scenario::with_role(&sts, "");
    let serving = Serving::start(&s, Path::new(BIN));
    let (_, first) = serving.get();
    let first = key_of(&first);
    s.config(&format!(
        "[profile prod]\nrole_arn = {ROLE_ARN}\nsource_profile = dev\nregion = eu-west-1\nrole_session_name = edited\n"
    ));
    let mut seen_renewals = 0;
    let mut keys = Vec::new();
    for _ in 0..20 {
        let (status, body) = serving.get();
        assert_eq!(status, 200, "{body}");
        keys.push(key_of(&body));
        seen_renewals += s.background_renewals().len();
        std::thread::sleep(Duration::from_millis(100));
    }
    let processes = s.processes();
    assert_eq!(
        processes,
        vec![serving.child.id()],
        "nothing but serve itself is running"
    );
    assert_eq!(seen_renewals, 0, "no detached renewal was started");
    assert_eq!(sts.count("AssumeRole"), 2, "renewed once, in the server");
    assert_ne!(
        keys.last().unwrap(),
        &first,
        "the renewed session is served"
    );
    serving.stop();
}

/// Issue 18, item 5: after a package upgrade the running server's executable is a deleted
/// file; renewals must not depend on starting it again.
#[test]
fn a_serve_whose_executable_was_deleted_still_renews() {
    let sts = sts_first_inside_the_window();
    let s = Scenario::with_role(&sts, "");
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("xacct-cred");
    std::fs::copy(BIN, &copy).unwrap();
    let serving = Serving::start(&s, &copy);
    std::fs::remove_file(&copy).unwrap();
    let (_, first) = serving.get();
    let first = key_of(&first);
    let renewed = s.eventually(Duration::from_secs(10), || {
        let (_, body) = serving.get();
        key_of(&body) != first
    });
    let list = s.run(&["cache", "list"]);
    assert!(
        renewed,
        "not renewed (AssumeRole: {}); cache list: {}",
        sts.count("AssumeRole"),
        list.stdout
    );
    assert!(
        !list.stdout.contains("last failed renewal"),
        "{}",
        list.stdout
    );
    serving.stop();
}

/// Whether process `pid` runs (exists and is not a zombie).
fn alive(pid: &str) -> bool {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let state = stat
        .rsplit(')')
        .next()
        .unwrap_or("")
        .split_whitespace()
        .next();
    state.is_some_and(|s| s != "Z")
}

/// Issue 18, item 6: hung source helpers piled up under `serve` (one more every ~17 s) and
/// outlived it. A server ends the helper it gives up on, and what it still waits for when it
/// stops.
#[test]
fn a_server_ends_the_source_helpers_it_gives_up_on_and_leaves_none_behind() {
    ends_the_helpers_it_gives_up_on("");
}

/// The same for a helper that moved to a session of its own (`credential_process = exec setsid
/// …`): a child the server started is its own whatever session it is in.
#[test]
fn a_server_ends_a_helper_that_moved_to_its_own_session() {
    ends_the_helpers_it_gives_up_on("exec setsid ");
}

/// `wrapper` goes before the helper in its profile's `credential_process`.
fn ends_the_helpers_it_gives_up_on(wrapper: &str) {
    let sts = fake::sts();
    let s = Scenario::with_role(&sts, "");
    let helper = s.with_helper_source(wrapper);
    let pids = s.home.path().join("helper.pids");
    let serving = Serving::start(&s, Path::new(BIN));
    // From now on the helper hangs (and starts a child of its own), and the session is gone.
    std::fs::write(
        &helper,
        format!("echo $$ >> {}; sleep 100; :\n", pids.display()),
    )
    .unwrap();
    s.expire_entry();
    std::thread::sleep(Duration::from_millis(1100));
    let read = || -> Vec<String> {
        std::fs::read_to_string(&pids)
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect()
    };
    let started = Instant::now();
    let (status, _) = serving.get();
    let took = started.elapsed();
    let first = read();
    // (A kill is delivered within a moment.)
    let first_ended = s.eventually(Duration::from_secs(3), || !first.iter().any(|p| alive(p)));
    // A second request gives up no sooner than 15 s: the server stops while it waits.
    let url = (serving.url.clone(), serving.token.clone());
    let waiting = std::thread::spawn(move || endpoint_get(&url.0, Some(&url.1)));
    assert!(s.eventually(Duration::from_secs(10), || read().len() == 2));
    serving.stop();
    let _ = waiting.join();
    let all = read();
    let none_left = s.eventually(Duration::from_secs(3), || !all.iter().any(|p| alive(p)));
    let left = s.processes();
    s.kill_processes();
    assert_ne!(status, 200);
    assert!(took < Duration::from_secs(30), "bounded: {took:?}");
    assert_eq!(first.len(), 1, "{first:?}");
    assert!(first_ended, "the helper given up on runs on: {first:?}");
    assert!(none_left, "a helper outlived serve: {all:?}");
    assert!(left.is_empty(), "left running: {left:?}");
}

/// What a source helper leaves behind once it has exited — a child that still held its output
/// (`agent &`, which also makes the server give up on the helper), or a double-forked
/// grandchild (the helper itself succeeds) — is below no thread's children: re-parented to
/// init, it outlived serve for good. A server ends the first once it gives up (no other source
/// call under way), and the second when it stops.
#[test]
fn a_server_ends_what_its_helpers_left_behind() {
    let sts = fake::sts();
    let s = Scenario::with_role(&sts, "");
    let helper = s.with_helper_source("");
    let keys = std::fs::read_to_string(&helper).unwrap();
    let held = s.home.path().join("held.pid");
    let forked = s.home.path().join("forked.pid");
    let serving = Serving::start(&s, Path::new(BIN));
    let pid_in = |file: &Path| {
        std::fs::read_to_string(file)
            .unwrap_or_default()
            .trim()
            .to_string()
    };
    // A child that keeps the helper's output open: the server waits 15 s, then gives up.
    std::fs::write(
        &helper,
        format!("sleep 100 &\necho $! > {}\n{keys}", held.display()),
    )
    .unwrap();
    s.expire_entry();
    let (status, _) = serving.get();
    let held = pid_in(&held);
    let held_ended = s.eventually(Duration::from_secs(3), || !alive(&held));
    // A double fork: the helper answers at once, and its grandchild stays until serve stops.
    std::fs::write(
        &helper,
        format!(
            "(sleep 100 > /dev/null 2>&1 < /dev/null & echo $! > {})\n{keys}",
            forked.display()
        ),
    )
    .unwrap();
    s.expire_entry();
    let (second, _) = serving.get();
    let forked = pid_in(&forked);
    let forked_ran = alive(&forked);
    serving.stop();
    let forked_ended = s.eventually(Duration::from_secs(3), || !alive(&forked));
    let left = s.processes();
    s.kill_processes();
    assert_ne!(status, 200, "the first helper never closed its output");
    assert!(
        !held.is_empty() && held_ended,
        "the child holding the helper's output runs on: {held}"
    );
    assert_eq!(second, 200);
    assert!(
        !forked.is_empty() && forked_ran,
        "the double fork ran: {forked}"
    );
    assert!(
        forked_ended,
        "the double-forked grandchild outlived serve: {forked}"
    );
    assert!(left.is_empty(), "left running: {left:?}");
}
