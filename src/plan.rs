//! Profile + flags + environment → a validated, pure description of what to do.
//!
//! [`Plan::build`] reads nothing and sends nothing: it takes the parsed profile files, the
//! flags and an environment snapshot, and either returns a [`Plan`] that is safe to execute or
//! an error that names the bad value and where it came from. Everything STS would reject for
//! its form (ARN, session name, duration, external ID, MFA serial) is caught here, before any
//! network call, and every other module trusts a `Plan` to be valid.

use crate::cli::RoleArgs;
use crate::config::SharedConfig;
use crate::env::Environment;
use crate::error::{Error, Result};

pub const DEFAULT_DURATION: i64 = 3600;
pub const MIN_DURATION: i64 = 900;
pub const MAX_DURATION: i64 = 43200;
pub const DEFAULT_REGION: &str = "us-east-1";

/// Everything needed to get the session credentials, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The profile that held the role, if one was named.
    pub profile: Option<String>,
    pub role: RoleSpec,
    pub source: SourceSpec,
    pub region: String,
    /// Whether the region was configured (flag, variable, profile) rather than defaulted.
    pub region_configured: bool,
    /// An STS endpoint override (AWS_ENDPOINT_URL_STS, services, AWS_ENDPOINT_URL, endpoint_url).
    pub sts_endpoint: Option<String>,
}

/// The AssumeRole request, minus the source credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleSpec {
    pub role_arn: RoleArn,
    pub session_name: String,
    pub external_id: Option<String>,
    pub duration_seconds: i64,
    pub mfa_serial: Option<String>,
    /// Not part of the cache key: a code only unlocks the session the key names. A `Secret`
    /// so that `Debug` of a plan never shows it.
    pub token_code: Option<crate::credentials::Secret>,
}

impl RoleSpec {
    pub fn duration(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.duration_seconds.unsigned_abs())
    }
}

/// Where the credentials that call AssumeRole come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceSpec {
    /// Whatever that profile resolves to through aws-config (keys, SSO, process, another role).
    Profile {
        name: String,
        /// Non-secret facts that tell apart two identities behind the same profile name:
        /// the files it came from and its access key id or its own role settings.
        identity: Vec<String>,
    },
    /// AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN.
    Environment { access_key_id: Option<String> },
    /// The instance role, from IMDSv2.
    Ec2InstanceMetadata { endpoint: Option<String> },
    /// The task role, from the ECS container credentials endpoint.
    EcsContainer { uri: Option<String> },
}

impl SourceSpec {
    /// How messages name this source.
    pub fn describe(&self) -> String {
        match self {
            SourceSpec::Profile { name, .. } => format!("source_profile {name}"),
            SourceSpec::Environment { .. } => "credential_source Environment".into(),
            SourceSpec::Ec2InstanceMetadata { .. } => {
                "credential_source Ec2InstanceMetadata".into()
            }
            SourceSpec::EcsContainer { .. } => "credential_source EcsContainer".into(),
        }
    }

    /// The material the cache key takes from the source.
    pub fn key_material(&self) -> Vec<String> {
        match self {
            SourceSpec::Profile { name, identity } => {
                let mut v = vec!["profile".into(), name.clone()];
                v.extend(identity.iter().cloned());
                v
            }
            SourceSpec::Environment { access_key_id } => {
                vec!["env".into(), access_key_id.clone().unwrap_or_default()]
            }
            SourceSpec::Ec2InstanceMetadata { endpoint } => {
                vec!["imds".into(), endpoint.clone().unwrap_or_default()]
            }
            SourceSpec::EcsContainer { uri } => vec!["ecs".into(), uri.clone().unwrap_or_default()],
        }
    }
}

/// `arn:PARTITION:iam::ACCOUNT:role/[PATH/]NAME`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleArn {
    pub arn: String,
    pub partition: String,
    pub account_id: String,
    /// The role name without its path.
    pub name: String,
}

impl RoleArn {
    pub fn parse(arn: &str) -> std::result::Result<RoleArn, String> {
        let parts: Vec<&str> = arn.splitn(6, ':').collect();
        let [scheme, partition, service, region, account, resource] = parts[..] else {
            return Err("it does not have the six ':'-separated parts of an ARN".into());
        };
        if scheme != "arn" {
            return Err("it does not start with \"arn:\"".into());
        }
        if !matches!(
            partition,
            "aws"
                | "aws-cn"
                | "aws-us-gov"
                | "aws-iso"
                | "aws-iso-b"
                | "aws-iso-e"
                | "aws-iso-f"
                | "aws-eusc"
        ) {
            return Err(format!(
                "\"{partition}\" is not an AWS partition (aws, aws-cn, aws-us-gov…)"
            ));
        }
        if service != "iam" {
            return Err(format!(
                "the service is \"{service}\"; a role ARN's is \"iam\""
            ));
        }
        if !region.is_empty() {
            return Err(
                "IAM ARNs have an empty region field (arn:aws:iam::ACCOUNT:role/NAME)".into(),
            );
        }
        if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("the account id \"{account}\" is not 12 digits"));
        }
        let Some(path_and_name) = resource.strip_prefix("role/") else {
            return Err(format!(
                "the resource \"{resource}\" is not a role (role/NAME); is this a user or an assumed-role ARN?"
            ));
        };
        let name = path_and_name.rsplit('/').next().unwrap_or_default();
        let valid_name_char = |c: char| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c);
        if name.is_empty() || name.len() > 64 || !name.chars().all(valid_name_char) {
            return Err(format!(
                "the role name \"{name}\" is not 1-64 letters, digits or +=,.@_-"
            ));
        }
        if path_and_name.len() > 512 + 64
            || !path_and_name
                .chars()
                .all(|c| valid_name_char(c) || c == '/')
        {
            return Err("the role path has characters IAM does not allow".into());
        }
        Ok(RoleArn {
            arn: arn.to_string(),
            partition: partition.to_string(),
            account_id: account.to_string(),
            name: name.to_string(),
        })
    }
}

/// Where a setting came from, so an error can point at the right line or flag.
fn origin(flag: bool, key: &str, profile: Option<&str>) -> String {
    match (flag, profile) {
        (true, _) => format!("--{}", key.replace('_', "-")),
        (false, Some(p)) => format!("{key} in profile {p}"),
        (false, None) => key.to_string(),
    }
}

impl Plan {
    /// Builds and validates the plan. Flags win over the profile's keys.
    pub fn build(config: &SharedConfig, args: &RoleArgs, env: &Environment) -> Result<Plan> {
        let profile_name = args.profile.clone().or_else(|| {
            args.role_arn
                .is_none()
                .then(|| env.get("AWS_PROFILE").map(str::to_string))
                .flatten()
        });
        let profile = profile_name.as_deref();

        if let Some(p) = profile {
            if config.profile(p).is_none() {
                return Err(unknown_profile(config, p, "--profile"));
            }
        } else if args.role_arn.is_none() {
            return Err(Error::config("no role to assume: give --profile NAME or --role-arn ARN")
                .hint("For example: xacct-cred --profile prod-readonly (a profile with role_arn and source_profile), or xacct-cred --role-arn arn:aws:iam::111111111111:role/NAME --source-profile dev."));
        }
        let key = |k: &str| profile.and_then(|p| config.get(p, k));

        // The role.
        let (arn_text, arn_from_flag) = match (&args.role_arn, key("role_arn")) {
            (Some(a), _) => (a.trim().to_string(), true),
            (None, Some(a)) => (a.to_string(), false),
            (None, None) => {
                let p = profile.unwrap_or_default();
                let mut err = Error::config(format!(
                    "profile {p} has no role_arn, so there is no role to assume"
                ));
                err = if let Some(cp) = key("credential_process") {
                    err.hint(format!("Profile {p} runs `{cp}`; point --profile at the profile that holds role_arn and source_profile instead, or add role_arn to {p}."))
                } else {
                    err.hint(format!("Add role_arn = arn:aws:iam::ACCOUNT:role/NAME to [profile {p}] in {}, or pass --role-arn.", config.config_file.display()))
                };
                return Err(err);
            }
        };
        let role_arn = RoleArn::parse(&arn_text).map_err(|why| {
            Error::config(format!(
                "the role ARN \"{arn_text}\" ({}) is malformed: {why}",
                origin(arn_from_flag, "role_arn", profile)
            ))
            .hint("A role ARN looks like arn:aws:iam::111111111111:role/NAME (copy it from the role's page in the IAM console).")
        })?;

        // The session.
        let session_name = match args
            .role_session_name
            .as_deref()
            .or_else(|| key("role_session_name"))
        {
            Some(s) => s.to_string(),
            None => default_session_name(env),
        };
        validate_session_name(&session_name).map_err(|why| {
            Error::config(format!(
                "the role session name \"{session_name}\" ({}) would be rejected by STS: {why}",
                origin(
                    args.role_session_name.is_some(),
                    "role_session_name",
                    profile
                )
            ))
            .hint("Use 2-64 characters from letters, digits and +=,.@_-.")
        })?;

        let duration_seconds = match (args.duration_seconds, key("duration_seconds")) {
            (Some(d), _) => d,
            (None, Some(text)) => text.parse::<i64>().map_err(|_| {
                Error::config(format!(
                    "duration_seconds = {text} in profile {} is not a whole number of seconds",
                    profile.unwrap_or_default()
                ))
                .hint("Use a number from 900 to 43200, e.g. duration_seconds = 3600.")
            })?,
            (None, None) => DEFAULT_DURATION,
        };
        if !(MIN_DURATION..=MAX_DURATION).contains(&duration_seconds) {
            return Err(Error::config(format!(
                "the session duration {duration_seconds} s ({}) is outside what STS allows (900 to 43200 s)",
                origin(args.duration_seconds.is_some(), "duration_seconds", profile)
            ))
            .hint("Pick a value from 900 to 43200; above 3600 the role's MaxSessionDuration must allow it too."));
        }

        let external_id = args
            .external_id
            .as_deref()
            .or_else(|| key("external_id"))
            .map(str::to_string);
        if let Some(id) = &external_id {
            let ok = (2..=1224).contains(&id.len())
                && id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+=,.@:/_-".contains(c));
            if !ok {
                return Err(Error::config(format!(
                    "the external ID ({}) would be rejected by STS: it must be 2-1224 characters from letters, digits and +=,.@:/_-",
                    origin(args.external_id.is_some(), "external_id", profile)
                ))
                .hint("Use the exact external ID the role's owner gave you."));
            }
        }

        let mfa_serial = args
            .mfa_serial
            .as_deref()
            .or_else(|| key("mfa_serial"))
            .map(str::to_string);
        if let Some(serial) = &mfa_serial {
            let ok = (9..=256).contains(&serial.len())
                && serial
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+=/:,.@_-".contains(c));
            if !ok {
                return Err(Error::config(format!(
                    "the MFA serial \"{serial}\" ({}) is not an MFA device ARN or serial number",
                    origin(args.mfa_serial.is_some(), "mfa_serial", profile)
                ))
                .hint("Use the device's ARN, e.g. arn:aws:iam::222222222222:mfa/USER (IAM console → Security credentials)."));
            }
        }

        let token_code = args
            .token_code
            .clone()
            .or_else(|| env.get(crate::env::TOKEN_CODE).map(str::to_string))
            .map(|c| c.trim().to_string());
        if let Some(code) = &token_code {
            if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
                return Err(
                    Error::new(crate::error::Kind::Mfa, "the MFA code must be 6 digits")
                        .hint("Pass the code your MFA device shows now, e.g. --token-code 123456."),
                );
            }
            if mfa_serial.is_none() {
                return Err(Error::config("--token-code was given but no mfa_serial is configured, so STS would ignore it")
                    .hint("Add mfa_serial to the profile or pass --mfa-serial ARN."));
            }
        }

        // The source.
        let source = Self::source(config, args, env, profile)?;

        // Region and endpoint.
        let source_region = match &source {
            SourceSpec::Profile { name, .. } => config.get(name, "region"),
            _ => None,
        };
        let configured_region = args
            .region
            .as_deref()
            .or_else(|| env.get("AWS_REGION"))
            .or_else(|| env.get("AWS_DEFAULT_REGION"))
            .or_else(|| key("region"))
            .or(source_region);
        let region_configured = configured_region.is_some();
        let region = configured_region
            .unwrap_or(DEFAULT_REGION)
            .trim()
            .to_string();
        if region.is_empty()
            || !region
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            return Err(Error::config(format!("the region \"{region}\" is not a region name"))
                .hint("Use a region code such as eu-west-1 (--region, AWS_REGION or region = in the profile)."));
        }
        let sts_endpoint = Self::sts_endpoint(config, env, profile)?;

        Ok(Plan {
            profile: profile_name,
            role: RoleSpec {
                role_arn,
                session_name,
                external_id,
                duration_seconds,
                mfa_serial,
                token_code: token_code.map(crate::credentials::Secret::new),
            },
            source,
            region,
            region_configured,
            sts_endpoint,
        })
    }

    fn source(
        config: &SharedConfig,
        args: &RoleArgs,
        env: &Environment,
        profile: Option<&str>,
    ) -> Result<SourceSpec> {
        let key = |k: &str| profile.and_then(|p| config.get(p, k));
        let (profile_source, named_source, from_flag) =
            match (&args.source_profile, &args.credential_source) {
                (Some(p), _) => (Some(p.as_str()), None, true),
                (None, Some(s)) => (None, Some(s.as_str()), true),
                (None, None) => (key("source_profile"), key("credential_source"), false),
            };
        let where_ = profile
            .map(|p| format!(" in profile {p}"))
            .unwrap_or_default();
        match (profile_source, named_source) {
            (Some(_), Some(_)) => Err(Error::config(format!(
                "both source_profile and credential_source are set{where_}; a role has exactly one source"
            ))
            .hint("Keep source_profile for an IAM user's keys or credential_source for the instance/container role, not both.")),
            (None, None) => Err(Error::config(format!(
                "no source credential{where_}: neither source_profile nor credential_source is set"
            ))
            .hint("Add source_profile = PROFILE (a profile with the user's keys) or credential_source = Ec2InstanceMetadata | EcsContainer | Environment, or pass --source-profile / --credential-source.")),
            (Some(name), None) => {
                if config.profile(name).is_none() {
                    let what = if from_flag { "--source-profile".to_string() } else { format!("source_profile{where_}") };
                    return Err(unknown_profile(config, name, &what));
                }
                if Some(name) == profile {
                    return Err(Error::config(format!("profile {name} names itself as its source_profile"))
                        .hint("Put the IAM user's keys in a profile of their own (e.g. [profile dev]) and use source_profile = dev."));
                }
                let mut identity = vec![
                    config.config_file.display().to_string(),
                    config.credentials_file.display().to_string(),
                ];
                for k in ["aws_access_key_id", "role_arn", "source_profile", "credential_source", "credential_process", "sso_session", "sso_start_url", "sso_account_id", "sso_role_name", "web_identity_token_file"] {
                    if let Some(v) = config.get(name, k) {
                        identity.push(format!("{k}={v}"));
                    }
                }
                Ok(SourceSpec::Profile { name: name.to_string(), identity })
            }
            (None, Some(kind)) => match kind {
                "Environment" => Ok(SourceSpec::Environment {
                    access_key_id: env.get("AWS_ACCESS_KEY_ID").map(str::to_string),
                }),
                "Ec2InstanceMetadata" => Ok(SourceSpec::Ec2InstanceMetadata {
                    endpoint: env.get("AWS_EC2_METADATA_SERVICE_ENDPOINT").map(str::to_string),
                }),
                "EcsContainer" => Ok(SourceSpec::EcsContainer {
                    uri: env
                        .get("AWS_CONTAINER_CREDENTIALS_FULL_URI")
                        .or_else(|| env.get("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"))
                        .map(str::to_string),
                }),
                other => {
                    let near = ["Environment", "Ec2InstanceMetadata", "EcsContainer"]
                        .into_iter()
                        .find(|k| k.eq_ignore_ascii_case(other));
                    let hint = match near {
                        Some(k) => format!("Write it as AWS documents it: credential_source = {k}."),
                        None => "Use one of Environment, Ec2InstanceMetadata, EcsContainer.".into(),
                    };
                    Err(Error::config(format!("credential_source = {other}{where_} is not a source xacct-cred knows")).hint(hint))
                }
            },
        }
    }

    /// The SDKs' precedence: service variable, service section, global variable, profile key.
    fn sts_endpoint(
        config: &SharedConfig,
        env: &Environment,
        profile: Option<&str>,
    ) -> Result<Option<String>> {
        let key = |k: &str| profile.and_then(|p| config.get(p, k));
        let ignore = env.flag("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")
            || key("ignore_configured_endpoint_urls")
                .is_some_and(|v| v.eq_ignore_ascii_case("true"));
        if ignore {
            return Ok(None);
        }
        let services = key("services").and_then(|s| config.services_endpoint(s, "sts"));
        let found = env
            .get("AWS_ENDPOINT_URL_STS")
            .map(|v| (v, "AWS_ENDPOINT_URL_STS"))
            .or(services.map(|v| (v, "the services section's sts endpoint_url")))
            .or(env.get("AWS_ENDPOINT_URL").map(|v| (v, "AWS_ENDPOINT_URL")))
            .or(key("endpoint_url").map(|v| (v, "endpoint_url")));
        match found {
            None => Ok(None),
            Some((url, from)) => {
                let url = url.trim();
                if !(url.starts_with("https://") || url.starts_with("http://"))
                    || url.len() <= "http://".len()
                {
                    return Err(Error::config(format!("the STS endpoint \"{url}\" (from {from}) is not an http(s) URL"))
                        .hint("Write it as https://host[:port], or unset it to use the regional AWS endpoint."));
                }
                Ok(Some(url.to_string()))
            }
        }
    }
}

fn unknown_profile(config: &SharedConfig, name: &str, what: &str) -> Error {
    let names = config.profile_names();
    let known = if names.is_empty() {
        "no profiles are defined there".to_string()
    } else {
        format!("known profiles: {}", names.join(", "))
    };
    Error::config(format!(
        "profile {name} ({what}) is not defined in {}",
        config.files_description()
    ))
    .hint(format!("Check the spelling or AWS_CONFIG_FILE ({known})."))
}

/// Something stable and attributable for CloudTrail: the local user name, cleaned for STS.
pub fn default_session_name(env: &Environment) -> String {
    let user = env
        .get("USER")
        .or_else(|| env.get("USERNAME"))
        .or_else(|| env.get("LOGNAME"))
        .unwrap_or("");
    let cleaned: String = user
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "+=,.@_-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .take(64)
        .collect();
    if cleaned.len() < 2 {
        "xacct-cred".to_string()
    } else {
        cleaned
    }
}

fn validate_session_name(name: &str) -> std::result::Result<(), String> {
    if !(2..=64).contains(&name.len()) {
        return Err(format!(
            "it is {} characters long; STS allows 2 to 64",
            name.len()
        ));
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "+=,.@_-".contains(*c)))
    {
        return Err(format!("'{bad}' is not allowed"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    //! A table of profile files + flags + environment → plan or error. No file, variable or
    //! network is touched: the config is parsed from strings and the environment is made up.
    use super::*;

    const CREDS: &str = "[dev]\naws_access_key_id = AKIADEV\naws_secret_access_key = s\n";
    const ROLE: &str = "arn:aws:iam::111111111111:role/readonly";

    struct Case {
        name: &'static str,
        config: &'static str,
        args: RoleArgs,
        env: &'static [(&'static str, &'static str)],
        expect: std::result::Result<fn(&Plan), &'static str>,
    }

    fn args(profile: Option<&str>) -> RoleArgs {
        RoleArgs {
            profile: profile.map(str::to_string),
            ..RoleArgs::default()
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
                    assert!(matches!(&p.source, SourceSpec::Profile { name, .. } if name == "dev"));
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
                args: RoleArgs {
                    role_arn: Some(ROLE.into()),
                    source_profile: Some("dev".into()),
                    ..RoleArgs::default()
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
                args: RoleArgs {
                    profile: Some("prod".into()),
                    credential_source: Some("Ec2InstanceMetadata".into()),
                    ..RoleArgs::default()
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
            Case {
                name: "endpoint: services section beats AWS_ENDPOINT_URL",
                config: "[profile prod]\nrole_arn = arn:aws:iam::111111111111:role/readonly\nsource_profile = dev\nservices = s\n[services s]\nsts =\n  endpoint_url = http://127.0.0.1:5000\n",
                args: args(Some("prod")),
                env: &[("AWS_ENDPOINT_URL", "http://127.0.0.1:1")],
                expect: Ok(|p| {
                    assert_eq!(p.sts_endpoint.as_deref(), Some("http://127.0.0.1:5000"))
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
                name: "no profile, no role",
                config: "",
                args: args(None),
                env: &[],
                expect: Err("give --profile NAME or --role-arn ARN"),
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
                name: "self-sourcing profile",
                config: "[profile p]\nrole_arn = arn:aws:iam::111111111111:role/r\nsource_profile = p\n",
                args: args(Some("p")),
                env: &[],
                expect: Err("names itself"),
            },
            Case {
                name: "token code without a serial",
                config: "[profile p]\nrole_arn = arn:aws:iam::111111111111:role/r\nsource_profile = dev\n",
                args: RoleArgs {
                    profile: Some("p".into()),
                    token_code: Some("123456".into()),
                    ..RoleArgs::default()
                },
                env: &[],
                expect: Err("no mfa_serial"),
            },
            Case {
                name: "a 5-digit token code",
                config: "[profile p]\nrole_arn = arn:aws:iam::111111111111:role/r\nsource_profile = dev\nmfa_serial = arn:aws:iam::1:mfa/x\n",
                args: args(Some("p")),
                env: &[("XACCT_CRED_TOKEN_CODE", "12345")],
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
        let args = RoleArgs {
            profile: Some("p".into()),
            token_code: Some("482913".into()),
            ..RoleArgs::default()
        };
        let plan = Plan::build(&config, &args, &Environment::default()).unwrap();
        assert_eq!(
            plan.role.token_code.as_ref().map(|c| c.expose()),
            Some("482913")
        );
        assert!(!format!("{plan:?}").contains("482913"));
    }

    #[test]
    fn role_arns_in_every_partition_and_with_paths() {
        for ok in [
            "arn:aws:iam::111111111111:role/a",
            "arn:aws-cn:iam::111111111111:role/path/to/a",
            "arn:aws-us-gov:iam::111111111111:role/a+b=c,d.e@f_g-h",
        ] {
            assert!(RoleArn::parse(ok).is_ok(), "{ok}");
        }
        assert_eq!(
            RoleArn::parse("arn:aws:iam::111111111111:role/path/to/a")
                .unwrap()
                .name,
            "a"
        );
        for bad in [
            "",
            "arn:aws:iam::111111111111",
            "arn:aws:s3:::bucket",
            "arn:nope:iam::111111111111:role/a",
            "arn:aws:iam::111111111111:role/",
            "arn:aws:iam::111111111111:role/a b",
        ] {
            assert!(RoleArn::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_cache_key_changes_with_every_input_that_changes_the_session() {
        let config = SharedConfig::from_strings(
            "[profile p]\nrole_arn = arn:aws:iam::111111111111:role/r\nsource_profile = dev\n",
            CREDS,
        )
        .unwrap();
        let env = Environment::default();
        let base = Plan::build(&config, &args(Some("p")), &env).unwrap();
        let key = crate::cache::key(&base);
        assert_eq!(key, crate::cache::key(&base.clone()), "stable");
        let mut variants = Vec::new();
        let mut v = base.clone();
        v.role.external_id = Some("x".into());
        variants.push(v);
        let mut v = base.clone();
        v.role.duration_seconds = 1800;
        variants.push(v);
        let mut v = base.clone();
        v.role.session_name = "other".into();
        variants.push(v);
        let mut v = base.clone();
        v.role.mfa_serial = Some("arn:aws:iam::1:mfa/x".into());
        variants.push(v);
        let mut v = base.clone();
        v.region = "eu-west-1".into();
        variants.push(v);
        let mut v = base.clone();
        v.sts_endpoint = Some("http://127.0.0.1:1".into());
        variants.push(v);
        let mut v = base.clone();
        v.source = SourceSpec::Environment {
            access_key_id: Some("AKIA1".into()),
        };
        variants.push(v);
        let mut v = base.clone();
        v.role.role_arn = RoleArn::parse("arn:aws:iam::111111111111:role/r2").unwrap();
        variants.push(v);
        for v in &variants {
            assert_ne!(crate::cache::key(v), key, "{v:?}");
        }
        let mut v = base.clone();
        v.role.token_code = Some(crate::credentials::Secret::new("123456"));
        assert_eq!(
            crate::cache::key(&v),
            key,
            "the MFA code is not part of the key"
        );
    }
}
