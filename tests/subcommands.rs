//! doctor, setup, policy, exec and console through the real binary, against the fakes.
#![cfg(unix)]

mod support;

use std::fs;
use std::process::Stdio;
use std::time::{Duration, Instant};
use support::fake::{self, Reply, assume_role_ok, caller_identity, sts_error};
use support::terminal::Terminal;
use support::*;

// ---- doctor ----

#[test]
fn doctor_passes_every_step_and_says_what_it_checked() {
    let sts = fake::sts();
    let s = Scenario::with_role(&sts, "external_id = ext-1");
    let out = s.run(&["doctor", "--profile", "prod"]);
    out.ok().no_secrets_on_stderr();
    for step in [
        "✔ config",
        "✔ plan",
        "✔ source credential",
        "✔ clock",
        "✔ assume role",
        "✔ cache",
    ] {
        assert!(out.stdout.contains(step), "{step} missing:\n{}", out.stdout);
    }
    assert!(
        out.stdout
            .contains("arn:aws:iam::222222222222:user/asi-dev"),
        "the caller ARN: {}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("profile prod has role_arn, source_profile, external_id, region"),
        "{}",
        out.stdout
    );
    assert!(
        !out.stdout.contains(DEV_SECRET) && !out.stdout.contains("fake-secret"),
        "{}",
        out.stdout
    );
    assert_eq!(sts.last("AssumeRole").params()["ExternalId"], "ext-1");

    let json = s.run(&["doctor", "--profile", "prod", "--json"]);
    let v = json.ok().json();
    assert_eq!(v["ok"], true);
    let steps: Vec<&str> = v["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["step"].as_str().unwrap())
        .collect();
    assert_eq!(
        steps,
        [
            "config",
            "plan",
            "source credential",
            "clock",
            "assume role",
            "cache"
        ]
    );
}

#[test]
fn doctor_explains_a_denied_assume_role_and_exits_non_zero() {
    let sts = fake::sts_with(|_, _| {
        sts_error(
            403,
            "AccessDenied",
            "not authorized to perform: sts:AssumeRole",
        )
    });
    let s = Scenario::with_role(&sts, "");
    let out = s.run(&["doctor", "--profile", "prod"]);
    assert_ne!(out.code, Some(0));
    assert!(out.stdout.contains("✘ assume role"), "{}", out.stdout);
    assert!(
        out.stdout.contains("trust policy")
            && out.stdout.contains(
                "sts:AssumeRole on arn:aws:iam::111111111111:role/readonly-asi-production-bucket"
            ),
        "{}",
        out.stdout
    );
    let v = s.run(&["doctor", "--profile", "prod", "--json"]).json();
    assert_eq!(v["ok"], false);
    assert_eq!(v["steps"][4]["status"], "fail");
    assert!(
        v["steps"][4]["fix"]
            .as_str()
            .unwrap()
            .contains("trust policy")
    );
}

#[test]
fn doctor_skips_what_depends_on_a_broken_plan() {
    let sts = fake::sts();
    let s = Scenario::with_role(&sts, "");
    s.config("[profile prod]\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = dev\n");
    let v = s.run(&["doctor", "--profile", "prod", "--json"]).json();
    let status: Vec<&str> = v["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["status"].as_str().unwrap())
        .collect();
    assert_eq!(status, ["pass", "fail", "skip", "skip", "skip", "skip"]);
    assert!(
        v["steps"][1]["detail"]
            .as_str()
            .unwrap()
            .contains("12 digits")
    );
    assert!(sts.requests().is_empty());
}

#[test]
fn doctor_measures_the_clock_against_sts() {
    for (skew, mark, ok) in [(120, "! clock", true), (600, "✘ clock", false)] {
        let sts = FakeServer::start(move |req, _| match req.action().as_str() {
            "GetCallerIdentity" => {
                match caller_identity("arn:aws:iam::222222222222:user/asi-dev") {
                    Reply::Respond {
                        status,
                        content_type,
                        body,
                        ..
                    } => Reply::Respond {
                        status,
                        content_type,
                        body,
                        headers: vec![("Date", fake::http_date(-skew))],
                    },
                    other => other,
                }
            }
            _ => assume_role_ok(req, 0, Duration::from_secs(3600)),
        });
        let s = Scenario::with_role(&sts, "");
        let out = s.run(&["doctor", "--profile", "prod"]);
        assert!(out.stdout.contains(mark), "{skew}: {}", out.stdout);
        assert!(
            out.stdout.contains(&format!("+{skew} s off")),
            "{}",
            out.stdout
        );
        assert_eq!(out.code == Some(0), ok, "{}", out.stdout);
    }
}

#[test]
fn doctor_names_the_imds_step_and_the_hop_limit() {
    let sts = fake::sts();
    let imds = fake::imds_with_silent_token_put();
    let mut s = Scenario::with_role(&sts, "");
    s.config(&format!(
        "[profile prod]\nrole_arn = {ROLE_ARN}\ncredential_source = Ec2InstanceMetadata\n"
    ));
    s.set("AWS_EC2_METADATA_SERVICE_ENDPOINT", &imds.url());
    let out = s.run(&["doctor", "--profile", "prod"]);
    assert!(
        out.stdout.contains("✘ source credential")
            && out.stdout.contains("PUT /latest/api/token")
            && out.stdout.contains("hop limit"),
        "{}",
        out.stdout
    );

    let good = fake::imds();
    s.set("AWS_EC2_METADATA_SERVICE_ENDPOINT", &good.url());
    let out = s.run(&["doctor", "--profile", "prod"]);
    out.ok();
    assert!(
        out.stdout
            .contains("IMDSv2: token PUT, role name and credentials all answered"),
        "{}",
        out.stdout
    );
}

// ---- exec ----

#[test]
fn exec_passes_the_credentials_and_the_exit_code() {
    let sts = fake::sts();
    let mut s = Scenario::with_role(&sts, "");
    s.set("AWS_PROFILE", "readonlys3crossaccount");
    let out = s.run(&["exec", "--profile", "prod", "--", "sh", "-c", "echo \"$AWS_ACCESS_KEY_ID|$AWS_SECRET_ACCESS_KEY|$AWS_SESSION_TOKEN|$AWS_REGION|${AWS_PROFILE-unset}|$XACCT_CRED_EXEC\"; exit 7"]);
    assert_eq!(out.code, Some(7), "{}", out.stderr);
    assert_eq!(
        out.stdout.trim(),
        "ASIAFAKE000000000000|fake-secret-0|fake-token-0|eu-west-1|unset|prod"
    );
    assert_eq!(sts.count("AssumeRole"), 1);
    s.run(&["exec", "--profile", "prod", "--", "true"]).ok();
    assert_eq!(sts.count("AssumeRole"), 1, "exec uses the cache");
}

#[test]
fn exec_refuses_to_nest_unless_asked_and_reports_a_missing_command() {
    let sts = fake::sts();
    let mut s = Scenario::with_role(&sts, "");
    s.set("XACCT_CRED_EXEC", "outer");
    s.run(&["exec", "--profile", "prod", "--", "true"])
        .failed(2)
        .stderr_has(&[
            "already inside `xacct-cred exec` for outer",
            "--allow-nested",
        ]);
    s.run(&["exec", "--allow-nested", "--profile", "prod", "--", "true"])
        .ok();
    s.run(&[
        "exec",
        "--profile",
        "prod",
        "--allow-nested",
        "--",
        "no-such-command-xyz",
    ])
    .failed(127)
    .stderr_has(&["command not found"]);
}

#[test]
fn exec_lets_signals_reach_the_command() {
    let sts = fake::sts();
    let s = Scenario::with_role(&sts, "");
    let ready = s.home.path().join("ready");
    let script = format!(
        "trap 'exit 42' TERM; touch {}; while :; do sleep 0.05; done",
        ready.display()
    );
    let child = s
        .command(&["exec", "--profile", "prod", "--", "sh", "-c", &script])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !ready.exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(ready.exists(), "the command started");
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(42),
        "SIGTERM reached the command's trap: {:?}",
        out
    );
}

// ---- console ----

#[test]
fn console_prints_the_switch_role_url() {
    let sts = fake::sts();
    let s = Scenario::with_role(&sts, "");
    let out = s.run(&[
        "console",
        "--profile",
        "prod",
        "--display-name",
        "Prod (read only)",
        "--role-color",
        "#99bce3",
    ]);
    assert_eq!(
        out.ok().stdout.trim(),
        "https://signin.aws.amazon.com/switchrole?account=111111111111&roleName=readonly-asi-production-bucket&displayName=Prod%20%28read%20only%29&color=99BCE3"
    );
    assert!(
        sts.requests().is_empty(),
        "the switch-role URL needs no credentials"
    );
    s.run(&["console", "--profile", "prod", "--role-color", "red"])
        .failed(2)
        .stderr_has(&["hex"]);
    // --color is the terminal's flag elsewhere; here it is no flag at all.
    s.run(&["console", "--profile", "prod", "--color", "99bce3"])
        .failed(2);
}

#[test]
fn console_federated_signs_in_through_the_federation_endpoint() {
    let sts = fake::sts();
    let federation =
        FakeServer::start(|_, _| Reply::json(200, r#"{"SigninToken":"signin-token-123"}"#.into()));
    let mut s = Scenario::with_role(&sts, "");
    s.set(
        "XACCT_CRED_FEDERATION_ENDPOINT",
        &format!("{}/federation", federation.url()),
    );
    let out = s.run(&["console", "--profile", "prod", "--federated"]);
    let url = out.ok().stdout.trim().to_string();
    assert!(url.starts_with(&format!("{}/federation?Action=login&Issuer=xacct-cred&Destination=https%3A%2F%2Feu-west-1.console.aws.amazon.com", federation.url())), "{url}");
    assert!(url.ends_with("&SigninToken=signin-token-123"), "{url}");
    let req = &federation.requests()[0];
    assert!(
        req.path
            .starts_with("/federation?Action=getSigninToken&Session="),
        "{}",
        req.path
    );
    let session = req
        .path
        .split("Session=")
        .nth(1)
        .unwrap()
        .replace("%22", "\"")
        .replace("%3A", ":")
        .replace("%2C", ",")
        .replace("%7B", "{")
        .replace("%7D", "}");
    assert!(
        session.contains("\"sessionId\":\"ASIAFAKE000000000000\"")
            && session.contains("\"sessionToken\":\"fake-token-0\""),
        "{session}"
    );

    let down = FakeServer::start(|_, _| Reply::text(500, "no"));
    s.set("XACCT_CRED_FEDERATION_ENDPOINT", &down.url());
    s.run(&["console", "--profile", "prod", "--federated"])
        .failed(5)
        .stderr_has(&["did not give a sign-in token", "HTTP 500"]);
}

/// The federation GET takes the proxy the SDK's STS client takes (both read HTTP_PROXY,
/// http_proxy and ALL_PROXY through aws-smithy-http-client's `ProxyConfig::from_env`).
#[test]
fn console_federated_goes_through_the_same_http_proxy_as_sts() {
    let sts = fake::sts();
    let federation =
        FakeServer::start(|_, _| Reply::json(200, r#"{"SigninToken":"signin-token-123"}"#.into()));
    let mut s = Scenario::with_role(&sts, "");
    s.set(
        "XACCT_CRED_FEDERATION_ENDPOINT",
        &format!("{}/federation", federation.url()),
    );
    for variable in ["HTTP_PROXY", "http_proxy", "ALL_PROXY"] {
        let proxy = fake::http_proxy();
        s.set(variable, &proxy.url());
        let out = s.run(&["console", "--profile", "prod", "--federated", "--no-cache"]);
        s.unset(variable);
        let url = out.ok().stdout.trim().to_string();
        assert!(
            url.ends_with("&SigninToken=signin-token-123"),
            "{variable}: {url}"
        );
        let seen: Vec<String> = proxy
            .requests()
            .iter()
            .map(|r| format!("{} {}", r.method, r.path))
            .collect();
        assert!(
            seen.iter()
                .any(|l| l.starts_with(&format!("POST {}/", sts.url()))),
            "{variable}: AssumeRole went through the proxy: {seen:?}"
        );
        assert!(
            seen.iter().any(|l| l.starts_with(&format!(
                "GET {}/federation?Action=getSigninToken&Session=",
                federation.url()
            ))),
            "{variable}: getSigninToken went through the proxy: {seen:?}"
        );
    }
    assert_eq!(
        federation.requests().len(),
        3,
        "the proxy relayed each GET to the endpoint"
    );
}

/// An https:// endpoint goes through HTTPS_PROXY as a CONNECT tunnel; a proxy that refuses it
/// fails the command with a hint, and never with the URL (it carries the session).
#[test]
fn console_federated_tunnels_through_https_proxy_and_a_refusal_shows_no_session() {
    let sts = fake::sts();
    let proxy = fake::http_proxy();
    let mut s = Scenario::with_role(&sts, "");
    s.set("HTTPS_PROXY", &proxy.url());
    let out = s.run(&["console", "--profile", "prod", "--federated"]);
    out.failed(5)
        .stderr_has(&["did not give a sign-in token", "HTTPS_PROXY"])
        .no_secrets_on_stderr();
    for leak in ["Session=", "sessionKey", "getSigninToken"] {
        assert!(
            !out.stderr.contains(leak),
            "{leak} in stderr:\n{}",
            out.stderr
        );
    }
    let seen: Vec<String> = proxy
        .requests()
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert_eq!(
        seen,
        ["CONNECT signin.aws.amazon.com:443"],
        "only the https request used HTTPS_PROXY; the http:// STS went direct"
    );
    assert_eq!(sts.count("AssumeRole"), 1);
}

/// NO_PROXY sends matching hosts around the proxy, for the federation GET as for STS.
#[test]
fn console_federated_bypasses_the_proxy_for_no_proxy_hosts() {
    let sts = fake::sts();
    let federation =
        FakeServer::start(|_, _| Reply::json(200, r#"{"SigninToken":"signin-token-123"}"#.into()));
    let proxy = fake::http_proxy();
    let mut s = Scenario::with_role(&sts, "");
    s.set(
        "XACCT_CRED_FEDERATION_ENDPOINT",
        &format!("{}/federation", federation.url()),
    );
    s.set("HTTP_PROXY", &proxy.url());
    s.set("NO_PROXY", "example.invalid, 127.0.0.0/8");
    s.run(&["console", "--profile", "prod", "--federated"]).ok();
    assert!(proxy.requests().is_empty(), "{:?}", proxy.requests());
    assert_eq!(federation.requests().len(), 1);
    assert_eq!(sts.count("AssumeRole"), 1);
}

// ---- setup ----

#[test]
fn setup_adds_two_profiles_keeps_everything_else_and_is_idempotent() {
    let sts = fake::sts();
    let s = Scenario::with_role(&sts, "");
    let original = "# my comment\n[default]\nregion = eu-west-1 ; inline\n\n[profile other]\nregion = us-east-2\ns3 =\n  addressing_style = path\n";
    s.config(original);
    let args = [
        "setup",
        "--name",
        "prodro",
        "--role-arn",
        ROLE_ARN,
        "--source-profile",
        "dev",
        "--external-id",
        "ext-7",
        "--no-doctor",
    ];
    s.run(&args).ok();
    let config_path = s.home.path().join(".aws/config");
    let written = fs::read_to_string(&config_path).unwrap();
    assert!(
        written.starts_with(original),
        "every existing line kept:\n{written}"
    );
    let bin = std::fs::canonicalize(BIN).unwrap();
    assert!(written.contains(&format!("[profile prodro-role]\nrole_arn = {ROLE_ARN}\nsource_profile = dev\nexternal_id = ext-7\n")), "{written}");
    assert!(
        written.contains(&format!(
            "[profile prodro]\ncredential_process = {} --profile prodro-role",
            bin.display()
        )),
        "{written}"
    );
    let backups = || {
        fs::read_dir(s.home.path().join(".aws"))
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .contains(".bak-")
            })
            .count()
    };
    assert_eq!(backups(), 1);
    assert_eq!(
        fs::read_to_string(
            fs::read_dir(s.home.path().join(".aws"))
                .unwrap()
                .map(|e| e.unwrap().path())
                .find(|p| p.to_string_lossy().contains(".bak-"))
                .unwrap()
        )
        .unwrap(),
        original
    );

    // Again: nothing changes, no new backup.
    s.run(&args).ok().stderr_has(&["already set up"]);
    assert_eq!(fs::read_to_string(&config_path).unwrap(), written);
    assert_eq!(backups(), 1);

    // The new role profile works.
    s.run(&["--profile", "prodro-role"]).ok();
    assert_eq!(sts.last("AssumeRole").params()["ExternalId"], "ext-7");
}

#[test]
fn setup_refuses_a_different_definition_without_force() {
    let sts = fake::sts();
    let s = Scenario::with_role(&sts, "");
    s.config("[profile prodro-role]\nrole_arn = arn:aws:iam::111111111111:role/old\nsource_profile = dev\n");
    let args = [
        "setup",
        "--name",
        "prodro",
        "--role-arn",
        ROLE_ARN,
        "--source-profile",
        "dev",
        "--no-doctor",
    ];
    s.run(&args).failed(2).stderr_has(&[
        "already defines [profile prodro-role] differently",
        "role/old",
        "--force",
    ]);
    assert!(
        fs::read_to_string(s.home.path().join(".aws/config"))
            .unwrap()
            .contains("role/old"),
        "nothing written"
    );
    let mut forced = args.to_vec();
    forced.push("--force");
    s.run(&forced)
        .ok()
        .stderr_has(&["replaced [profile prodro-role]"]);
    let written = fs::read_to_string(s.home.path().join(".aws/config")).unwrap();
    assert!(!written.contains("role/old") && written.contains(ROLE_ARN));
}

#[test]
fn setup_validates_before_writing_and_runs_the_doctor() {
    let sts = fake::sts();
    let s = Scenario::with_role(&sts, "");
    s.config("");
    s.run(&[
        "setup",
        "--name",
        "p",
        "--role-arn",
        "arn:aws:iam::1:role/x",
        "--source-profile",
        "dev",
    ])
    .failed(2)
    .stderr_has(&["12 digits"]);
    assert_eq!(
        fs::read_to_string(s.home.path().join(".aws/config")).unwrap(),
        ""
    );
    s.run(&["setup", "--name", "p"])
        .failed(2)
        .stderr_has(&["--role-arn", "no terminal"]);
    let out = s.run(&[
        "setup",
        "--name",
        "p",
        "--role-arn",
        ROLE_ARN,
        "--source-profile",
        "dev",
    ]);
    out.ok();
    assert!(
        out.stdout.contains("✔ assume role") && out.stdout.contains("All checks passed"),
        "{}",
        out.stdout
    );
}

/// A stderr whose reader is gone (`xacct-cred setup … 2>&1 | head -1` after head ended): the
/// messages printed beside the work cannot turn into a panic that leaves it half done.
#[cfg(unix)]
#[test]
fn a_stderr_whose_reader_is_gone_does_not_stop_a_command_midway() {
    use std::os::fd::{FromRawFd, OwnedFd};
    let sts = fake::sts();
    let s = Scenario::with_role(&sts, "");
    s.config("");
    let mut fds = [0; 2];
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
    // SAFETY: both ends were just made by pipe(2) and belong to nothing else.
    let (read_end, write_end) =
        unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    drop(read_end);
    let status = s
        .command(&[
            "setup",
            "--no-doctor",
            "--name",
            "gone",
            "--role-arn",
            ROLE_ARN,
            "--source-profile",
            "dev",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::from(write_end))
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(0), "{status:?}");
    let written = fs::read_to_string(s.home.path().join(".aws/config")).unwrap();
    assert!(written.contains("[profile gone-role]"), "{written}");
    // And an error, too, ends with its exit status, not a panic's.
    let status = s
        .command(&[
            "setup",
            "--no-doctor",
            "--name",
            "x",
            "--role-arn",
            "nope",
            "--source-profile",
            "dev",
        ])
        .stdout(Stdio::null())
        .stderr({
            let mut fds = [0; 2];
            assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
            // SAFETY: as above.
            let (r, w) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
            drop(r);
            Stdio::from(w)
        })
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(2), "{status:?}");
}

#[test]
fn setup_asks_on_the_terminal_for_what_the_flags_did_not_say() {
    let sts = fake::sts();
    let s = Scenario::with_role(&sts, "");
    s.config("");
    let mut terminal = Terminal::run(&s, "setup --no-doctor");
    terminal.answer("Name of the profile the AWS CLI will use", "asked");
    terminal.answer("Role ARN to assume", ROLE_ARN);
    terminal.answer("Profile with the credentials that assume it", "dev");
    let (ok, terminal) = terminal.finish();
    assert!(ok, "{terminal}");
    let written = fs::read_to_string(s.home.path().join(".aws/config")).unwrap();
    assert!(
        written.contains(&format!(
            "[profile asked-role]\nrole_arn = {ROLE_ARN}\nsource_profile = dev\n"
        )),
        "{written}"
    );
    assert!(
        written.contains("[profile asked]\ncredential_process = "),
        "{written}"
    );
}

// ---- policy ----

#[test]
fn policy_prints_the_three_documents() {
    let s = Scenario::new();
    let out = s.run(&[
        "policy",
        "--role-account",
        "111111111111",
        "--trusted-account",
        "222222222222",
        "--role-name",
        "readonly-x",
        "--bucket",
        "reports",
    ]);
    let v = out.ok().json();
    assert_eq!(
        v["trust_policy"]["Statement"][0]["Principal"]["AWS"],
        "arn:aws:iam::222222222222:root"
    );
    assert_eq!(
        v["trust_policy"]["Statement"][0]["Action"],
        "sts:AssumeRole"
    );
    assert!(v["trust_policy"]["Statement"][0].get("Condition").is_none());
    let perms = v["permission_policy"]["Statement"].as_array().unwrap();
    let actions: Vec<String> = perms.iter().map(|s| s["Action"].to_string()).collect();
    assert_eq!(
        actions,
        [
            "\"s3:ListAllMyBuckets\"",
            "[\"s3:ListBucket\",\"s3:GetBucketLocation\"]",
            "\"s3:GetObject\""
        ]
    );
    assert_eq!(perms[2]["Resource"], "arn:aws:s3:::reports/*");
    assert_eq!(
        v["source_policy"]["Statement"][0]["Resource"],
        "arn:aws:iam::111111111111:role/readonly-x"
    );

    let rw = s.run(&[
        "policy",
        "--role-account",
        "111111111111",
        "--principal",
        "arn:aws:iam::222222222222:user/alice",
        "--role-name",
        "readonly",
        "--bucket",
        "b-1",
        "--read-write",
        "--external-id",
        "e-1",
        "--require-mfa",
        "--document",
        "trust",
    ]);
    let t = rw.ok().json();
    assert_eq!(
        t["Statement"][0]["Principal"]["AWS"],
        "arn:aws:iam::222222222222:user/alice"
    );
    assert_eq!(
        t["Statement"][0]["Condition"]["StringEquals"]["sts:ExternalId"],
        "e-1"
    );
    assert_eq!(
        t["Statement"][0]["Condition"]["Bool"]["aws:MultiFactorAuthPresent"],
        "true"
    );
    let p = s
        .run(&[
            "policy",
            "--role-account",
            "111111111111",
            "--trusted-account",
            "222222222222",
            "--role-name",
            "readonly",
            "--bucket",
            "b-1",
            "--read-write",
            "--document",
            "permission",
        ])
        .json();
    assert!(p.to_string().contains("s3:PutObject"));

    let cfn = s
        .run(&[
            "policy",
            "--role-account",
            "111111111111",
            "--trusted-account",
            "222222222222",
            "--role-name",
            "readonly",
            "--bucket",
            "b-1",
            "--format",
            "cloudformation",
        ])
        .json();
    assert_eq!(
        cfn["Resources"]["CrossAccountRole"]["Type"],
        "AWS::IAM::Role"
    );
    assert_eq!(
        cfn["Resources"]["CrossAccountRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
            [0]["Action"],
        "sts:AssumeRole"
    );
    let tf = s.run(&[
        "policy",
        "--role-account",
        "111111111111",
        "--trusted-account",
        "222222222222",
        "--role-name",
        "readonly",
        "--bucket",
        "b-1",
        "--format",
        "terraform",
    ]);
    assert!(
        tf.ok()
            .stdout
            .contains("resource \"aws_iam_role\" \"readonly\"")
            && tf.stdout.contains("aws_iam_role_policy"),
        "{}",
        tf.stdout
    );

    s.run(&[
        "policy",
        "--role-account",
        "1111",
        "--trusted-account",
        "222222222222",
        "--role-name",
        "readonly",
        "--bucket",
        "b-1",
    ])
    .failed(2)
    .stderr_has(&["12-digit"]);
    s.run(&[
        "policy",
        "--role-account",
        "111111111111",
        "--trusted-account",
        "222222222222",
        "--role-name",
        "readonly",
        "--bucket",
        "Bad_Bucket",
    ])
    .failed(2)
    .stderr_has(&["bucket"]);
}

#[test]
fn policy_takes_any_accounts_and_several_buckets() {
    let s = Scenario::new();
    let v = s
        .run(&[
            "policy",
            "--role-account",
            "333333333333",
            "--trusted-account",
            "444444444444",
            "--role-name",
            "analytics-read",
            "--bucket",
            "raw-events",
            "--bucket",
            "curated-events",
        ])
        .ok()
        .json();
    let perms = &v["permission_policy"]["Statement"];
    assert_eq!(
        perms[1]["Resource"],
        serde_json::json!(["arn:aws:s3:::raw-events", "arn:aws:s3:::curated-events"])
    );
    assert_eq!(
        perms[2]["Resource"],
        serde_json::json!(["arn:aws:s3:::raw-events/*", "arn:aws:s3:::curated-events/*"])
    );
    assert_eq!(
        v["source_policy"]["Statement"][0]["Resource"],
        "arn:aws:iam::333333333333:role/analytics-read"
    );
    assert_eq!(
        v["trust_policy"]["Statement"][0]["Principal"]["AWS"],
        "arn:aws:iam::444444444444:root"
    );
    // The role has no default name of ours: without --role-name there is nothing to create.
    s.run(&[
        "policy",
        "--role-account",
        "333333333333",
        "--trusted-account",
        "444444444444",
        "--bucket",
        "raw-events",
    ])
    .failed(2)
    .stderr_has(&["--role-name"]);
    // The earlier flag names still work, unlisted, and mean the same.
    let policy = |role: &str, trusted: &str| {
        s.run(&[
            "policy",
            role,
            "333333333333",
            trusted,
            "444444444444",
            "--role-name",
            "r",
            "--bucket",
            "raw-events",
        ])
        .ok()
        .json()
    };
    assert_eq!(
        policy("--prod-account", "--dev-account"),
        policy("--role-account", "--trusted-account")
    );
}

#[test]
fn every_subcommand_has_help_with_an_example() {
    let s = Scenario::new();
    for sub in ["doctor", "setup", "policy", "exec", "console", "cache"] {
        let out = s.run(&[sub, "--help"]);
        out.ok();
        if sub != "cache" {
            assert!(
                out.stdout.contains("Example"),
                "{sub} --help has no example:\n{}",
                out.stdout
            );
        }
    }
}

#[test]
fn console_federated_open_never_puts_the_sign_in_token_in_the_openers_argv() {
    // Every local user sees argv in `ps`: the opener gets the path of a private page instead.
    let sts = fake::sts();
    let federation =
        FakeServer::start(|_, _| Reply::json(200, r#"{"SigninToken":"signin-token-123"}"#.into()));
    let mut s = Scenario::with_role(&sts, "");
    let bin = s.home.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let opener = bin.join("xdg-open");
    let log = s.home.path().join("opener.log");
    std::fs::write(
        &opener,
        format!(
            "#!/bin/sh\nprintf '%s\\n' \"$@\" > {log}\nstat -c '%a' \"$1\" \"$(dirname \"$1\")\" >> {log}\ncat \"$1\" > {log}.page\n",
            log = log.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&opener, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    s.set(
        "PATH",
        &format!("{}:{}", bin.display(), std::env::var("PATH").unwrap()),
    )
    .set(
        "XACCT_CRED_FEDERATION_ENDPOINT",
        &format!("{}/federation", federation.url()),
    );
    // Root opens nothing (tests/setup.rs): run as another user then.
    let (_bin_dir, bin) = binary_anyone_may_run();
    let mut command = s.command_for(
        path_str(&bin),
        &["console", "--profile", "prod", "--federated", "--open"],
    );
    if unsafe { libc::geteuid() } == 0 {
        use std::os::unix::process::CommandExt;
        s.give_home_to(65534);
        command.uid(65534).gid(65534);
    }
    let out = Outcome::from(command.output().unwrap());
    out.ok();
    assert!(out.stdout.is_empty(), "opened, not printed: {}", out.stdout);
    let argv = std::fs::read_to_string(&log).unwrap();
    assert!(!argv.contains("signin-token-123"), "argv: {argv}");
    assert!(!argv.contains("SigninToken"), "argv: {argv}");
    let lines: Vec<&str> = argv.lines().collect();
    assert_eq!(lines.len(), 3, "one argument, then the modes: {argv}");
    assert!(
        lines[0].starts_with(s.cache_dir().to_str().unwrap()),
        "{argv}"
    );
    assert_eq!(&lines[1..], ["600", "700"], "page 0600 in a 0700 directory");
    let page = std::fs::read_to_string(format!("{}.page", log.display())).unwrap();
    assert!(
        page.contains("http-equiv=\"refresh\"") && page.contains("SigninToken=signin-token-123"),
        "{page}"
    );
}

#[test]
fn console_federation_endpoint_in_plain_http_only_to_loopback() {
    let sts = fake::sts();
    let s = Scenario::with_role(&sts, "");
    for endpoint in [
        "http://signin.example.com/federation",
        "http://10.0.0.1:8080/federation",
        "http://127.0.0.1.example.com/federation",
        "http://localhost@evil.example/federation",
        "ftp://signin.aws.amazon.com/federation",
    ] {
        s.run(&[
            "console",
            "--profile",
            "prod",
            "--federated",
            "--federation-endpoint",
            endpoint,
        ])
        .failed(2)
        .stderr_has(&["federation endpoint", "127.0.0.1"]);
    }
    assert!(sts.requests().is_empty(), "refused before any session");
    let federation =
        FakeServer::start(|_, _| Reply::json(200, r#"{"SigninToken":"signin-token-123"}"#.into()));
    let port = federation.port();
    for endpoint in [
        format!("http://localhost:{port}/federation"),
        format!("http://[::1]:{port}/federation"),
    ] {
        let out = s.run(&[
            "console",
            "--profile",
            "prod",
            "--federated",
            "--federation-endpoint",
            &endpoint,
        ]);
        // [::1] may not be served where IPv6 is off; the endpoint passed the check either way.
        assert!(
            !out.stderr.contains("plain http"),
            "{endpoint}: {}",
            out.stderr
        );
    }
}

#[test]
fn doctor_bounds_a_hung_source_and_prints_each_step_as_it_finishes() {
    let sts = fake::sts();
    let s = Scenario::with_role(&sts, "");
    let helper = s.home.path().join("hung-helper.sh");
    fs::write(&helper, "#!/bin/sh\nexec sleep 40\n").unwrap();
    s.config(&format!(
        "[profile prod]\nrole_arn = {ROLE_ARN}\nsource_profile = hung\nregion = eu-west-1\n\n[profile hung]\ncredential_process = /bin/sh {}\n",
        helper.display()
    ));
    let started = Instant::now();
    let mut child = s
        .command(&["doctor", "--profile", "prod"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            let _ = tx.send((line, Instant::now()));
        }
    });
    // The steps before the source are on stdout while the source still hangs.
    let first = rx.recv_timeout(Duration::from_secs(8));
    let early = child.try_wait().unwrap().is_none();
    let done = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if started.elapsed() > Duration::from_secs(40) {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let (first, _) = first.expect("a step line within 8 s, while the source still hangs");
    assert!(
        early,
        "the process was still running when the first line came"
    );
    assert!(first.contains("config"), "{first}");
    // The helper given up on runs on (doctor is a foreground call: see leftovers); the test
    // ends it.
    s.kill_processes();
    let status = done.expect("doctor ended within 40 s: the source step is bounded");
    assert!(!status.success());
    // Every line doctor wrote, also those the reader thread has not passed on yet (the pipe
    // closes once doctor and the helper it left running are gone).
    let mut rest = Vec::new();
    while let Ok((line, _)) = rx.recv_timeout(Duration::from_secs(10)) {
        rest.push(line);
    }
    let text = rest.join("\n");
    assert!(
        text.contains("source credential") && text.contains("did not come within 15 s"),
        "{text}"
    );
    assert!(
        text.contains("cache"),
        "the steps after it still ran: {text}"
    );
    assert_eq!(sts.count("AssumeRole"), 0);
}
