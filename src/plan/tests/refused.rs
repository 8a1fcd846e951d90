//! Profiles, flags and environments that are refused, and the words the error must carry.
use super::*;

pub(super) fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "endpoint: services naming a missing section is refused",
            config: "[profile prod]\nrole_arn = arn:aws:iam::111111111111:role/readonly\nsource_profile = dev\nservices = nope\n",
            args: args(Some("prod")),
            env: &[],
            expect: Err("names a [services nope] section that does not exist"),
        },
        Case {
            name: "endpoint: a boolean that is neither true nor false is refused",
            config: "[profile prod]\nrole_arn = arn:aws:iam::111111111111:role/readonly\nsource_profile = dev\nuse_fips_endpoint = yes\n",
            args: args(Some("prod")),
            env: &[],
            expect: Err("use_fips_endpoint = yes is neither true nor false"),
        },
        Case {
            name: "an unknown AWS_DEFAULT_PROFILE is named as such",
            config: "",
            args: args(None),
            env: &[("AWS_DEFAULT_PROFILE", "nope")],
            expect: Err("profile nope (AWS_DEFAULT_PROFILE) is not defined"),
        },
        Case {
            name: "nothing named and a [default] without a role",
            config: "[default]\nregion = eu-west-1\n",
            args: args(None),
            env: &[],
            expect: Err("no profile in config holds a role_arn yet"),
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
                token_code: Some(crate::credentials::Secret::new("123456")),
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
                token_code: Some(crate::credentials::Secret::new("12345")),
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
