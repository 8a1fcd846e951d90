//! Profiles, flags and environments that make a plan, and what the plan holds.
use super::*;

pub(super) fn cases() -> Vec<Case> {
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
    ]
}
