//! A source that fails transiently — IMDS or the ECS endpoint failing or hanging, a web-identity
//! STS call failing, a source credential_process failing — serves a still-valid cached session,
//! as an STS outage does; refusals (no role, IMDS turned off, a denied token, a malformed
//! document) still fail, and an expired session is never served.
//!
//! Every cached session here has 200 s left: due for renewal, below any margin for renewing in
//! the background (which is also turned off), so the renewal runs in the foreground and meets
//! the fault.
#![cfg(unix)]

mod support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::fake::{self, Fault, Reply, assume_role_ok};
use support::*;

const LEFT: Duration = Duration::from_secs(200);

fn foreground(s: &mut Scenario) {
    s.set("XACCT_CRED_BACKGROUND_REFRESH", "0");
}

/// The role from the instance role; IMDS switchable.
fn ec2(sts: &FakeServer) -> (Scenario, FakeServer, fake::Switch) {
    let (imds, switch) = fake::imds_switchable();
    let mut s = Scenario::with_role(sts, "");
    s.config(&format!(
        "[profile prod]\nrole_arn = {ROLE_ARN}\ncredential_source = Ec2InstanceMetadata\nregion = eu-west-1\n"
    ));
    s.set("AWS_EC2_METADATA_SERVICE_ENDPOINT", &imds.url());
    foreground(&mut s);
    (s, imds, switch)
}

/// The role from the ECS container endpoint; switchable.
fn ecs(sts: &FakeServer) -> (Scenario, FakeServer, fake::Switch) {
    let (ecs, switch) = fake::ecs_switchable();
    let mut s = Scenario::with_role(sts, "");
    s.config(&format!(
        "[profile prod]\nrole_arn = {ROLE_ARN}\ncredential_source = EcsContainer\nregion = eu-west-1\n"
    ));
    s.set(
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        &format!("{}/v2/credentials/abc", ecs.url()),
    )
    .set("AWS_CONTAINER_AUTHORIZATION_TOKEN", fake::ECS_AUTH_TOKEN);
    foreground(&mut s);
    (s, ecs, switch)
}

/// Renews once (the source working), then leaves the entry with [`LEFT`] to live.
fn warm(s: &Scenario) -> String {
    let out = s.run(&["--profile", "prod"]);
    out.ok();
    s.set_time_left(LEFT);
    out.json()["AccessKeyId"].as_str().unwrap().to_string()
}

#[track_caller]
fn served_from_cache(s: &Scenario, key_id: &str, needles: &[&str]) -> Outcome {
    let out = s.run(&["--profile", "prod"]);
    out.ok()
        .stderr_has(&["could not renew", "using the cached one"])
        .stderr_has(needles)
        .no_secrets_on_stderr();
    assert_eq!(out.json()["AccessKeyId"], key_id);
    out
}

// ---- instance metadata ----

#[test]
fn imds_answering_500_inside_the_window_serves_the_cached_session() {
    let sts = fake::sts();
    let (s, imds, switch) = ec2(&sts);
    let key = warm(&s);
    switch.set(Fault::Status(500));
    let before = imds.requests().len();
    served_from_cache(&s, &key, &["token request", "HTTP 500"]);
    assert!(imds.requests().len() > before, "IMDS was asked");
    assert_eq!(sts.count("AssumeRole"), 1, "no AssumeRole without a source");
}

#[test]
fn imds_failing_the_credentials_request_serves_the_cached_session() {
    let sts = fake::sts();
    let (s, _imds, switch) = ec2(&sts);
    let key = warm(&s);
    for status in [500, 503] {
        switch.set(Fault::CredentialsStatus(status));
        // --refresh: past the one-minute back-off the first failure starts.
        let out = s.run(&["--profile", "prod", "--refresh"]);
        out.ok().stderr_has(&[
            "could not renew",
            "credentials request",
            &format!("HTTP {status}"),
        ]);
        assert_eq!(out.json()["AccessKeyId"], key);
    }
}

#[test]
fn imds_that_hangs_serves_the_cached_session_in_bounded_time() {
    let sts = fake::sts();
    let (s, _imds, switch) = ec2(&sts);
    let key = warm(&s);
    switch.set(Fault::Hang);
    let started = Instant::now();
    served_from_cache(&s, &key, &["token request"]);
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "bounded: {:?}",
        started.elapsed()
    );
}

#[test]
fn imds_failing_with_an_expired_session_fails_clearly() {
    let sts = fake::sts();
    let (s, _imds, switch) = ec2(&sts);
    warm(&s);
    s.expire_entry();
    switch.set(Fault::Status(500));
    s.run(&["--profile", "prod"]).failed(3).stderr_has(&[
        "instance metadata",
        "token request",
        "HTTP 500",
        "retry shortly",
    ]);
}

#[test]
fn imds_refusals_are_not_papered_over_by_the_cache() {
    // (how IMDS answers, what the message must say)
    type Imds = fn(&fake::Request) -> Option<Reply>;
    let cases: [(Imds, &str, &str); 3] = [
        // The instance profile was detached: the role list is gone.
        (
            |r| {
                (r.method == "GET" && r.path == "/latest/meta-data/iam/security-credentials/")
                    .then(|| Reply::text(404, "Not Found"))
            },
            "no IAM role",
            "HTTP 404",
        ),
        // IMDS turned off: the token PUT is forbidden.
        (
            |r| (r.method == "PUT").then(|| Reply::text(403, "Forbidden")),
            "refused the token request",
            "HTTP 403",
        ),
        // The token is not accepted.
        (
            |r| (r.method == "GET").then(|| Reply::text(401, "Unauthorized")),
            "rejected the session token",
            "HTTP 401",
        ),
    ];
    for (answer, what, status) in cases {
        let sts = fake::sts();
        let broken = Arc::new(AtomicBool::new(false));
        let b = broken.clone();
        let imds = FakeServer::start(move |req, _| {
            let odd = if b.load(Ordering::SeqCst) {
                answer(req)
            } else {
                None
            };
            odd.unwrap_or_else(|| fake::imds_reply(req))
        });
        let mut s = Scenario::with_role(&sts, "");
        s.config(&format!(
            "[profile prod]\nrole_arn = {ROLE_ARN}\ncredential_source = Ec2InstanceMetadata\nregion = eu-west-1\n"
        ));
        s.set("AWS_EC2_METADATA_SERVICE_ENDPOINT", &imds.url());
        foreground(&mut s);
        warm(&s);
        broken.store(true, Ordering::SeqCst);
        s.run(&["--profile", "prod"])
            .failed(3)
            .stderr_has(&[what, status]);
    }
}

#[test]
fn imds_with_a_malformed_credentials_document_is_a_refusal() {
    let sts = fake::sts();
    let broken = Arc::new(AtomicBool::new(false));
    let b = broken.clone();
    let imds = FakeServer::start(move |req, _| {
        if b.load(Ordering::SeqCst)
            && req.path
                == format!(
                    "/latest/meta-data/iam/security-credentials/{}",
                    fake::IMDS_ROLE
                )
        {
            Reply::json(200, "{\"Code\":\"Success\"}".into())
        } else {
            fake::imds_reply(req)
        }
    });
    let mut s = Scenario::with_role(&sts, "");
    s.config(&format!(
        "[profile prod]\nrole_arn = {ROLE_ARN}\ncredential_source = Ec2InstanceMetadata\nregion = eu-west-1\n"
    ));
    s.set("AWS_EC2_METADATA_SERVICE_ENDPOINT", &imds.url());
    foreground(&mut s);
    warm(&s);
    broken.store(true, Ordering::SeqCst);
    s.run(&["--profile", "prod"])
        .failed(3)
        .stderr_has(&["unusable credentials", "missing"]);
}

// ---- the ECS container endpoint ----

#[test]
fn ecs_endpoint_failing_or_hanging_serves_the_cached_session() {
    let sts = fake::sts();
    let (s, _ecs, switch) = ecs(&sts);
    let key = warm(&s);
    switch.set(Fault::Status(500));
    served_from_cache(&s, &key, &["container credentials endpoint", "HTTP 500"]);
    switch.set(Fault::Hang);
    let started = Instant::now();
    let out = s.run(&["--profile", "prod", "--refresh"]);
    out.ok().stderr_has(&["could not renew"]);
    assert_eq!(out.json()["AccessKeyId"], key);
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn ecs_endpoint_refusing_fails_and_an_expired_session_is_never_served() {
    let sts = fake::sts();
    let (s, _ecs, switch) = ecs(&sts);
    warm(&s);
    switch.set(Fault::Status(403));
    s.run(&["--profile", "prod"])
        .failed(3)
        .stderr_has(&["container credentials endpoint", "HTTP 403"]);
    s.expire_entry();
    switch.set(Fault::Status(503));
    s.run(&["--profile", "prod"])
        .failed(3)
        .stderr_has(&["HTTP 503", "may pass"]);
}

// ---- source profiles resolved by aws-config ----

/// A source profile whose credential_process is a script the test rewrites.
fn with_helper(sts: &FakeServer) -> (Scenario, std::path::PathBuf) {
    let mut s = Scenario::with_role(sts, "");
    let helper = s.home.path().join("helper.sh");
    s.config(&format!(
        "[profile prod]\nrole_arn = {ROLE_ARN}\nsource_profile = helper\nregion = eu-west-1\n\n[profile helper]\ncredential_process = /bin/sh {}\n",
        helper.display()
    ));
    std::fs::write(
        &helper,
        "echo '{\"Version\":1,\"AccessKeyId\":\"AKIAHELPER0000000001\",\"SecretAccessKey\":\"helper-secret\"}'\n",
    )
    .unwrap();
    foreground(&mut s);
    (s, helper)
}

#[test]
fn a_source_credential_process_failing_serves_the_cached_session() {
    let sts = fake::sts();
    let (s, helper) = with_helper(&sts);
    let key = warm(&s);
    std::fs::write(&helper, "echo 'vault: connection refused' >&2; exit 1\n").unwrap();
    served_from_cache(&s, &key, &["source_profile helper", "exit status: 1"]);
    assert_eq!(sts.count("AssumeRole"), 1);
}

#[test]
fn a_source_credential_process_that_cannot_run_or_prints_garbage_fails() {
    let sts = fake::sts();
    let (s, helper) = with_helper(&sts);
    warm(&s);
    std::fs::write(&helper, "echo not-a-document\n").unwrap();
    s.run(&["--profile", "prod"])
        .failed(3)
        .stderr_has(&["source_profile helper", "could not parse"]);
    std::fs::write(&helper, "exec /nonexistent/helper\n").unwrap();
    s.run(&["--profile", "prod"])
        .failed(3)
        .stderr_has(&["exit status: 127"]);
}

/// An STS that answers AssumeRole, and AssumeRoleWithWebIdentity with `failing`'s error if set.
fn sts_with_web_identity(failing: Arc<Mutex<Option<(u16, &'static str)>>>) -> FakeServer {
    FakeServer::start(move |req, n| match req.action().as_str() {
        "AssumeRole" => assume_role_ok(req, n, Duration::from_secs(3600)),
        "AssumeRoleWithWebIdentity" => match *failing.lock().unwrap() {
            Some((status, code)) => fake::sts_error(status, code, "no"),
            None => web_identity_ok(),
        },
        _ => fake::sts_error(400, "InvalidAction", "unknown action"),
    })
}

fn web_identity_ok() -> Reply {
    let exp = (time::OffsetDateTime::now_utc() + Duration::from_secs(3600))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    Reply::xml(
        200,
        format!(
            r#"<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleWithWebIdentityResult><Credentials><AccessKeyId>ASIAWEBID00000000001</AccessKeyId><SecretAccessKey>fake-secret-webid</SecretAccessKey><SessionToken>fake-token-webid</SessionToken><Expiration>{exp}</Expiration></Credentials><AssumedRoleUser><AssumedRoleId>AROAWEBID:ci</AssumedRoleId><Arn>arn:aws:sts::222222222222:assumed-role/ci/ci</Arn></AssumedRoleUser><SubjectFromWebIdentityToken>ci</SubjectFromWebIdentityToken></AssumeRoleWithWebIdentityResult><ResponseMetadata><RequestId>req-wi</RequestId></ResponseMetadata></AssumeRoleWithWebIdentityResponse>"#
        ),
    )
}

#[test]
fn a_web_identity_source_failing_transiently_serves_the_cached_session_and_a_refusal_fails() {
    let failing = Arc::new(Mutex::new(None));
    let sts = sts_with_web_identity(failing.clone());
    let mut s = Scenario::with_role(&sts, "");
    let token = s.home.path().join("token");
    std::fs::write(&token, "eyJhbGciOi.fake.jwt").unwrap();
    s.config(&format!(
        "[profile prod]\nrole_arn = {ROLE_ARN}\nsource_profile = ci\nregion = eu-west-1\n\n[profile ci]\nrole_arn = arn:aws:iam::222222222222:role/ci\nweb_identity_token_file = {}\nrole_session_name = ci\n",
        token.display()
    ));
    foreground(&mut s);
    let key = warm(&s);
    assert_eq!(
        sts.count("AssumeRoleWithWebIdentity"),
        1,
        "the source is web identity"
    );
    assert!(
        sts.last("AssumeRole")
            .header("authorization")
            .unwrap()
            .contains("Credential=ASIAWEBID00000000001/")
    );
    *failing.lock().unwrap() = Some((500, "InternalFailure"));
    served_from_cache(&s, &key, &["source_profile ci"]);
    assert!(sts.count("AssumeRoleWithWebIdentity") > 1);
    // An invalid token is a refusal: no cached session papers over it.
    *failing.lock().unwrap() = Some((400, "InvalidIdentityToken"));
    let out = s.run(&["--profile", "prod", "--refresh"]);
    out.failed(3).stderr_has(&["source_profile ci"]);
}

#[test]
fn a_source_credential_process_that_hangs_is_bounded_serves_the_cached_session_and_is_left_running()
{
    // aws-config bounds none of a profile source's steps, so a hung helper would hang every
    // caller: it is a passing failure after renew::SOURCE_TIMEOUT (15 s). A foreground call
    // never ends the helper it gave up on: without a terminal (a GUI, an IDE) nothing tells it
    // that no one waits on the helper (a browser login); nor what the helper started with
    // `setsid`. (The detached renewal and the servers end theirs: tests/renewal.rs,
    // tests/endpoint.rs.)
    let sts = fake::sts();
    let (s, helper) = with_helper(&sts);
    let key = warm(&s);
    let pid_file = s.home.path().join("helper.pid");
    let agent_file = s.home.path().join("agent.pid");
    std::fs::write(
        &helper,
        format!(
            "echo $$ >> {}; setsid sleep 40 & echo $! >> {}; exec sleep 40\n",
            pid_file.display(),
            agent_file.display()
        ),
    )
    .unwrap();
    let started = Instant::now();
    served_from_cache(&s, &key, &["did not come within 15 s"]);
    let took = started.elapsed();
    s.expire_entry();
    let started = Instant::now();
    s.run(&["--profile", "prod"])
        .failed(3)
        .stderr_has(&["source_profile helper", "did not come within 15 s"]);
    let took_expired = started.elapsed();
    let pids = |file: &std::path::Path| -> Vec<String> {
        std::fs::read_to_string(file)
            .unwrap_or_default()
            .lines()
            .map(|p| p.trim().to_string())
            .collect()
    };
    let (helpers, agents) = (pids(&pid_file), pids(&agent_file));
    // (A kill would have been delivered within a moment of the call's return.)
    std::thread::sleep(Duration::from_millis(300));
    let running: Vec<bool> = helpers.iter().chain(&agents).map(|p| alive(p)).collect();
    for pid in helpers.iter().chain(&agents) {
        let _ = std::process::Command::new("kill").arg(pid).status();
    }
    assert_eq!(helpers.len(), 2, "two calls, two helpers: {helpers:?}");
    assert_eq!(agents.len(), 2, "{agents:?}");
    // (Linux only: elsewhere this test has no /proc to look at them in.)
    if cfg!(target_os = "linux") {
        assert!(
            running.iter().all(|r| *r),
            "a foreground call ended a helper or what it started with setsid: {running:?}"
        );
    }
    assert!(took < Duration::from_secs(30), "bounded: {took:?}");
    assert!(
        took_expired < Duration::from_secs(30),
        "bounded: {took_expired:?}"
    );
    assert_eq!(sts.count("AssumeRole"), 1);
}

/// Whether process `pid` runs (exists and is not a zombie; Linux /proc).
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
