//! The default command against fake STS/IMDS/ECS servers: what reached STS, what was printed,
//! and how every failure reads.
#![cfg(unix)]

mod support;

use std::time::{Duration, Instant};
use support::fake::{self, Reply, assume_role_ok, sts_error};
use support::*;

const HOUR: Duration = Duration::from_secs(3600);

#[test]
fn source_profile_keys_assume_the_role_and_print_the_process_document() {
    let sts = fake::sts();
    let s = Scenario::with_role(
        &sts,
        "role_session_name = build-42\nexternal_id = ext-123\nduration_seconds = 1800",
    );
    let out = s.run(&["--profile", "prod"]);
    out.ok();
    let doc = out.json();
    assert_eq!(doc["Version"], 1);
    assert_eq!(doc["AccessKeyId"], "ASIAFAKE000000000000");
    assert_eq!(doc["SecretAccessKey"], "fake-secret-0");
    assert_eq!(doc["SessionToken"], "fake-token-0");
    let exp = doc["Expiration"].as_str().unwrap();
    assert!(exp.ends_with('Z') && exp.len() == 20, "{exp}");
    assert_eq!(
        doc.as_object().unwrap().len(),
        5,
        "exactly the documented keys: {doc}"
    );

    let req = sts.last("AssumeRole");
    let p = req.params();
    assert_eq!(p["RoleArn"], ROLE_ARN);
    assert_eq!(p["RoleSessionName"], "build-42");
    assert_eq!(p["ExternalId"], "ext-123");
    assert_eq!(p["DurationSeconds"], "1800");
    assert!(!p.contains_key("SerialNumber"));
    let auth = req.header("authorization").unwrap();
    assert!(
        auth.contains(&format!("Credential={DEV_KEY_ID}/")),
        "signed with the source keys: {auth}"
    );
    assert!(
        auth.contains("/eu-west-1/sts/aws4_request"),
        "signed for the profile's region: {auth}"
    );
    assert!(!out.stderr.contains("fake-secret"));
}

#[test]
fn flags_alone_work_without_a_role_profile() {
    let sts = fake::sts();
    let mut s = Scenario::with_role(&sts, "");
    s.unset("USER").set("USER", "jane.doe");
    s.run(&["--role-arn", ROLE_ARN, "--source-profile", "dev"])
        .ok();
    let p = sts.last("AssumeRole").params();
    assert_eq!(p["RoleArn"], ROLE_ARN);
    assert_eq!(
        p["RoleSessionName"], "jane.doe",
        "default session name is the local user"
    );
    assert_eq!(p["DurationSeconds"], "3600");
    let auth = sts
        .last("AssumeRole")
        .header("authorization")
        .unwrap()
        .to_string();
    assert!(
        auth.contains("/us-east-1/sts/"),
        "no region anywhere → us-east-1: {auth}"
    );
}

#[test]
fn flags_win_over_the_profile() {
    let sts = fake::sts();
    let s = Scenario::with_role(
        &sts,
        "role_session_name = from-profile\nexternal_id = profile-ext\nduration_seconds = 1800",
    );
    let other = "arn:aws:iam::333333333333:role/other";
    s.run(&[
        "--profile",
        "prod",
        "--role-arn",
        other,
        "--role-session-name",
        "from-flag",
        "--external-id",
        "flag-ext",
        "--duration-seconds",
        "2700",
        "--region",
        "ap-southeast-2",
    ])
    .ok();
    let req = sts.last("AssumeRole");
    let p = req.params();
    assert_eq!(
        (p["RoleArn"].as_str(), p["RoleSessionName"].as_str()),
        (other, "from-flag")
    );
    assert_eq!(
        (p["ExternalId"].as_str(), p["DurationSeconds"].as_str()),
        ("flag-ext", "2700")
    );
    assert!(
        req.header("authorization")
            .unwrap()
            .contains("/ap-southeast-2/sts/")
    );
}

#[test]
fn credential_source_environment_signs_with_the_environment_keys() {
    let sts = fake::sts();
    let mut s = Scenario::with_role(&sts, "");
    s.config(&format!(
        "[profile prod]\nrole_arn = {ROLE_ARN}\ncredential_source = Environment\n"
    ));
    s.set("AWS_ACCESS_KEY_ID", "AKIAENVEXAMPLE000001")
        .set("AWS_SECRET_ACCESS_KEY", "env-secret-value");
    s.run(&["--profile", "prod"]).ok();
    assert!(
        sts.last("AssumeRole")
            .header("authorization")
            .unwrap()
            .contains("Credential=AKIAENVEXAMPLE000001/")
    );

    s.unset("AWS_ACCESS_KEY_ID").unset("AWS_SECRET_ACCESS_KEY");
    s.run(&["--profile", "prod", "--no-cache"])
        .failed(3)
        .stderr_has(&["credential_source = Environment", "AWS_ACCESS_KEY_ID"]);
}

#[test]
fn credential_source_ec2_uses_imdsv2_tokens_only() {
    let sts = fake::sts();
    let imds = fake::imds();
    let mut s = Scenario::with_role(&sts, "");
    s.config(&format!(
        "[profile prod]\nrole_arn = {ROLE_ARN}\ncredential_source = Ec2InstanceMetadata\n"
    ));
    s.set("AWS_EC2_METADATA_SERVICE_ENDPOINT", &imds.url());
    s.run(&["--profile", "prod"]).ok();
    assert!(
        sts.last("AssumeRole")
            .header("authorization")
            .unwrap()
            .contains(&format!("Credential={IMDS_KEY_ID}/"))
    );
    let reqs = imds.requests();
    assert_eq!(reqs[0].method, "PUT", "the token comes first: {reqs:?}");
    for r in reqs.iter().filter(|r| r.method == "GET") {
        assert_eq!(
            r.header("x-aws-ec2-metadata-token"),
            Some(IMDS_TOKEN),
            "every GET carries the token"
        );
    }
}

#[test]
fn imds_disabled_is_refused_without_contacting_anything() {
    let sts = fake::sts();
    let imds = fake::imds();
    let mut s = Scenario::with_role(&sts, "");
    s.set("AWS_EC2_METADATA_SERVICE_ENDPOINT", &imds.url())
        .set("AWS_EC2_METADATA_DISABLED", "true");
    s.run(&[
        "--role-arn",
        ROLE_ARN,
        "--credential-source",
        "Ec2InstanceMetadata",
    ])
    .failed(3)
    .stderr_has(&["AWS_EC2_METADATA_DISABLED"]);
    assert!(imds.requests().is_empty());
    assert_eq!(sts.count("AssumeRole"), 0);
}

#[test]
fn imds_token_put_that_never_answers_names_the_step_and_the_hop_limit() {
    let sts = fake::sts();
    let imds = fake::imds_with_silent_token_put();
    let mut s = Scenario::with_role(&sts, "");
    s.set("AWS_EC2_METADATA_SERVICE_ENDPOINT", &imds.url());
    let started = Instant::now();
    let out = s.run(&[
        "--role-arn",
        ROLE_ARN,
        "--credential-source",
        "Ec2InstanceMetadata",
    ]);
    out.failed(3)
        .stderr_has(&["token request", "PUT /latest/api/token", "hop limit"]);
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "bounded: {:?}",
        started.elapsed()
    );
    assert_eq!(sts.count("AssumeRole"), 0);
}

#[test]
fn imds_without_a_role_says_to_attach_an_instance_profile() {
    let sts = fake::sts();
    let imds = FakeServer::start(|req, _| match req.path.as_str() {
        "/latest/meta-data/iam/security-credentials/" if req.method == "GET" => {
            Reply::text(404, "Not Found")
        }
        _ => fake::imds_reply(req),
    });
    let mut s = Scenario::with_role(&sts, "");
    s.set("AWS_EC2_METADATA_SERVICE_ENDPOINT", &imds.url());
    s.run(&[
        "--role-arn",
        ROLE_ARN,
        "--credential-source",
        "Ec2InstanceMetadata",
    ])
    .failed(3)
    .stderr_has(&["role name request", "404", "instance profile"]);
}

#[test]
fn credential_source_ecs_container_uses_the_container_endpoint() {
    let sts = fake::sts();
    let ecs = FakeServer::start(|req, _| {
        if req.header("authorization") == Some("ecs-auth-token") {
            Reply::json(
                200,
                fake::imds_credentials_json("ASIAECSEXAMPLE000001", "ecs-secret-value"),
            )
        } else {
            Reply::text(401, "no")
        }
    });
    let mut s = Scenario::with_role(&sts, "");
    s.set(
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        &format!("{}/v2/credentials/abc", ecs.url()),
    )
    .set("AWS_CONTAINER_AUTHORIZATION_TOKEN", "ecs-auth-token");
    s.run(&[
        "--role-arn",
        ROLE_ARN,
        "--credential-source",
        "EcsContainer",
    ])
    .ok();
    assert!(
        sts.last("AssumeRole")
            .header("authorization")
            .unwrap()
            .contains("Credential=ASIAECSEXAMPLE000001/")
    );
    assert_eq!(ecs.requests()[0].path, "/v2/credentials/abc");
}

#[test]
fn mfa_code_from_the_flag_reaches_sts_and_is_not_needed_again_while_cached() {
    let sts = fake::sts();
    let s = Scenario::with_role(&sts, "mfa_serial = arn:aws:iam::222222222222:mfa/asi-dev");
    s.run(&["--profile", "prod", "--token-code", "123456"]).ok();
    let p = sts.last("AssumeRole").params();
    assert_eq!(p["SerialNumber"], "arn:aws:iam::222222222222:mfa/asi-dev");
    assert_eq!(p["TokenCode"], "123456");
    s.run(&["--profile", "prod"]).ok();
    assert_eq!(
        sts.count("AssumeRole"),
        1,
        "the cached MFA session needs no new code"
    );
}

#[test]
fn mfa_code_is_asked_for_on_the_terminal_not_on_stdout_or_stderr() {
    use std::io::Write;
    let sts = fake::sts();
    let s = Scenario::with_role(&sts, "mfa_serial = arn:aws:iam::222222222222:mfa/asi-dev");
    // `script` runs the binary with a pseudo-terminal as its controlling terminal, while its
    // stdout and stderr go to files, as under the AWS CLI.
    let (out, err) = (s.home.path().join("stdout"), s.home.path().join("stderr"));
    let inner = format!(
        "{BIN} --profile prod > {} 2> {}",
        out.display(),
        err.display()
    );
    let mut child = s
        .command_for("script", &["-qec", &inner, "/dev/null"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"654321\n").unwrap();
    let terminal = child.wait_with_output().unwrap();
    let terminal = String::from_utf8_lossy(&terminal.stdout);
    assert!(
        terminal.contains("MFA code for arn:aws:iam::222222222222:mfa/asi-dev: "),
        "the prompt is on the terminal: {terminal:?}"
    );
    let printed = fs_read(&out);
    assert!(printed.starts_with("{\"AccessKeyId\""), "{printed}");
    assert!(
        !printed.contains("MFA code") && !fs_read(&err).contains("MFA code"),
        "nothing of the prompt on stdout/stderr"
    );
    assert_eq!(sts.last("AssumeRole").params()["TokenCode"], "654321");
}

fn fs_read(p: &std::path::Path) -> String {
    std::fs::read_to_string(p).unwrap_or_default()
}

#[test]
fn mfa_without_a_terminal_fails_at_once_and_says_how_to_pass_the_code() {
    let sts = fake::sts();
    let s = Scenario::with_role(&sts, "mfa_serial = arn:aws:iam::222222222222:mfa/asi-dev");
    let started = Instant::now();
    s.run(&["--profile", "prod"]).failed(7).stderr_has(&[
        "MFA code",
        "--token-code",
        "XACCT_CRED_TOKEN_CODE",
    ]);
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(sts.count("AssumeRole"), 0);
}

#[test]
fn access_denied_names_the_caller_and_both_sides_to_check() {
    let sts = fake::sts_with(|_, _| {
        sts_error(
            403,
            "AccessDenied",
            "User: arn:aws:iam::222222222222:user/asi-dev is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::111111111111:role/readonly-asi-production-bucket",
        )
    });
    let s = Scenario::with_role(&sts, "external_id = ext-1");
    s.run(&["--profile", "prod"]).failed(4).stderr_has(&[
        "AssumeRole on arn:aws:iam::111111111111:role/readonly-asi-production-bucket (profile prod) was denied",
        "arn:aws:iam::222222222222:user/asi-dev",
        "sts:AssumeRole on arn:aws:iam::111111111111:role/readonly-asi-production-bucket",
        "trust policy",
        "account 111111111111",
        "ExternalId",
    ]);
    assert_eq!(sts.count("AssumeRole"), 1, "a denial is not retried");
    assert_eq!(sts.count("GetCallerIdentity"), 1);
}

#[test]
fn throttling_is_retried_then_succeeds() {
    let sts = fake::sts_with(|req, n| {
        if n == 0 {
            sts_error(400, "Throttling", "Rate exceeded")
        } else {
            assume_role_ok(req, n, HOUR)
        }
    });
    let s = Scenario::with_role(&sts, "");
    let out = s.run(&["--profile", "prod"]);
    out.ok();
    assert_eq!(out.json()["AccessKeyId"], "ASIAFAKE000000000001");
    assert_eq!(sts.count("AssumeRole"), 2);
}

#[test]
fn persistent_500s_fail_after_bounded_retries() {
    let sts = fake::sts_with(|_, _| sts_error(500, "InternalFailure", "oops"));
    let s = Scenario::with_role(&sts, "");
    s.run(&["--profile", "prod"])
        .failed(5)
        .stderr_has(&["InternalFailure", "retry"]);
    assert_eq!(sts.count("AssumeRole"), 3);
}

#[test]
fn a_silent_sts_fails_well_under_fifteen_seconds() {
    let sts = fake::sts_with(|req, n| {
        Reply::After(
            Duration::from_secs(60),
            Box::new(assume_role_ok(req, n, HOUR)),
        )
    });
    let s = Scenario::with_role(&sts, "");
    let started = Instant::now();
    s.run(&["--profile", "prod"])
        .failed(5)
        .stderr_has(&["did not answer", &sts.url()]);
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "took {:?}",
        started.elapsed()
    );
}

#[test]
fn a_closed_port_fails_fast_with_the_endpoint_named() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let sts = fake::sts();
    let mut s = Scenario::with_role(&sts, "");
    let dead = format!("http://127.0.0.1:{port}");
    s.set("AWS_ENDPOINT_URL_STS", &dead);
    let started = Instant::now();
    s.run(&["--profile", "prod"]).failed(5).stderr_has(&[
        "could not reach STS",
        &dead,
        "Connection refused",
    ]);
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[test]
fn invalid_or_expired_source_keys_say_so() {
    for (code, needle, exit) in [
        ("InvalidClientTokenId", "rejected the source credentials", 4),
        (
            "SignatureDoesNotMatch",
            "rejected the source credentials",
            4,
        ),
        ("ExpiredToken", "have expired", 4),
    ] {
        let sts = fake::sts_with(move |_, _| {
            sts_error(
                403,
                code,
                "The security token included in the request is invalid.",
            )
        });
        let s = Scenario::with_role(&sts, "");
        s.run(&["--profile", "prod"]).failed(exit).stderr_has(&[
            needle,
            "source_profile dev",
            "…0001",
        ]);
    }
}

#[test]
fn region_disabled_and_bad_duration_are_explained() {
    let sts = fake::sts_with(|_, _| {
        sts_error(
            403,
            "RegionDisabledException",
            "STS is not activated in this region for account:222222222222.",
        )
    });
    let s = Scenario::with_role(&sts, "");
    s.run(&["--profile", "prod"])
        .failed(4)
        .stderr_has(&["not activated in region eu-west-1", "--region"]);

    let sts = fake::sts_with(|_, _| {
        sts_error(
            400,
            "ValidationError",
            "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
        )
    });
    let s = Scenario::with_role(&sts, "duration_seconds = 43200");
    s.run(&["--profile", "prod"])
        .failed(4)
        .stderr_has(&["43200 s session", "maximum session duration"]);
}

#[test]
fn bad_input_is_refused_before_any_network_call() {
    let sts = fake::sts();
    let cases: &[(&str, &[&str], &[&str])] = &[
        (
            "role_arn = arn:aws:iam::1111:role/x\nsource_profile = dev",
            &["--profile", "prod"],
            &["malformed", "12 digits"],
        ),
        (
            "role_arn = arn:aws:iam::111111111111:user/x\nsource_profile = dev",
            &["--profile", "prod"],
            &["not a role"],
        ),
        (
            "role_arn = arn:aws:iam::111111111111:role/x\nsource_profile = dev\nrole_session_name = a b",
            &["--profile", "prod"],
            &["session name", "' ' is not allowed"],
        ),
        (
            "role_arn = arn:aws:iam::111111111111:role/x\nsource_profile = dev",
            &["--profile", "prod", "--duration-seconds", "60"],
            &["60 s", "900 to 43200"],
        ),
        (
            "role_arn = arn:aws:iam::111111111111:role/x\nsource_profile = dev\nduration_seconds = 50000",
            &["--profile", "prod"],
            &["50000", "duration_seconds in profile prod"],
        ),
        (
            "role_arn = arn:aws:iam::111111111111:role/x\nsource_profile = dev\ncredential_source = Environment",
            &["--profile", "prod"],
            &["both source_profile and credential_source"],
        ),
        (
            "role_arn = arn:aws:iam::111111111111:role/x",
            &["--profile", "prod"],
            &["neither source_profile nor credential_source"],
        ),
        (
            "role_arn = arn:aws:iam::111111111111:role/x\ncredential_source = ec2instancemetadata",
            &["--profile", "prod"],
            &["credential_source = Ec2InstanceMetadata"],
        ),
        (
            "role_arn = arn:aws:iam::111111111111:role/x\nsource_profile = nosuch",
            &["--profile", "prod"],
            &["profile nosuch", "known profiles: dev, prod"],
        ),
        (
            "source_profile = dev",
            &["--profile", "prod"],
            &["has no role_arn"],
        ),
        (
            "role_arn = arn:aws:iam::111111111111:role/x\nsource_profile = dev",
            &["--profile", "nosuch"],
            &["profile nosuch (--profile) is not defined"],
        ),
        (
            "role_arn = arn:aws:iam::111111111111:role/x\nsource_profile = dev",
            &[],
            &[
                "give --profile NAME or --role-arn ARN",
                "Profiles with a role_arn: prod.",
            ],
        ),
        (
            "role_arn = arn:aws:iam::111111111111:role/x\nsource_profile = dev\nexternal_id = a",
            &["--profile", "prod"],
            &["external ID"],
        ),
        (
            "role_arn = arn:aws:iam::111111111111:role/x\nsource_profile = dev\nmfa_serial = nope",
            &["--profile", "prod"],
            &["MFA serial"],
        ),
        (
            "role_arn = arn:aws:iam::111111111111:role/x\nsource_profile = dev\nregion = EU West",
            &["--profile", "prod"],
            &["region"],
        ),
    ];
    for (profile, args, needles) in cases {
        let s = Scenario::with_role(&sts, "");
        s.config(&format!("[profile prod]\n{profile}\n"));
        let out = s.run(args);
        out.failed(2).stderr_has(needles);
    }
    assert!(sts.requests().is_empty(), "nothing reached STS");
}

#[test]
fn malformed_config_and_bad_flags_exit_2_with_nothing_on_stdout() {
    let sts = fake::sts();
    let s = Scenario::with_role(&sts, "");
    s.config("[profile prod\nrole_arn = x\n");
    s.run(&["--profile", "prod"])
        .failed(2)
        .stderr_has(&["config"]);
    s.run(&["--profile", "prod", "--duration-seconds", "abc"])
        .failed(2);
    s.run(&[
        "--source-profile",
        "a",
        "--credential-source",
        "Environment",
        "--role-arn",
        ROLE_ARN,
    ])
    .failed(2);
    assert!(sts.requests().is_empty());
}

#[test]
fn a_source_profile_that_runs_xacct_cred_for_the_same_role_is_a_loop() {
    let sts = fake::sts();
    let s = Scenario::with_role(&sts, "");
    s.config(&format!(
        "[profile prod]\nrole_arn = {ROLE_ARN}\nsource_profile = viaproc\nregion = eu-west-1\n\n[profile viaproc]\ncredential_process = {BIN} --profile prod\n"
    ));
    let started = Instant::now();
    let out = s.run(&["--profile", "prod"]);
    out.failed(3).stderr_has(&["loops back into itself"]);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "no deadlock on the cache lock: {:?}",
        started.elapsed()
    );
    assert_eq!(sts.count("AssumeRole"), 0);
}

#[test]
fn export_formats_evaluate_in_bash() {
    let sts = fake::sts();
    let s = Scenario::with_role(&sts, "");
    let out = s.run(&["--export", "--profile", "prod"]);
    out.ok();
    let shown = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!("{}\nprintf '%s %s %s %s' \"$AWS_ACCESS_KEY_ID\" \"$AWS_SECRET_ACCESS_KEY\" \"$AWS_SESSION_TOKEN\" \"$AWS_CREDENTIAL_EXPIRATION\"", out.stdout))
        .output()
        .unwrap();
    let shown = String::from_utf8(shown.stdout).unwrap();
    let fields: Vec<&str> = shown.split(' ').collect();
    assert_eq!(
        &fields[..3],
        ["ASIAFAKE000000000000", "fake-secret-0", "fake-token-0"]
    );
    assert!(fields[3].ends_with('Z'));

    for (format, prefix) in [
        ("fish", "set -gx AWS_ACCESS_KEY_ID "),
        ("powershell", "$Env:AWS_ACCESS_KEY_ID = "),
        ("dotenv", "AWS_ACCESS_KEY_ID="),
        ("sh", "export AWS_ACCESS_KEY_ID="),
    ] {
        let out = s.run(&["--profile", "prod", "--format", format]);
        out.ok();
        assert!(out.stdout.starts_with(prefix), "{format}: {}", out.stdout);
        assert_eq!(out.stdout.lines().count(), 4);
    }
    let out = s.run(&["--profile", "prod", "--format", "json"]);
    assert_eq!(out.json()["Version"], 1);
}

#[test]
fn sts_endpoint_precedence_follows_the_sdks() {
    let good = fake::sts();
    let bad = "http://127.0.0.1:9";
    // AWS_ENDPOINT_URL_STS beats everything.
    let mut s = Scenario::with_role(&good, &format!("endpoint_url = {bad}"));
    s.set("AWS_ENDPOINT_URL", bad);
    s.run(&["--profile", "prod", "--no-cache"]).ok();
    // AWS_ENDPOINT_URL beats the services section, as in the SDKs.
    s.unset("AWS_ENDPOINT_URL_STS");
    s.set("AWS_ENDPOINT_URL", &good.url());
    s.config(&format!(
        "[profile prod]\nrole_arn = {ROLE_ARN}\nsource_profile = dev\nservices = local\n\n[services local]\nsts =\n  endpoint_url = {bad}\n"
    ));
    s.run(&["--profile", "prod", "--no-cache"]).ok();
    // The services section beats endpoint_url.
    s.unset("AWS_ENDPOINT_URL");
    s.config(&format!(
        "[profile prod]\nrole_arn = {ROLE_ARN}\nsource_profile = dev\nendpoint_url = {bad}\nservices = local\n\n[services local]\nsts =\n  endpoint_url = {}\n",
        good.url()
    ));
    s.run(&["--profile", "prod", "--no-cache"]).ok();
    // AWS_ENDPOINT_URL beats the profile's endpoint_url.
    s.config(&format!(
        "[profile prod]\nrole_arn = {ROLE_ARN}\nsource_profile = dev\nendpoint_url = {bad}\n"
    ));
    s.set("AWS_ENDPOINT_URL", &good.url());
    s.run(&["--profile", "prod", "--no-cache"]).ok();
    // The profile's endpoint_url alone.
    s.unset("AWS_ENDPOINT_URL");
    s.config(&format!(
        "[profile prod]\nrole_arn = {ROLE_ARN}\nsource_profile = dev\nendpoint_url = {}\n",
        good.url()
    ));
    s.run(&["--profile", "prod", "--no-cache"]).ok();
    assert_eq!(good.count("AssumeRole"), 5);
}

#[test]
fn aws_config_file_and_shared_credentials_file_are_honoured() {
    let sts = fake::sts();
    let mut s = Scenario::with_role(&sts, "");
    let dir = tempfile::tempdir().unwrap();
    let (cfg, creds) = (dir.path().join("cfg"), dir.path().join("creds"));
    std::fs::write(
        &cfg,
        format!("[profile elsewhere]\nrole_arn = {ROLE_ARN}\nsource_profile = otherdev\n"),
    )
    .unwrap();
    std::fs::write(&creds, "[otherdev]\naws_access_key_id = AKIAOTHEREXAMPLE0001\naws_secret_access_key = other-secret\n").unwrap();
    s.set("AWS_CONFIG_FILE", path_str(&cfg))
        .set("AWS_SHARED_CREDENTIALS_FILE", path_str(&creds));
    s.run(&["--profile", "elsewhere"]).ok();
    assert!(
        sts.last("AssumeRole")
            .header("authorization")
            .unwrap()
            .contains("Credential=AKIAOTHEREXAMPLE0001/")
    );
}

#[test]
fn debug_output_shows_key_ids_by_their_tail_only() {
    let sts = fake::sts();
    let s = Scenario::with_role(&sts, "");
    let out = s.run(&["--profile", "prod", "--debug"]);
    out.ok()
        .no_secrets_on_stderr()
        .stderr_has(&["debug:", "…0001"]);
    assert!(!out.stderr.contains(DEV_KEY_ID), "{}", out.stderr);
}

/// A newcomer's first run: nothing is configured, so xacct-cred says what to do first.
#[test]
fn plain_xacct_cred_with_nothing_configured_says_to_run_setup() {
    let s = Scenario::new();
    s.run(&[]).failed(2).stderr_has(&[
        "no role to assume: no profile in",
        "holds a role_arn yet",
        "xacct-cred setup --name prod --role-arn",
    ]);
}
