//! The fuzz targets' properties as property tests: a few hundred generated inputs per property
//! in every `cargo test`, shaped like the real thing (config lines, cache entries, ARNs) so the
//! few seconds they take reach past the first parse error. The export round trip through the
//! real shells and python-dotenv, too slow for a fuzzer, is in `shells.rs`.

use super::*;
use proptest::prelude::*;
use proptest::test_runner::Config;

pub(super) fn config(cases: u32) -> Config {
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}

/// Text with the characters that break parsers and quoting, and some of anything.
pub(super) fn nasty() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z0-9/+=]{0,12}",
        "[ -~]{0,16}",
        "[\\x00-\\x1f'\"\\\\$`{}#;=\\[\\] \u{2018}\u{2019}\u{201A}\u{201B}é\u{feff}a-z]{0,12}",
        any::<String>(),
    ]
}

const ARN: &str = "arn:aws:iam::111111111111:role/r";

fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(ARN.to_string()),
        Just("arn:aws:iam::222222222222:role/path/other".to_string()),
        Just("dev".to_string()),
        Just("Ec2InstanceMetadata".to_string()),
        Just("Environment".to_string()),
        Just("EcsContainer".to_string()),
        Just("3600".to_string()),
        Just("eu-west-1".to_string()),
        Just("http://127.0.0.1:1".to_string()),
        Just("arn:aws:iam::111111111111:mfa/me".to_string()),
        nasty(),
    ]
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("role_arn"),
        Just("source_profile"),
        Just("credential_source"),
        Just("aws_access_key_id"),
        Just("aws_secret_access_key"),
        Just("aws_session_token"),
        Just("role_session_name"),
        Just("external_id"),
        Just("duration_seconds"),
        Just("mfa_serial"),
        Just("region"),
        Just("endpoint_url"),
        Just("services"),
        Just("credential_process"),
        Just("sso_session"),
        Just("my_secret_thing"),
    ]
    .prop_map(str::to_string)
}

fn line() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => (key(), value()).prop_map(|(k, v)| format!("{k} = {v}")),
        2 => prop_oneof![Just("p"), Just("dev"), Just("default"), Just("prod"), Just("prod-role")]
            .prop_flat_map(|n| prop_oneof![
                Just(format!("[profile {n}]")),
                Just(format!("[{n}]")),
                Just(format!("[ profile  {n} ]")),
            ]),
        1 => Just("[sso-session s]".to_string()),
        1 => Just("[services s]\nsts =\n  endpoint_url = http://127.0.0.1:2".to_string()),
        1 => prop_oneof![Just(""), Just("# comment"), Just("; other"), Just("  sub = value")]
            .prop_map(str::to_string),
        1 => nasty(),
    ]
}

fn text() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(line(), 0..12),
        prop_oneof![Just("\n"), Just("\r\n")],
    )
        .prop_map(|(lines, nl)| {
            let mut t = lines.join(nl);
            t.push_str(nl);
            t
        })
}

fn some(s: impl Strategy<Value = String>) -> impl Strategy<Value = Option<String>> {
    prop::option::weighted(0.3, s)
}

fn role_args() -> impl Strategy<Value = RoleInputs> {
    (
        (
            some(prop_oneof![
                Just("p".to_string()),
                Just("prod".to_string()),
                nasty()
            ]),
            some(value()),
            some(value()),
        ),
        (any::<Option<u8>>(), some(nasty()), some(nasty())),
        (
            any::<Option<i64>>(),
            some(value()),
            some(nasty()),
            some(value()),
        ),
    )
        .prop_map(
            |(
                (profile, role_arn, source_profile),
                (cs, session, ext),
                (dur, mfa, code, region),
            )| RoleInputs {
                profile,
                role_arn,
                source_profile,
                credential_source: cs.and_then(credential_source),
                role_session_name: session,
                external_id: ext,
                duration_seconds: dur,
                mfa_serial: mfa,
                token_code: code,
                region,
            },
        )
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn endpoint_request_heads_parse_or_are_refused_and_never_show_the_token(
        method in prop_oneof![Just("GET".to_string()), Just("POST".to_string()), "[A-Za-z]{0,8}"],
        path in prop_oneof![Just("/credentials/prod".to_string()), "/[ -~]{0,40}"],
        version in prop_oneof![
            Just("HTTP/1.1".to_string()),
            Just("HTTP/1.0".to_string()),
            "[ -~]{0,10}"
        ],
        headers in prop::collection::vec(("[A-Za-z-]{0,16}", "[ -~]{0,48}"), 0..40),
        cut in 0usize..400,
    ) {
        let mut head = format!("{method} {path} {version}\r\n");
        for (k, v) in &headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        check_request(head.as_bytes());
        let bytes = head.as_bytes();
        check_request(&bytes[..cut.min(bytes.len())]);
    }

    #[test]
    fn cache_entries_read_as_valid_or_a_miss_and_only_for_their_role(
        role in prop_oneof![Just(ARN.to_string()), value()],
        times in prop::collection::vec(prop_oneof![
            Just("2027-01-15T08:00:00Z".to_string()),
            Just("2020-01-01T00:00:00Z".to_string()),
            Just("9999-12-31T23:59:59-23:59".to_string()),
            Just("0000-01-01T00:00:00+23:59".to_string()),
            Just("2027-01-15T08:00:00.123456789+01:00".to_string()),
            nasty(),
        ], 2),
        secret in nasty(),
        version in prop_oneof![Just(serde_json::json!(1)), Just(serde_json::json!(2)), Just(serde_json::json!("1"))],
        garbage in any::<Vec<u8>>(),
    ) {
        let doc = serde_json::json!({
            "version": version, "role_arn": role, "profile": "p", "source": "source_profile dev",
            "created_at": times[0],
            "credentials": {"AccessKeyId": "ASIA", "SecretAccessKey": secret, "SessionToken": "t", "Expiration": times[1]},
        });
        check_cache_entry(doc.to_string().as_bytes());
        check_cache_entry(&garbage);
    }

    #[test]
    fn any_config_and_flags_give_a_plan_or_an_error_that_quotes_no_secret(
        config in text(),
        credentials in text(),
        args in role_args(),
        env in prop::collection::vec((prop_oneof![
            Just("AWS_PROFILE"), Just("AWS_REGION"), Just("AWS_SECRET_ACCESS_KEY"), Just("AWS_SESSION_TOKEN"),
            Just("AWS_ENDPOINT_URL_STS"), Just("AWS_CONTAINER_CREDENTIALS_FULL_URI"), Just("USER"),
        ].prop_map(str::to_string), value()), 0..4),
    ) {
        check_plan(&config, &credentials, &Flags { args, env });
    }

    #[test]
    fn setup_keeps_every_line_and_profile_and_is_idempotent(
        original in text(),
        names in (prop_oneof![Just("prod"), Just("p"), Just("dev"), Just("default")], prop_oneof![Just("prod-role"), Just("p"), Just("dev")]),
        role_arn in prop_oneof![Just(ARN.to_string()), value()],
        credential_source in any::<bool>(),
        source in prop_oneof![Just("dev".to_string()), Just("Ec2InstanceMetadata".to_string()), value()],
        region in some(prop_oneof![Just("eu-west-1".to_string()), nasty()]),
        duration in prop::option::weighted(0.3, 800i64..4000),
        force in any::<bool>(),
    ) {
        let input = SetupInput {
            role: RoleInputs { region, duration_seconds: duration, ..RoleInputs::default() },
            force,
            name: names.0.to_string(),
            role_profile: names.1.to_string(),
            role_arn,
            credential_source,
            source,
            exe: "/usr/local/bin/xacct-cred".to_string(),
        };
        check_setup(&original, &input);
    }

    #[test]
    fn export_values_round_trip_through_each_formats_parser_or_are_refused(
        id in nasty(), secret in nasty(), token in nasty(),
    ) {
        check_export(&id, &secret, &token);
    }

    #[test]
    fn fields_keep_their_rules(
        s in prop_oneof![
            "arn:aws(-cn|-us-gov|-x)?:iam::[0-9]{11,13}:role/[a-zA-Z0-9+=,.@_/ -]{0,20}",
            "[a-zA-Z0-9+=,.@_:/ -]{0,70}",
            " ?[0-9]{3,7} ?",
            nasty(),
        ],
    ) {
        check_fields(&s);
    }

    #[test]
    fn imds_and_signin_replies_parse_or_fail_without_panicking(
        code in some(prop_oneof![Just("Success".to_string()), nasty()]),
        fields in prop::collection::vec(some(nasty()), 4),
        garbage in any::<Vec<u8>>(),
    ) {
        let doc = serde_json::json!({
            "Code": code, "AccessKeyId": fields[0], "SecretAccessKey": fields[1], "Token": fields[2],
            "Expiration": fields[3], "Message": "m",
        });
        check_imds_reply(doc.to_string().as_bytes());
        check_imds_reply(&garbage);
        check_signin_reply(serde_json::json!({"SigninToken": fields[1]}).to_string().as_bytes());
        check_signin_reply(&garbage);
        let message = fields[1].clone().unwrap_or_default();
        for body in [
            format!("<ErrorResponse><Error><Code>{}</Code><Message>{message}</Message></Error></ErrorResponse>", fields[0].clone().unwrap_or_default()),
            serde_json::json!({"__type": fields[0], "message": message}).to_string(),
            format!("<html>{message}</html>"),
        ] {
            check_error_reply(Some(500), body.as_bytes());
        }
        check_error_reply(None, &garbage);
    }
}

/// Every committed seed (fuzz/corpus/TARGET/seed-*), the crash regressions among them, through
/// its target's check: what the fuzzers start from is tested at every commit.
#[test]
fn the_committed_fuzz_seeds_pass_their_checks() {
    let corpus = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus");
    type Check = fn(&[u8]);
    let targets: [(&str, Check); 7] = [
        ("cache_entry", check_cache_entry),
        ("plan", check_plan_input),
        ("setup_edit", check_setup_input),
        ("export", check_export_input),
        ("fields", |b| check_fields(&String::from_utf8_lossy(b))),
        ("replies", check_reply_input),
        ("endpoint_request", check_request),
    ];
    for (target, check) in targets {
        let dir = corpus.join(target);
        let mut seeds = 0;
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.unwrap().path();
            if path
                .file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("seed-")
            {
                check(&std::fs::read(&path).unwrap());
                seeds += 1;
            }
        }
        assert!(seeds >= 2, "{target} has {seeds} seeds");
    }
}
