//! Port squatting around the credential endpoint: the token proves a client to the endpoint,
//! not the endpoint to a client, so whatever holds the port a client calls gets its requests.
//! `serve --port N` refuses a port someone else holds, naming the risk; `exec --server` names
//! the processes its command left behind that still carry the endpoint's variables.
#![cfg(unix)]

mod support;

use support::fake;
use support::*;

#[test]
fn serve_on_a_fixed_port_someone_else_holds_refuses_and_says_why_it_matters() {
    let sts = fake::sts();
    let s = Scenario::with_role(&sts, "");
    let squatter = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = squatter.local_addr().unwrap().port().to_string();
    let out = s.run(&["serve", "-p", "prod", "--port", &port]);
    out.failed(2)
        .stderr_has(&[&format!("127.0.0.1:{port}"), "another process", "--port"]);
    assert!(
        out.stdout.is_empty(),
        "no variables printed: {}",
        out.stdout
    );
}

#[cfg(target_os = "linux")]
#[test]
fn exec_server_names_the_background_jobs_that_outlive_it() {
    let sts = fake::sts();
    let s = Scenario::with_role(&sts, "");
    // The command starts a job in the background and exits at once.
    let out = s.run(&[
        "exec",
        "--server",
        "-p",
        "prod",
        "--",
        "sh",
        "-c",
        "sleep 30 >/dev/null 2>&1 & echo $!",
    ]);
    let pid: i32 = out
        .stdout
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("{out:?}"));
    unsafe { libc::kill(pid, libc::SIGTERM) };
    out.ok().stderr_has(&[
        "still run with this endpoint's variables",
        &format!("pid {pid}"),
        "another local user",
    ]);
    assert!(!out.stderr.contains(&"0".repeat(8)), "{}", out.stderr);

    // A command that leaves nothing behind gets no such note.
    let out = s.run(&["exec", "--server", "-p", "prod", "--", "true"]);
    out.ok();
    assert!(!out.stderr.contains("still run"), "{}", out.stderr);
}
