//! A table of profile files + flags + environment → plan or error. No file, variable or
//! network is touched: the config is parsed from strings and the environment is made up.
use super::*;

const CREDS: &str = "[dev]\naws_access_key_id = AKIADEV\naws_secret_access_key = s\n[hop]\naws_access_key_id = AKIAHOP\naws_secret_access_key = hop-secret\n";
const ROLE: &str = "arn:aws:iam::111111111111:role/readonly";

struct Case {
    name: &'static str,
    config: &'static str,
    args: RoleInputs,
    env: &'static [(&'static str, &'static str)],
    expect: std::result::Result<fn(&Plan), &'static str>,
}

fn args(profile: Option<&str>) -> RoleInputs {
    RoleInputs {
        profile: profile.map(str::to_string),
        ..RoleInputs::default()
    }
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "profile with source_profile and every key",
            config: "[profile prod]\nrole_arn = arn:aws:iam::111111111111:role/readonly\nsource_profile = dev\nrole_session_name = s1\nexternal_id = ext-9\nduration_seconds = 1800\nmfa_serial = arn:aws:iam::222222222222:mfa/me\nregion = eu-west-1\n",
            args: args(Some("prod")),
            env: &[("USER", "alice")],
            expect: Ok(|p| {
                assert_eq!(p.profile.as_deref(), Some("prod"));
                assert_eq!(p.role.role_arn.account_id, "111111111111");
                assert_eq!(p.role.role_arn.name, "readonly");
                assert_eq!(p.role.session_name, "s1");
                assert_eq!(p.role.external_id.as_deref(), Some("ext-9"));
                assert_eq!(p.role.duration_seconds, 1800);
                assert_eq!(
                    p.role.mfa_serial.as_deref(),
                    Some("arn:aws:iam::222222222222:mfa/me")
                );
                assert_eq!(p.region, "eu-west-1");
                assert_eq!(
                    p.source,
                    SourceSpec::StaticKeys {
                        name: "dev".into(),
                        access_key_id: "AKIADEV".into()
                    }
                );
                assert_eq!(p.sts_endpoint, None);
            }),
        },
        Case {
            name: "defaults: user session name, 3600 s, us-east-1",
            config: "[profile prod]\nrole_arn = arn:aws:iam::111111111111:role/readonly\nsource_profile = dev\n",
            args: args(Some("prod")),
            env: &[("USER", "bob smith")],
            expect: Ok(|p| {
                assert_eq!(p.role.session_name, "bob_smith");
                assert_eq!(p.role.duration_seconds, 3600);
                assert_eq!(p.region, "us-east-1");
            }),
        },
        Case {
            name: "AWS_REGION beats the profile's region; AWS_PROFILE names the profile",
            config: "[profile prod]\nrole_arn = arn:aws:iam::111111111111:role/readonly\nsource_profile = dev\nregion = eu-west-1\n",
            args: args(None),
            env: &[("AWS_PROFILE", "prod"), ("AWS_REGION", "ap-south-1")],
            expect: Ok(|p| {
                assert_eq!(p.profile.as_deref(), Some("prod"));
                assert_eq!(p.region, "ap-south-1");
            }),
        },
        Case {
            name: "the source profile's region is the last resort",
            config: "[profile prod]\nrole_arn = arn:aws:iam::111111111111:role/readonly\nsource_profile = dev\n[profile dev]\nregion = sa-east-1\n",
            args: args(Some("prod")),
            env: &[],
            expect: Ok(|p| assert_eq!(p.region, "sa-east-1")),
        },
        Case {
            name: "flags alone",
            config: "",
            args: RoleInputs {
                role_arn: Some(ROLE.into()),
                source_profile: Some("dev".into()),
                ..RoleInputs::default()
            },
            env: &[],
            expect: Ok(|p| {
                assert_eq!(p.profile, None);
                assert_eq!(p.role.role_arn.arn, ROLE);
            }),
        },
        Case {
            name: "credential_source flag replaces the profile's source_profile",
            config: "[profile prod]\nrole_arn = arn:aws:iam::111111111111:role/readonly\nsource_profile = dev\n",
            args: RoleInputs {
                profile: Some("prod".into()),
                credential_source: Some(CredentialSource::Ec2InstanceMetadata),
                ..RoleInputs::default()
            },
            env: &[("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:1338")],
            expect: Ok(|p| {
                assert_eq!(
                    p.source,
                    SourceSpec::Ec2InstanceMetadata {
                        endpoint: Some("http://127.0.0.1:1338".into())
                    }
                )
            }),
        },
        // The SDKs' and botocore's order (tests/e2e/test_differential.py checks it).
        Case {
            name: "endpoint: AWS_ENDPOINT_URL beats the services section",
            config: "[profile prod]\nrole_arn = arn:aws:iam::111111111111:role/readonly\nsource_profile = dev\nservices = s\n[services s]\nsts =\n  endpoint_url = http://127.0.0.1:5000\n",
            args: args(Some("prod")),
            env: &[("AWS_ENDPOINT_URL", "http://127.0.0.1:1")],
            expect: Ok(|p| assert_eq!(p.sts_endpoint.as_deref(), Some("http://127.0.0.1:1"))),
        },
        Case {
            name: "endpoint: the services section beats endpoint_url",
            config: "[profile prod]\nrole_arn = arn:aws:iam::111111111111:role/readonly\nsource_profile = dev\nendpoint_url = http://127.0.0.1:1\nservices = s\n[services s]\nsts =\n  endpoint_url = http://127.0.0.1:5000\n",
            args: args(Some("prod")),
            env: &[],
            expect: Ok(|p| assert_eq!(p.sts_endpoint.as_deref(), Some("http://127.0.0.1:5000"))),
        },
        Case {
            name: "endpoint: AWS_ENDPOINT_URL_STS beats AWS_ENDPOINT_URL",
            config: "[profile prod]\nrole_arn = arn:aws:iam::111111111111:role/readonly\nsource_profile = dev\n",
            args: args(Some("prod")),
            env: &[
                ("AWS_ENDPOINT_URL", "http://127.0.0.1:1"),
                ("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:2"),
            ],
            expect: Ok(|p| assert_eq!(p.sts_endpoint.as_deref(), Some("http://127.0.0.1:2"))),
        },
        Case {
            name: "endpoint: only the role profile's endpoint_url counts, not the source's",
            config: "[profile prod]\nrole_arn = arn:aws:iam::111111111111:role/readonly\nsource_profile = dev\n[profile dev]\nendpoint_url = http://127.0.0.1:1\n",
            args: args(Some("prod")),
            env: &[],
            expect: Ok(|p| assert_eq!(p.sts_endpoint, None)),
        },
        Case {
            name: "endpoint: a services section without sts falls through to AWS_ENDPOINT_URL",
            config: "[profile prod]\nrole_arn = arn:aws:iam::111111111111:role/readonly\nsource_profile = dev\nservices = s\n[services s]\ns3 =\n  endpoint_url = http://127.0.0.1:5000\n",
            args: args(Some("prod")),
            env: &[("AWS_ENDPOINT_URL", "http://127.0.0.1:1")],
            expect: Ok(|p| assert_eq!(p.sts_endpoint.as_deref(), Some("http://127.0.0.1:1"))),
        },
        Case {
            name: "endpoint: services naming a missing section is refused",
            config: "[profile prod]\nrole_arn = arn:aws:iam::111111111111:role/readonly\nsource_profile = dev\nservices = nope\n",
            args: args(Some("prod")),
            env: &[],
            expect: Err("names a [services nope] section that does not exist"),
        },
        Case {
            name: "endpoint: AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=false wins over the profile's true",
            config: "[profile prod]\nrole_arn = arn:aws:iam::111111111111:role/readonly\nsource_profile = dev\nendpoint_url = http://127.0.0.1:5000\nignore_configured_endpoint_urls = true\n",
            args: args(Some("prod")),
            env: &[("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "false")],
            expect: Ok(|p| assert_eq!(p.sts_endpoint.as_deref(), Some("http://127.0.0.1:5000"))),
        },
        Case {
            name: "endpoint: the profile's ignore_configured_endpoint_urls = true alone ignores them",
            config: "[profile prod]\nrole_arn = arn:aws:iam::111111111111:role/readonly\nsource_profile = dev\nendpoint_url = http://127.0.0.1:5000\nignore_configured_endpoint_urls = TRUE\n",
            args: args(Some("prod")),
            env: &[("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:1")],
            expect: Ok(|p| assert_eq!(p.sts_endpoint, None)),
        },
        Case {
            name: "endpoint: a boolean that is neither true nor false is refused",
            config: "[profile prod]\nrole_arn = arn:aws:iam::111111111111:role/readonly\nsource_profile = dev\nuse_fips_endpoint = yes\n",
            args: args(Some("prod")),
            env: &[],
            expect: Err("use_fips_endpoint = yes is neither true nor false"),
        },
        Case {
            name: "FIPS and dual-stack from the profile's keys",
            config: "[profile prod]\nrole_arn = arn:aws:iam::111111111111:role/readonly\nsource_profile = dev\nuse_fips_endpoint = true\nuse_dualstack_endpoint = true\n",
            args: args(Some("prod")),
            env: &[],
            expect: Ok(|p| assert!(p.use_fips && p.use_dual_stack && p.sts_endpoint.is_none())),
        },
        Case {
            name: "FIPS and dual-stack from the variables, which win over the profile",
            config: "[profile prod]\nrole_arn = arn:aws:iam::111111111111:role/readonly\nsource_profile = dev\nuse_fips_endpoint = true\n",
            args: args(Some("prod")),
            env: &[
                ("AWS_USE_FIPS_ENDPOINT", "false"),
                ("AWS_USE_DUALSTACK_ENDPOINT", "true"),
            ],
            expect: Ok(|p| assert!(!p.use_fips && p.use_dual_stack)),
        },
        Case {
            name: "neither FIPS nor dual-stack by default",
            config: "[profile prod]\nrole_arn = arn:aws:iam::111111111111:role/readonly\nsource_profile = dev\n",
            args: args(Some("prod")),
            env: &[],
            expect: Ok(|p| assert!(!p.use_fips && !p.use_dual_stack)),
        },
        Case {
            name: "AWS_DEFAULT_PROFILE names the profile",
            config: "[profile prod]\nrole_arn = arn:aws:iam::111111111111:role/readonly\nsource_profile = dev\n",
            args: args(None),
            env: &[("AWS_DEFAULT_PROFILE", "prod")],
            expect: Ok(|p| assert_eq!(p.profile.as_deref(), Some("prod"))),
        },
        Case {
            name: "AWS_PROFILE beats AWS_DEFAULT_PROFILE (the CLI v2's order)",
            config: "[profile prod]\nrole_arn = arn:aws:iam::111111111111:role/readonly\nsource_profile = dev\n[profile other]\nrole_arn = arn:aws:iam::111111111111:role/other\nsource_profile = dev\n",
            args: args(None),
            env: &[("AWS_PROFILE", "prod"), ("AWS_DEFAULT_PROFILE", "other")],
            expect: Ok(|p| assert_eq!(p.role.role_arn.name, "readonly")),
        },
        Case {
            name: "an unknown AWS_DEFAULT_PROFILE is named as such",
            config: "",
            args: args(None),
            env: &[("AWS_DEFAULT_PROFILE", "nope")],
            expect: Err("profile nope (AWS_DEFAULT_PROFILE) is not defined"),
        },
        Case {
            name: "nothing named: [default] if it holds a role, with its endpoint settings",
            config: "[default]\nrole_arn = arn:aws:iam::111111111111:role/readonly\nsource_profile = dev\nendpoint_url = http://127.0.0.1:5000\n",
            args: args(None),
            env: &[],
            expect: Ok(|p| {
                assert_eq!(p.profile.as_deref(), Some("default"));
                assert_eq!(p.sts_endpoint.as_deref(), Some("http://127.0.0.1:5000"));
            }),
        },
        Case {
            name: "nothing named and a [default] without a role",
            config: "[default]\nregion = eu-west-1\n",
            args: args(None),
            env: &[],
            expect: Err("no profile in config holds a role_arn yet"),
        },
        Case {
            name: "--role-arn ignores AWS_PROFILE and [default]",
            config: "[default]\nrole_arn = arn:aws:iam::111111111111:role/other\nsource_profile = dev\n",
            args: RoleInputs {
                role_arn: Some(ROLE.into()),
                source_profile: Some("dev".into()),
                ..RoleInputs::default()
            },
            env: &[("AWS_PROFILE", "nope")],
            expect: Ok(|p| {
                assert_eq!(p.profile, None);
                assert_eq!(p.role.role_arn.arn, ROLE);
            }),
        },
        Case {
            name: "endpoint: ignored when AWS_IGNORE_CONFIGURED_ENDPOINT_URLS is set",
            config: "[profile prod]\nrole_arn = arn:aws:iam::111111111111:role/readonly\nsource_profile = dev\nendpoint_url = http://127.0.0.1:5000\n",
            args: args(Some("prod")),
            env: &[
                ("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:1"),
                ("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true"),
            ],
            expect: Ok(|p| assert_eq!(p.sts_endpoint, None)),
        },
        Case {
            name: "no profile, no role: set one up first",
            config: "",
            args: args(None),
            env: &[],
            expect: Err("xacct-cred setup --name prod"),
        },
        Case {
            name: "nothing named, roles in other profiles: they are named",
            config: "[profile b-role]\nrole_arn = arn:aws:iam::111111111111:role/b\n[profile a-role]\nrole_arn = arn:aws:iam::111111111111:role/a\n[profile dev]\n",
            args: args(None),
            env: &[],
            expect: Err("Profiles with a role_arn: a-role, b-role."),
        },
        Case {
            name: "unknown profile",
            config: "[profile a]\n",
            args: args(Some("b")),
            env: &[],
            expect: Err("profile b (--profile) is not defined"),
        },
        Case {
            name: "a credential_process profile has no role",
            config: "[profile p]\ncredential_process = xacct-cred --profile q\n",
            args: args(Some("p")),
            env: &[],
            expect: Err("runs `xacct-cred --profile q`"),
        },
        Case {
            name: "ARN of a user",
            config: "[profile p]\nrole_arn = arn:aws:iam::111111111111:user/me\nsource_profile = dev\n",
            args: args(Some("p")),
            env: &[],
            expect: Err("is not a role"),
        },
        Case {
            name: "ARN with a region",
            config: "[profile p]\nrole_arn = arn:aws:iam:us-east-1:111111111111:role/r\nsource_profile = dev\n",
            args: args(Some("p")),
            env: &[],
            expect: Err("empty region field"),
        },
        Case {
            name: "a self-sourced profile with static keys uses its own keys",
            config: "[profile p]\nrole_arn = arn:aws:iam::111111111111:role/r\nsource_profile = p\naws_access_key_id = AKIAOWN\naws_secret_access_key = own-secret\n",
            args: args(Some("p")),
            env: &[],
            expect: Ok(|p| {
                assert_eq!(
                    p.source,
                    SourceSpec::StaticKeys {
                        name: "p".into(),
                        access_key_id: "AKIAOWN".into()
                    }
                );
                assert!(!format!("{p:?}").contains("own-secret"), "{p:?}");
            }),
        },
        Case {
            name: "a source profile with static keys and a role_arn is used by its keys",
            config: "[profile p]\nrole_arn = arn:aws:iam::111111111111:role/r\nsource_profile = hop\n[profile hop]\nrole_arn = arn:aws:iam::111111111111:role/hop\n",
            args: args(Some("p")),
            env: &[],
            expect: Ok(|p| {
                assert_eq!(
                    p.source,
                    SourceSpec::StaticKeys {
                        name: "hop".into(),
                        access_key_id: "AKIAHOP".into()
                    }
                )
            }),
        },
        Case {
            name: "a source profile with only one of the two keys goes through aws-config",
            config: "[profile p]\nrole_arn = arn:aws:iam::111111111111:role/r\nsource_profile = half\n[profile half]\naws_access_key_id = AKIAHALF\n",
            args: args(Some("p")),
            env: &[],
            expect: Ok(|p| {
                assert!(matches!(&p.source, SourceSpec::Profile { name, .. } if name == "half"))
            }),
        },
        Case {
            name: "a web identity role profile without a source is refused with a hint",
            config: "[profile p]\nrole_arn = arn:aws:iam::111111111111:role/r\nweb_identity_token_file = /t\n",
            args: args(Some("p")),
            env: &[],
            expect: Err("assumes its role with a web identity token"),
        },
        Case {
            name: "self-sourcing profile",
            config: "[profile p]\nrole_arn = arn:aws:iam::111111111111:role/r\nsource_profile = p\n",
            args: args(Some("p")),
            env: &[],
            expect: Err("names itself"),
        },
        Case {
            name: "token code without a serial",
            config: "[profile p]\nrole_arn = arn:aws:iam::111111111111:role/r\nsource_profile = dev\n",
            args: RoleInputs {
                profile: Some("p".into()),
                token_code: Some("123456".into()),
                ..RoleInputs::default()
            },
            env: &[],
            expect: Err("no mfa_serial"),
        },
        Case {
            name: "a 5-digit token code",
            config: "[profile p]\nrole_arn = arn:aws:iam::111111111111:role/r\nsource_profile = dev\nmfa_serial = arn:aws:iam::1:mfa/x\n",
            args: RoleInputs {
                profile: Some("p".into()),
                token_code: Some("12345".into()),
                ..RoleInputs::default()
            },
            env: &[],
            expect: Err("6 digits"),
        },
        Case {
            name: "endpoint that is not a URL",
            config: "[profile p]\nrole_arn = arn:aws:iam::111111111111:role/r\nsource_profile = dev\n",
            args: args(Some("p")),
            env: &[("AWS_ENDPOINT_URL_STS", "localhost:4566")],
            expect: Err("is not an http(s) URL"),
        },
        Case {
            name: "duration not a number",
            config: "[profile p]\nrole_arn = arn:aws:iam::111111111111:role/r\nsource_profile = dev\nduration_seconds = 1h\n",
            args: args(Some("p")),
            env: &[],
            expect: Err("not a whole number"),
        },
    ]
}

#[test]
fn plan_table() {
    for case in cases() {
        let config = SharedConfig::from_strings(case.config, CREDS).unwrap();
        let env = Environment::from_pairs(case.env.iter().copied());
        match (Plan::build(&config, &case.args, &env), case.expect) {
            (Ok(plan), Ok(check)) => check(&plan),
            (Err(e), Err(needle)) => {
                assert!(e.to_string().contains(needle), "{}: {e}", case.name)
            }
            (Ok(plan), Err(needle)) => panic!(
                "{}: expected an error with {needle:?}, got {plan:?}",
                case.name
            ),
            (Err(e), Ok(_)) => panic!("{}: unexpected error: {e}", case.name),
        }
    }
}

#[test]
fn debug_of_a_plan_never_shows_the_mfa_code() {
    let config = SharedConfig::from_strings("[profile p]\nrole_arn = arn:aws:iam::111111111111:role/r\nsource_profile = dev\nmfa_serial = arn:aws:iam::1:mfa/x\n", CREDS).unwrap();
    let args = RoleInputs {
        profile: Some("p".into()),
        token_code: Some("482913".into()),
        ..RoleInputs::default()
    };
    let plan = Plan::build(&config, &args, &Environment::default()).unwrap();
    assert_eq!(
        plan.role.token_code.as_ref().map(|c| c.expose()),
        Some("482913")
    );
    assert!(!format!("{plan:?}").contains("482913"));
}
