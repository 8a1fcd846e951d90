//! The credential endpoint through the real binary: `exec --server` and `serve` against the
//! fake STS — what the command's environment holds, renewal without a restart, single flight
//! under load, the token (401s counted, never on disk or in argv), the request bounds, loopback
//! only, paths per profile, signals and exit status.
#![cfg(unix)]

mod support;

use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, ExitStatus, Stdio};
use std::time::{Duration, Instant};
use support::fake::{self, Reply, assume_role_ok, endpoint_get, endpoint_request, raw_exchange};
use support::*;

/// A running `serve --format json`: the variables it printed, and its stderr in a file.
struct Serving {
    child: Option<Child>,
    vars: serde_json::Value,
    log: PathBuf,
    _logs: tempfile::TempDir,
}

fn serve(s: &Scenario, args: &[&str]) -> Serving {
    let logs = tempfile::tempdir().unwrap();
    let log = logs.path().join("stderr");
    let mut all = vec!["serve", "--format", "json"];
    all.extend_from_slice(args);
    let mut child = s
        .command(&all)
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let vars = serde_json::from_str(&line).unwrap_or_else(|e| {
        let _ = child.kill();
        panic!(
            "serve printed {line:?} ({e}); stderr: {}",
            std::fs::read_to_string(&log).unwrap()
        )
    });
    Serving {
        child: Some(child),
        vars,
        log,
        _logs: logs,
    }
}

impl Serving {
    fn url(&self, profile: &str) -> String {
        self.vars[profile]["AWS_CONTAINER_CREDENTIALS_FULL_URI"]
            .as_str()
            .unwrap()
            .to_string()
    }
    fn token(&self, profile: &str) -> String {
        self.vars[profile]["AWS_CONTAINER_AUTHORIZATION_TOKEN"]
            .as_str()
            .unwrap()
            .to_string()
    }
    fn addr(&self, profile: &str) -> String {
        let url = self.url(profile);
        let rest = url.strip_prefix("http://").unwrap();
        rest[..rest.find('/').unwrap()].to_string()
    }
    fn pid(&self) -> i32 {
        self.child.as_ref().unwrap().id() as i32
    }
    fn stderr(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap()
    }
    /// Sends `signal`, waits, returns the exit status and stderr.
    fn stop(mut self, signal: i32) -> (ExitStatus, String) {
        let mut child = self.child.take().unwrap();
        unsafe { libc::kill(child.id() as i32, signal) };
        let status = wait_for(&mut child, Duration::from_secs(20));
        (status, self.stderr())
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn wait_for(child: &mut Child, limit: Duration) -> ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            panic!("the process did not exit within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn key_of(body: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"));
    v["AccessKeyId"].as_str().unwrap().to_string()
}

/// Waits until `f` is true (generous bounds: the machine is shared).
fn eventually(what: &str, limit: Duration, mut f: impl FnMut() -> bool) {
    let start = Instant::now();
    while !f() {
        assert!(start.elapsed() < limit, "{what}: not within {limit:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Sessions of 60 s, renewed once fewer than 57 s remain: due 3 s after each renewal.
fn short_sessions(sts: &FakeServer) -> Scenario {
    let mut s = Scenario::with_role(sts, "");
    s.set("XACCT_CRED_REFRESH_WINDOW", "57");
    s
}

fn sts_60s() -> FakeServer {
    fake::sts_with(|req, n| assume_role_ok(req, n, Duration::from_secs(60)))
}

// ---- exec --server ----

/// A command that records its pid and environment, then waits for `done` and exits 3.
fn recording_command(dir: &Path) -> String {
    let d = dir.display();
    format!(
        "echo $$ > {d}/pid; env > {d}/env.tmp && mv {d}/env.tmp {d}/env; while [ ! -e {d}/done ]; do sleep 0.05; done; exit 3"
    )
}

fn env_file(dir: &Path) -> Vec<(String, String)> {
    eventually("the command started", Duration::from_secs(30), || {
        dir.join("env").exists()
    });
    std::fs::read_to_string(dir.join("env"))
        .unwrap()
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn var<'a>(env: &'a [(String, String)], name: &str) -> Option<&'a str> {
    env.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

#[test]
fn exec_server_gives_the_command_an_endpoint_and_none_of_the_keys() {
    let sts = fake::sts();
    let mut s = Scenario::with_role(&sts, "");
    for (k, v) in [
        ("AWS_ACCESS_KEY_ID", "AKIAPARENT"),
        ("AWS_SECRET_ACCESS_KEY", "parent-secret"),
        ("AWS_SESSION_TOKEN", "parent-token"),
        ("AWS_PROFILE", "prod"),
        ("AWS_DEFAULT_PROFILE", "prod"),
        (
            "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
            "/v2/credentials/x",
        ),
    ] {
        s.set(k, v);
    }
    s.set("XACCT_CRED_LOCK_TIMEOUT", "5");
    let dir = tempfile::tempdir().unwrap();
    let script = recording_command(dir.path());
    let child = s
        .command(&["exec", "--server", "-p", "prod", "--", "sh", "-c", &script])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let env = env_file(dir.path());
    let url = var(&env, "AWS_CONTAINER_CREDENTIALS_FULL_URI")
        .unwrap()
        .to_string();
    let token = var(&env, "AWS_CONTAINER_AUTHORIZATION_TOKEN")
        .unwrap()
        .to_string();
    assert!(
        url.starts_with("http://127.0.0.1:") && url.ends_with("/credentials/prod"),
        "{url}"
    );
    assert!(
        token.len() >= 32 && token.bytes().all(|b| b.is_ascii_hexdigit()),
        "{token}"
    );
    for gone in [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "XACCT_CRED_CHAIN",
    ] {
        assert_eq!(var(&env, gone), None, "{gone} reached the command");
    }
    assert_eq!(var(&env, "AWS_REGION"), Some("eu-west-1"));
    // The token is in no argv: neither ours nor the command's.
    let sh_pid = std::fs::read_to_string(dir.path().join("pid")).unwrap();
    for pid in [child.id().to_string(), sh_pid.trim().to_string()] {
        let argv = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap();
        assert!(!String::from_utf8_lossy(&argv).contains(&token));
    }
    let (status, body) = endpoint_get(&url, Some(&token));
    assert_eq!(status, 200, "{body}");
    let doc: serde_json::Value = serde_json::from_str(&body).unwrap();
    let mut keys: Vec<&str> = doc
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "AccessKeyId",
            "Expiration",
            "RoleArn",
            "SecretAccessKey",
            "Token"
        ]
    );
    assert_eq!(doc["AccessKeyId"], "ASIAFAKE000000000000");
    assert_eq!(doc["Token"], "fake-token-0");
    assert_eq!(doc["RoleArn"], ROLE_ARN);
    assert!(doc["Expiration"].as_str().unwrap().ends_with('Z'));
    std::fs::write(dir.path().join("done"), "").unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(3),
        "the command's exit status is ours"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains(&token) && !stderr.contains("fake-secret"),
        "{stderr}"
    );
    let addr = url
        .strip_prefix("http://")
        .unwrap()
        .split('/')
        .next()
        .unwrap();
    assert!(
        TcpStream::connect(addr).is_err(),
        "the endpoint stops with the command"
    );
    assert_eq!(sts.count("AssumeRole"), 1);
}

#[test]
fn exec_server_renews_while_the_command_runs() {
    let sts = sts_60s();
    let s = short_sessions(&sts);
    let dir = tempfile::tempdir().unwrap();
    let script = recording_command(dir.path());
    let child = s
        .command(&["exec", "--server", "-p", "prod", "--", "sh", "-c", &script])
        .spawn()
        .unwrap();
    let env = env_file(dir.path());
    let url = var(&env, "AWS_CONTAINER_CREDENTIALS_FULL_URI").unwrap();
    let token = var(&env, "AWS_CONTAINER_AUTHORIZATION_TOKEN").unwrap();
    let first = key_of(&endpoint_get(url, Some(token)).1);
    std::thread::sleep(Duration::from_secs(3));
    eventually("a renewed key", Duration::from_secs(30), || {
        key_of(&endpoint_get(url, Some(token)).1) != first
    });
    std::fs::write(dir.path().join("done"), "").unwrap();
    let mut child = child;
    assert_eq!(
        wait_for(&mut child, Duration::from_secs(20)).code(),
        Some(3)
    );
}

#[test]
fn exec_server_forwards_signals_and_reports_death_by_signal() {
    let sts = fake::sts();
    let s = Scenario::with_role(&sts, "");
    for (signal, name) in [
        (libc::SIGTERM, "TERM"),
        (libc::SIGINT, "INT"),
        (libc::SIGHUP, "HUP"),
        (libc::SIGQUIT, "QUIT"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().display();
        let script = format!(
            "trap 'echo {name} > {d}/trapped; exit 42' {name}; touch {d}/ready; while :; do sleep 0.05; done"
        );
        let mut child = s
            .command(&["exec", "--server", "-p", "prod", "--", "sh", "-c", &script])
            .spawn()
            .unwrap();
        eventually("the trap is set", Duration::from_secs(30), || {
            dir.path().join("ready").exists()
        });
        unsafe { libc::kill(child.id() as i32, signal) };
        let status = wait_for(&mut child, Duration::from_secs(20));
        assert_eq!(status.code(), Some(42), "SIG{name}: the trap's exit status");
        let trapped = std::fs::read_to_string(dir.path().join("trapped")).unwrap();
        assert_eq!(trapped.trim(), name);
    }
    let killed = s.run(&[
        "exec",
        "--server",
        "-p",
        "prod",
        "--",
        "sh",
        "-c",
        "kill -9 $$",
    ]);
    assert_eq!(killed.code, Some(137), "killed by signal 9: 128+9");
}

#[test]
fn exec_server_fails_before_running_anything_when_the_role_cannot_be_had() {
    let sts = fake::sts_with(|_, _| fake::sts_error(403, "AccessDenied", "not allowed"));
    let s = Scenario::with_role(&sts, "");
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("ran");
    let script = format!("touch {}", marker.display());
    let out = s.run(&["exec", "--server", "-p", "prod", "--", "sh", "-c", &script]);
    out.failed(4).stderr_has(&["was denied", "not allowed"]);
    assert!(!marker.exists(), "the command never ran");
    s.run(&[
        "exec",
        "--server",
        "-p",
        "prod",
        "--",
        "no-such-command-xyz",
    ])
    .failed(4);
    let ok = fake::sts();
    let s = Scenario::with_role(&ok, "");
    s.run(&[
        "exec",
        "--server",
        "-p",
        "prod",
        "--",
        "no-such-command-xyz",
    ])
    .failed(127)
    .stderr_has(&["command not found"]);
    s.run(&["exec", "--server", "--no-cache", "-p", "prod", "--", "true"])
        .failed(2)
        .stderr_has(&["--no-cache"]);
}

// ---- serve ----

#[test]
fn serve_prints_the_variables_serves_each_profile_on_its_path_and_exits_0() {
    let sts = fake::sts();
    let s = Scenario::with_role(
        &sts,
        "[profile other]\nrole_arn = arn:aws:iam::333333333333:role/other\nsource_profile = dev\n[profile unserved]\nrole_arn = arn:aws:iam::444444444444:role/x\nsource_profile = dev\n",
    );
    let srv = serve(&s, &["-p", "prod", "-p", "other"]);
    let (prod, other) = (srv.url("prod"), srv.url("other"));
    assert_ne!(prod, other);
    let token = srv.token("prod");
    let (st, body) = endpoint_get(&prod, Some(&token));
    assert_eq!(st, 200);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&body).unwrap()["RoleArn"],
        ROLE_ARN
    );
    let (st, body) = endpoint_get(&other, Some(&token));
    assert_eq!(st, 200);
    assert!(
        body.contains("arn:aws:iam::333333333333:role/other"),
        "{body}"
    );
    // A profile the config defines but serve was not asked for is not reachable.
    let base = prod.trim_end_matches("/credentials/prod");
    for path in [
        "/credentials/unserved",
        "/credentials/prod/",
        "/credentials/prod/../unserved",
        "/credentials/%70rod",
        "/credentials",
        "/",
    ] {
        let (st, _) = endpoint_get(&format!("{base}{path}"), Some(&token));
        assert_eq!(st, 404, "{path}");
    }
    assert_eq!(
        sts.count("AssumeRole"),
        2,
        "one per profile, none for unserved"
    );
    let (status, stderr) = srv.stop(libc::SIGTERM);
    assert_eq!(status.code(), Some(0), "{stderr}");
    let srv = serve(&s, &["-p", "prod"]);
    assert_eq!(srv.stop(libc::SIGINT).0.code(), Some(0));
}

#[test]
fn serve_formats_are_shell_ready_with_one_block_per_profile() {
    let sts = fake::sts();
    let s = Scenario::with_role(
        &sts,
        "[profile other]\nrole_arn = arn:aws:iam::333333333333:role/other\nsource_profile = dev\n",
    );
    let mut child = s
        .command(&["serve", "-p", "prod", "-p", "other"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut text = String::new();
    for _ in 0..8 {
        reader.read_line(&mut text).unwrap();
    }
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    assert_eq!(
        wait_for(&mut child, Duration::from_secs(20)).code(),
        Some(0)
    );
    assert!(
        text.starts_with(
            "# profile prod\nexport AWS_CONTAINER_CREDENTIALS_FULL_URI='http://127.0.0.1:"
        ),
        "{text}"
    );
    assert!(text.contains("# profile other\n"), "{text}");
    let blocks: Vec<&str> = text.split("# profile other\n").collect();
    let out = s
        .command_for(
            "sh",
            &[
                "-c",
                &format!(
                    "{}echo \"$AWS_CONTAINER_CREDENTIALS_FULL_URI|$AWS_REGION\"",
                    blocks[0]
                ),
            ],
        )
        .output()
        .unwrap();
    let shown = String::from_utf8(out.stdout).unwrap();
    assert!(shown.contains("/credentials/prod|eu-west-1"), "{shown}");
}

#[test]
fn serve_token_file_is_private_bare_and_removed_on_exit() {
    let sts = fake::sts();
    let s = Scenario::with_role(&sts, "");
    let path = s.home.path().join("token");
    let srv = serve(&s, &["-p", "prod", "--token-file", path_str(&path)]);
    let vars = &srv.vars["prod"];
    assert_eq!(
        vars["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"],
        path_str(&path)
    );
    assert!(
        vars.get("AWS_CONTAINER_AUTHORIZATION_TOKEN").is_none(),
        "only the file holds the token"
    );
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(&path).unwrap();
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    let token = std::fs::read_to_string(&path).unwrap();
    assert_eq!(
        token.len(),
        64,
        "no newline: the Rust SDK sends the file's bytes as they are"
    );
    assert_eq!(endpoint_get(&srv.url("prod"), Some(&token)).0, 200);
    assert_eq!(srv.stop(libc::SIGTERM).0.code(), Some(0));
    assert!(!path.exists(), "removed on exit");
    // Another file is never overwritten.
    std::fs::write(&path, "my notes\n").unwrap();
    let out = s.run(&["serve", "-p", "prod", "--token-file", path_str(&path)]);
    out.failed(2).stderr_has(&["holds something other"]);
    assert!(out.stdout.is_empty());
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "my notes\n");
}

// ---- security ----

#[test]
fn a_request_without_the_exact_token_gets_401_and_is_counted() {
    let sts = fake::sts();
    let s = Scenario::with_role(&sts, "");
    let srv = serve(&s, &["--debug", "-p", "prod"]);
    let (url, token) = (srv.url("prod"), srv.token("prod"));
    let wrong = [
        None,
        Some(String::new()),
        Some(format!("Bearer {token}")),
        Some(token[..63].to_string()),
        Some(format!("{token}0")),
        Some(token.to_uppercase()),
        Some("0".repeat(64)),
    ];
    for (i, t) in wrong.iter().enumerate() {
        let (st, body) = endpoint_get(&url, t.as_deref());
        assert_eq!(st, 401, "{t:?}");
        assert!(!body.contains("ASIA") && !body.contains("fake-"), "{body}");
        // Unauthenticated requests learn nothing about paths or methods either.
        assert_eq!(endpoint_get(&format!("{url}x"), t.as_deref()).0, 401);
        assert_eq!(endpoint_request("POST", &url, t.as_deref()).0, 401, "{i}");
    }
    assert_eq!(endpoint_get(&url, Some(&token)).0, 200);
    let stderr = srv.stderr();
    assert!(stderr.contains("(1 refused so far)"), "{stderr}");
    assert!(stderr.contains("(10 refused so far; "), "{stderr}");
    assert!(!stderr.contains("(11 refused so far"), "{stderr}");
    let (_, stderr) = srv.stop(libc::SIGTERM);
    assert!(
        stderr.contains("21 requests refused without the token"),
        "{stderr}"
    );
    assert!(!stderr.contains(&token), "the token never reaches a log");
    assert!(!stderr.contains("fake-secret") && !stderr.contains("fake-token"));
}

#[test]
fn debug_lines_for_401s_are_few_and_show_no_raw_path_bytes() {
    let sts = fake::sts();
    let s = Scenario::with_role(&sts, "");
    let srv = serve(&s, &["--debug", "-p", "prod"]);
    let (url, token, addr) = (srv.url("prod"), srv.token("prod"), srv.addr("prod"));
    // A right-to-left override in the path would reorder what a terminal shows of the line.
    let request = format!("GET /credentials/\u{202E}prod HTTP/1.1\r\nHost: {addr}\r\n\r\n");
    for _ in 0..200 {
        let answer = raw_exchange(&addr, request.as_bytes(), Duration::from_secs(10));
        assert!(answer.starts_with("HTTP/1.1 401 "), "{answer}");
    }
    assert_eq!(endpoint_get(&url, Some(&token)).0, 200);
    let stderr = srv.stderr();
    let lines = stderr.lines().filter(|l| l.contains("401 for")).count();
    // One debug line each would fill an undrained stderr pipe and stop the endpoint.
    assert!(
        (1..=12).contains(&lines),
        "{lines} lines for 401s: {stderr}"
    );
    assert!(stderr.contains("/credentials/%E2%80%AEprod"), "{stderr}");
    assert!(!stderr.contains('\u{202E}'), "{stderr}");
    let (_, stderr) = srv.stop(libc::SIGTERM);
    assert!(
        stderr.contains("200 requests refused without the token"),
        "{stderr}"
    );
}

#[test]
fn only_get_on_a_served_path_from_a_loopback_host() {
    let sts = fake::sts();
    let s = Scenario::with_role(&sts, "");
    let srv = serve(&s, &["-p", "prod"]);
    let (url, token, addr) = (srv.url("prod"), srv.token("prod"), srv.addr("prod"));
    for method in ["POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH"] {
        assert_eq!(
            endpoint_request(method, &url, Some(&token)).0,
            405,
            "{method}"
        );
    }
    let path = url.strip_prefix(&format!("http://{addr}")).unwrap();
    let rebound = format!(
        "GET {path} HTTP/1.1\r\nHost: attacker.example:{}\r\nAuthorization: {token}\r\n\r\n",
        addr.split(':').nth(1).unwrap()
    );
    let answer = raw_exchange(&addr, rebound.as_bytes(), Duration::from_secs(10));
    assert!(
        answer.starts_with("HTTP/1.1 421 "),
        "DNS rebinding: {answer}"
    );
    assert!(!answer.contains("fake-secret"));
    let body = format!(
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: {token}\r\nContent-Length: 4\r\n\r\nabcd"
    );
    assert!(
        raw_exchange(&addr, body.as_bytes(), Duration::from_secs(10)).starts_with("HTTP/1.1 400 ")
    );
    let junk = raw_exchange(
        &addr,
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n",
        Duration::from_secs(10),
    );
    assert!(junk.starts_with("HTTP/1.1 400 "), "{junk}");
}

#[test]
fn request_size_headers_time_and_connections_are_bounded() {
    let sts = fake::sts();
    let s = Scenario::with_role(&sts, "");
    let srv = serve(&s, &["-p", "prod"]);
    let (url, token, addr) = (srv.url("prod"), srv.token("prod"), srv.addr("prod"));
    // Size: the server answers 431 once 8 KiB arrive without the end of the head.
    let mut big = format!("GET /credentials/prod HTTP/1.1\r\nHost: {addr}\r\nX-Pad: ").into_bytes();
    big.resize(20_000, b'a');
    let answer = raw_exchange(&addr, &big, Duration::from_secs(10));
    assert!(answer.starts_with("HTTP/1.1 431 "), "{answer}");
    let mut many =
        format!("GET /credentials/prod HTTP/1.1\r\nHost: {addr}\r\nAuthorization: {token}\r\n");
    for i in 0..40 {
        many.push_str(&format!("X-{i}: v\r\n"));
    }
    many.push_str("\r\n");
    assert!(
        raw_exchange(&addr, many.as_bytes(), Duration::from_secs(10)).starts_with("HTTP/1.1 431 ")
    );
    // Time: a client that never finishes its head is answered 408 and dropped after ~5 s.
    let start = Instant::now();
    let slow = raw_exchange(
        &addr,
        b"GET /credentials/prod HTTP/1.1\r\nHost: x\r\n",
        Duration::from_secs(30),
    );
    assert!(slow.starts_with("HTTP/1.1 408 "), "{slow}");
    let took = start.elapsed();
    assert!(
        took >= Duration::from_secs(4) && took < Duration::from_secs(25),
        "{took:?}"
    );
    // Connections: with all 64 slots held by clients that connect and say nothing, a request is
    // still answered at once (well inside their 5 s head timeout): the connection silent
    // longest is closed for it.
    let mut held: Vec<TcpStream> = (0..64)
        .map(|_| TcpStream::connect(&addr).unwrap())
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    let timed_get = || {
        let start = Instant::now();
        (endpoint_get(&url, Some(&token)).0, start.elapsed())
    };
    let (st, took) = timed_get();
    assert_eq!(st, 200);
    assert!(
        took < Duration::from_secs(2),
        "waited {took:?} behind 64 silent connections"
    );
    let oldest = &mut held[0];
    oldest
        .set_read_timeout(Some(Duration::from_secs(2)))
        .unwrap();
    let mut buf = [0u8; 16];
    assert_eq!(
        std::io::Read::read(oldest, &mut buf).unwrap(),
        0,
        "the oldest silent connection was closed"
    );
    // A flood that reconnects as fast as it is closed still lets requests through.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flood = std::thread::spawn({
        let (addr, stop) = (addr.clone(), stop.clone());
        move || {
            let mut conns = Vec::new();
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                if let Ok(c) = TcpStream::connect(&addr) {
                    conns.push(c);
                }
                if conns.len() > 200 {
                    conns.remove(0);
                }
            }
        }
    });
    std::thread::sleep(Duration::from_millis(300));
    let timed: Vec<(u16, Duration)> = (0..10).map(|_| timed_get()).collect();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    flood.join().unwrap();
    drop(held);
    assert!(
        timed
            .iter()
            .all(|(st, t)| *st == 200 && *t < Duration::from_secs(3)),
        "requests during the flood: {timed:?}"
    );
    // A burst larger than the slots, accepted in one go before any is read from: still served.
    std::thread::sleep(Duration::from_millis(300));
    let burst: Vec<TcpStream> = (0..130)
        .filter_map(|_| TcpStream::connect(&addr).ok())
        .collect();
    std::thread::sleep(Duration::from_millis(200));
    let (st, took) = timed_get();
    drop(burst);
    assert_eq!(
        (st, took < Duration::from_secs(3)),
        (200, true),
        "behind a burst: {took:?}"
    );
}

#[test]
fn connections_part_way_through_a_head_are_evicted_too() {
    let sts = fake::sts();
    let s = Scenario::with_role(&sts, "");
    let srv = serve(&s, &["-p", "prod"]);
    let (url, token, addr) = (srv.url("prod"), srv.token("prod"), srv.addr("prod"));
    let timed_get = || {
        let start = Instant::now();
        (endpoint_get(&url, Some(&token)).0, start.elapsed())
    };
    // All 64 slots held by clients (no token needed) that each sent one byte of a head and
    // wait: a request is still answered well inside their 5 s head timeout.
    let began = |addr: &str| {
        let mut c = TcpStream::connect(addr).ok()?;
        std::io::Write::write_all(&mut c, b"G").ok()?;
        Some(c)
    };
    let mut held: Vec<TcpStream> = (0..64).map(|_| began(&addr).unwrap()).collect();
    std::thread::sleep(Duration::from_millis(300));
    let (st, took) = timed_get();
    assert_eq!(st, 200);
    assert!(
        took < Duration::from_secs(2),
        "waited {took:?} behind 64 partial heads"
    );
    assert!(
        closed_within(&mut held[0], Duration::from_secs(2)),
        "the oldest partial head was closed for it"
    );
    // Partial heads arriving without pause, more than the slots: requests still get through.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flood = std::thread::spawn({
        let (addr, stop) = (addr.clone(), stop.clone());
        move || {
            let mut conns = std::collections::VecDeque::new();
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                conns.extend(began(&addr));
                if conns.len() > 200 {
                    conns.pop_front();
                }
            }
        }
    });
    std::thread::sleep(Duration::from_millis(300));
    let timed: Vec<(u16, Duration)> = (0..10).map(|_| timed_get()).collect();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    flood.join().unwrap();
    drop(held);
    assert!(
        timed
            .iter()
            .all(|(st, t)| *st == 200 && *t < Duration::from_secs(3)),
        "requests during the flood of partial heads: {timed:?}"
    );
}

/// `GET path` with the token on an open connection, and the answer: (status, body).
fn get_on(conn: &mut TcpStream, addr: &str, path: &str, token: &str) -> (u16, String) {
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: {token}\r\n\r\n");
    std::io::Write::write_all(conn, request.as_bytes()).unwrap();
    let answer = String::from_utf8(fake::read_response_bytes(conn, false)).unwrap();
    let status = answer.split(' ').nth(1).and_then(|s| s.parse().ok());
    let status = status.unwrap_or_else(|| panic!("no HTTP status in {answer:?}"));
    (status, answer.split_once("\r\n\r\n").unwrap().1.to_string())
}

/// Whether the server has closed `conn` (it reads the end of the stream within `wait`).
fn closed_within(conn: &mut TcpStream, wait: Duration) -> bool {
    conn.set_read_timeout(Some(wait)).unwrap();
    matches!(std::io::Read::read(conn, &mut [0u8; 64]), Ok(0))
}

#[test]
fn keep_alive_answers_requests_on_one_connection_until_idle_or_refused() {
    let sts = fake::sts();
    let s = Scenario::with_role(&sts, "");
    let srv = serve(&s, &["-p", "prod"]);
    let (url, token, addr) = (srv.url("prod"), srv.token("prod"), srv.addr("prod"));
    let path = url
        .strip_prefix(&format!("http://{addr}"))
        .unwrap()
        .to_string();
    let mut conn = TcpStream::connect(&addr).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let (first, body) = get_on(&mut conn, &addr, &path, &token);
    assert_eq!(first, 200, "{body}");
    let (second, again) = get_on(&mut conn, &addr, &path, &token);
    assert_eq!((second, key_of(&again)), (200, key_of(&body)));
    // A refusal ends the connection.
    assert_eq!(
        get_on(&mut conn, &addr, "/credentials/nothing", &token).0,
        404
    );
    assert!(closed_within(&mut conn, Duration::from_secs(5)));
    // A kept-alive connection that stays silent after its reply is closed quietly.
    let mut idle = TcpStream::connect(&addr).unwrap();
    idle.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    assert_eq!(get_on(&mut idle, &addr, &path, &token).0, 200);
    let start = Instant::now();
    idle.set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let mut rest = Vec::new();
    let _ = std::io::Read::read_to_end(&mut idle, &mut rest);
    let took = start.elapsed();
    assert!(rest.is_empty(), "{:?}", String::from_utf8_lossy(&rest));
    assert!(
        took >= Duration::from_secs(4) && took < Duration::from_secs(15),
        "closed after {took:?}"
    );
}

#[test]
fn kept_alive_connections_idle_between_requests_are_evicted_oldest_first() {
    let sts = fake::sts();
    let s = Scenario::with_role(&sts, "");
    let srv = serve(&s, &["-p", "prod"]);
    let (url, token, addr) = (srv.url("prod"), srv.token("prod"), srv.addr("prod"));
    let path = url
        .strip_prefix(&format!("http://{addr}"))
        .unwrap()
        .to_string();
    // All 64 slots held by kept-alive connections, each idle after one answered request.
    let first_asked = Instant::now();
    let mut held: Vec<TcpStream> = (0..64)
        .map(|_| {
            let mut c = TcpStream::connect(&addr).unwrap();
            c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
            assert_eq!(get_on(&mut c, &addr, &path, &token).0, 200);
            c
        })
        .collect();
    let start = Instant::now();
    let (st, _) = endpoint_get(&url, Some(&token));
    let took = start.elapsed();
    assert_eq!(st, 200);
    assert!(
        took < Duration::from_secs(2),
        "waited {took:?} behind 64 idle connections"
    );
    assert!(
        closed_within(&mut held[0], Duration::from_secs(2)),
        "the connection idle longest was closed for the new one"
    );
    assert!(
        first_asked.elapsed() < Duration::from_secs(4),
        "(closed by eviction, not by the idle timeout: the test was too slow to tell)"
    );
    // The newest idle one is still open, and still answers.
    let newest = held.last_mut().unwrap();
    assert!(!closed_within(newest, Duration::from_millis(200)));
    newest
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    assert_eq!(get_on(newest, &addr, &path, &token).0, 200);
}

#[test]
fn only_loopback_addresses_are_listened_on() {
    let sts = fake::sts();
    let s = Scenario::with_role(&sts, "");
    for bad in ["0.0.0.0", "::", "192.0.2.10", "169.254.170.2"] {
        let out = s.run(&["serve", "-p", "prod", "--address", bad]);
        out.failed(2).stderr_has(&["loopback addresses only", bad]);
        assert!(out.stdout.is_empty());
    }
    let srv = serve(&s, &["-p", "prod", "--address", "127.0.0.2"]);
    assert!(srv.url("prod").starts_with("http://127.0.0.2:"));
    let taken = srv.addr("prod");
    let port = taken.split(':').nth(1).unwrap();
    let out = s.run(&[
        "serve",
        "-p",
        "prod",
        "--address",
        "127.0.0.2",
        "--port",
        port,
    ]);
    out.failed(2).stderr_has(&["could not listen on", "--port"]);
}

#[test]
fn the_token_is_on_no_disk_and_new_each_run() {
    let sts = fake::sts();
    let s = Scenario::with_role(&sts, "");
    let first = serve(&s, &["-p", "prod"]);
    let token = first.token("prod");
    assert_eq!(endpoint_get(&first.url("prod"), Some(&token)).0, 200);
    let second = serve(&s, &["-p", "prod"]);
    assert_ne!(second.token("prod"), token);
    let mut files = Vec::new();
    let mut dirs = vec![s.home.path().to_path_buf(), std::env::temp_dir()];
    while let Some(d) = dirs.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            match e.file_type() {
                Ok(t) if t.is_dir() && p.starts_with(s.home.path()) => dirs.push(p),
                Ok(t) if t.is_file() => files.push(p),
                _ => {}
            }
        }
    }
    assert!(
        files
            .iter()
            .any(|p| p.extension().is_some_and(|x| x == "json")),
        "the cache entry was scanned"
    );
    for f in files {
        if let Ok(bytes) = std::fs::read(&f) {
            assert!(
                !String::from_utf8_lossy(&bytes).contains(&token),
                "the token is in {}",
                f.display()
            );
        }
    }
    let argv = std::fs::read(format!("/proc/{}/cmdline", first.pid())).unwrap();
    assert!(!String::from_utf8_lossy(&argv).contains(&token));
}

// ---- renewal and single flight ----

#[test]
fn serve_renews_and_32_concurrent_requests_make_one_assume_role() {
    // The first session comes at once; each renewal takes STS a second.
    let sts = fake::sts_with(|req, n| {
        let reply = assume_role_ok(req, n, Duration::from_secs(60));
        if n == 0 {
            reply
        } else {
            Reply::After(Duration::from_secs(1), Box::new(reply))
        }
    });
    let s = short_sessions(&sts);
    let srv = serve(&s, &["-p", "prod"]);
    let (url, token) = (srv.url("prod"), srv.token("prod"));
    let first = key_of(&endpoint_get(&url, Some(&token)).1);
    assert_eq!(sts.count("AssumeRole"), 1);
    std::thread::sleep(Duration::from_secs(4)); // now due for renewal
    let clients: Vec<_> = (0..32)
        .map(|_| {
            let (url, token) = (url.clone(), token.clone());
            std::thread::spawn(move || endpoint_get(&url, Some(&token)))
        })
        .collect();
    for c in clients {
        let (st, body) = c.join().unwrap();
        assert_eq!(st, 200, "{body}");
    }
    eventually("the renewal", Duration::from_secs(30), || {
        sts.count("AssumeRole") >= 2
    });
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(
        sts.count("AssumeRole"),
        2,
        "one AssumeRole for 32 concurrent requests"
    );
    // The renewal writes the entry a moment after STS answers, and the server keeps a read
    // for up to a second: the new key shows within a few seconds.
    eventually("the new session served", Duration::from_secs(10), || {
        key_of(&endpoint_get(&url, Some(&token)).1) != first
    });
    assert_eq!(sts.count("AssumeRole"), 2, "and still one AssumeRole");
}

#[test]
fn a_failure_is_an_error_document_without_secrets() {
    // A session that is already inside the window, then refusals: the request gets a 500 that
    // says why, and the server keeps serving.
    let sts = fake::sts_with(|req, n| {
        if n == 0 {
            // Below the blocking margin, so the request renews in the call (no background).
            assume_role_ok(req, n, Duration::from_secs(200))
        } else {
            fake::sts_error(403, "AccessDenied", "role trust changed")
        }
    });
    let s = Scenario::with_role(&sts, "");
    let srv = serve(&s, &["-p", "prod"]);
    let (st, body) = endpoint_get(&srv.url("prod"), Some(&srv.token("prod")));
    assert_eq!(st, 500, "{body}");
    let doc: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(doc["Code"], "CredentialsUnavailable");
    assert!(
        doc["Message"]
            .as_str()
            .unwrap()
            .contains("role trust changed"),
        "{body}"
    );
    assert!(!body.contains("fake-secret") && !body.contains("fake-token"));
    assert!(srv.stderr().contains("role trust changed"));
    assert!(!srv.stderr().contains("fake-secret"));
}

#[test]
fn a_session_renewed_by_another_xacct_cred_is_served_within_a_second_or_two() {
    // The endpoint and credential_process share the cache: a `--refresh` elsewhere is what the
    // endpoint serves next (its in-memory copy of a fresh session lives one second).
    let sts = fake::sts_with(|req, n| assume_role_ok(req, n, Duration::from_secs(3600)));
    let s = Scenario::with_role(&sts, "");
    let srv = serve(&s, &["-p", "prod"]);
    let (url, token) = (srv.url("prod"), srv.token("prod"));
    let first = key_of(&endpoint_get(&url, Some(&token)).1);
    let renewed = s.run(&["--profile", "prod", "--refresh"]);
    renewed.ok();
    let new_key = renewed.json()["AccessKeyId"].as_str().unwrap().to_string();
    assert_ne!(new_key, first);
    let start = Instant::now();
    eventually(
        "the other process's session",
        Duration::from_secs(10),
        || key_of(&endpoint_get(&url, Some(&token)).1) == new_key,
    );
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(sts.count("AssumeRole"), 2);
}
