//! Profile + flags + environment → a validated, pure description of what to do.
//!
//! [`Plan::build`] reads nothing and sends nothing: it takes the parsed profile files, the
//! flags and an environment snapshot, and either returns a [`Plan`] that is safe to execute or
//! an error that names the bad value and where it came from. Everything STS would reject for
//! its form is caught here by the field types of [`fields`], before any network call, and every
//! other module trusts a `Plan` to be valid.

mod endpoint;
pub mod fields;
mod inputs;
mod source;
#[cfg(test)]
mod tests;

pub use fields::{DurationSeconds, ExternalId, MfaSerial, RoleArn, SessionName, TokenCode};
pub use inputs::RoleInputs;
pub use source::{CredentialSource, SourceSpec};

use crate::config::SharedConfig;
use crate::env::Environment;
use crate::error::{Error, Kind, Result};

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
    /// An STS endpoint override (AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL, services, endpoint_url).
    pub sts_endpoint: Option<String>,
    /// use_fips_endpoint / AWS_USE_FIPS_ENDPOINT (for the regional endpoint).
    pub use_fips: bool,
    /// use_dualstack_endpoint / AWS_USE_DUALSTACK_ENDPOINT (for the regional endpoint).
    pub use_dual_stack: bool,
    /// `mfa_session_duration` (role profile, else source profile; default 12 h): how long the
    /// MFA session of a key-store source lasts (GetSessionToken's DurationSeconds). Not part
    /// of the cache key: it changes when the next code is asked for, not the role's session.
    pub mfa_session_seconds: i64,
    /// What it was built from, without the MFA code: what the detached renewal rebuilds it from.
    pub inputs: RoleInputs,
}

/// GetSessionToken's own default, and its bounds for an IAM user.
pub const MFA_SESSION_DEFAULT: i64 = 43200;
const MFA_SESSION_BOUNDS: std::ops::RangeInclusive<i64> = 900..=129600;

/// The AssumeRole request, minus the source credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleSpec {
    pub role_arn: RoleArn,
    pub session_name: SessionName,
    pub external_id: Option<ExternalId>,
    pub duration_seconds: i64,
    pub mfa_serial: Option<MfaSerial>,
    /// Not part of the cache key: a code only unlocks the session the key names. Its `Debug`
    /// never shows it.
    pub token_code: Option<TokenCode>,
}

impl RoleSpec {
    pub fn duration(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.duration_seconds.unsigned_abs())
    }
}

/// The profile being read, for looking up keys and naming where a value came from.
struct Sources<'a> {
    config: &'a SharedConfig,
    profile: Option<&'a str>,
}

impl<'a> Sources<'a> {
    fn key(&self, k: &str) -> Option<&'a str> {
        self.profile.and_then(|p| self.config.get(p, k))
    }

    /// The flag's value if given, else the profile key's; with where it came from.
    fn pick(&self, flag: Option<&'a str>, key: &str) -> Option<(&'a str, String)> {
        match flag {
            Some(v) => Some((v, origin(true, key, self.profile))),
            None => self.key(key).map(|v| (v, origin(false, key, self.profile))),
        }
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
    /// Whether a renewal can do without asking for an MFA code while an MFA session lasts: no
    /// MFA at all, or a key-store source, whose MFA session is kept in the store.
    pub fn renews_without_asking(&self) -> bool {
        self.role.mfa_serial.is_none() || matches!(self.source, SourceSpec::Stored { .. })
    }

    /// Builds and validates the plan. Flags win over the profile's keys.
    pub fn build(config: &SharedConfig, args: &RoleInputs, env: &Environment) -> Result<Plan> {
        let profile_name = profile_name(config, args, env)?;
        let at = Sources {
            config,
            profile: profile_name.as_deref(),
        };
        let role_arn = role_arn(&at, args)?;
        let session_name = match at.pick(args.role_session_name.as_deref(), "role_session_name") {
            Some((text, from)) => text.parse::<SessionName>().map_err(|why| {
                Error::config(format!(
                    "the role session name \"{text}\" ({from}) would be rejected by STS: {why}"
                ))
                .hint("Use 2-64 characters from letters, digits and +=,.@_-.")
            })?,
            None => default_session_name(env),
        };
        let duration = duration(&at, args)?;
        let external_id = at
            .pick(args.external_id.as_deref(), "external_id")
            .map(|(text, from)| {
                text.parse::<ExternalId>().map_err(|why| {
                    Error::config(format!(
                        "the external ID ({from}) would be rejected by STS: {why}"
                    ))
                    .hint("Use the exact external ID the role's owner gave you.")
                })
            })
            .transpose()?;
        let mfa_serial = at
            .pick(args.mfa_serial.as_deref(), "mfa_serial")
            .map(|(text, from)| {
                text.parse::<MfaSerial>().map_err(|why| {
                    Error::config(format!("the MFA serial \"{text}\" ({from}) {why}"))
                        .hint("Use the device's ARN, e.g. arn:aws:iam::222222222222:mfa/USER (IAM console → Security credentials).")
                })
            })
            .transpose()?;
        let token_code = token_code(args, mfa_serial.is_some())?;
        let source = source::build(config, args, env, at.profile)?;
        let (region, region_configured) = region(&at, args, env, &source)?;
        let endpoint = endpoint::resolve(config, env, at.profile)?;
        let mfa_session_seconds = mfa_session_seconds(&at, &source)?;
        Ok(Plan {
            profile: profile_name,
            role: RoleSpec {
                role_arn,
                session_name,
                external_id,
                duration_seconds: duration.get(),
                mfa_serial,
                token_code,
            },
            source,
            region,
            region_configured,
            sts_endpoint: endpoint.url,
            use_fips: endpoint.use_fips,
            use_dual_stack: endpoint.use_dual_stack,
            mfa_session_seconds,
            inputs: args.without_secrets(),
        })
    }
}

/// The profile the arguments and environment name: `--profile`, else (unless `--role-arn` is
/// given) `AWS_PROFILE`, then `AWS_DEFAULT_PROFILE` (the AWS CLI v2's order; botocore 1.x
/// reads them the other way round, the Rust SDK only `AWS_PROFILE`). The config files are
/// loaded with this profile selected ([`SharedConfig::load`]).
pub fn named_profile(args: &RoleInputs, env: &Environment) -> Option<String> {
    named_profile_from(args, env).map(|(name, _)| name.to_string())
}

fn named_profile_from<'a>(
    args: &'a RoleInputs,
    env: &'a Environment,
) -> Option<(&'a str, &'static str)> {
    if let Some(p) = args.profile.as_deref() {
        return Some((p, "--profile"));
    }
    if args.role_arn.is_some() {
        return None;
    }
    ["AWS_PROFILE", "AWS_DEFAULT_PROFILE"]
        .into_iter()
        .find_map(|var| env.get(var).map(|p| (p, var)))
}

/// The named profile, which must exist; with none named and no `--role-arn`, `[default]` if it
/// holds a role (as the AWS CLI would use it).
fn profile_name(
    config: &SharedConfig,
    args: &RoleInputs,
    env: &Environment,
) -> Result<Option<String>> {
    match named_profile_from(args, env) {
        Some((p, from)) if config.profile(p).is_none() => Err(unknown_profile(config, p, from)),
        Some((p, _)) => Ok(Some(p.to_string())),
        None if args.role_arn.is_some() => Ok(None),
        None if config.get("default", "role_arn").is_some() => Ok(Some("default".into())),
        None => Err(no_role_named(config)),
    }
}

/// Nothing names a role: say what to do first — set one up when the config has none, else
/// pick one of those it has.
fn no_role_named(config: &SharedConfig) -> Error {
    let roles: Vec<&str> = config
        .profile_names()
        .into_iter()
        .filter(|p| config.get(p, "role_arn").is_some())
        .collect();
    match roles.first() {
        None => Error::config(format!(
            "no role to assume: no profile in {} holds a role_arn yet",
            config.config_file.display()
        ))
        .hint("Set one up first: xacct-cred setup --name prod --role-arn arn:aws:iam::ACCOUNT:role/NAME --source-profile dev (it writes the profiles, then checks them; xacct-cred setup --help says more). Or name the role: xacct-cred --role-arn ARN --source-profile dev."),
        Some(first) => Error::config("no role to assume: give --profile NAME or --role-arn ARN")
            .hint(format!(
                "Profiles with a role_arn: {}. For example: xacct-cred --profile {first}.",
                roles.join(", ")
            )),
    }
}

fn role_arn(at: &Sources<'_>, args: &RoleInputs) -> Result<RoleArn> {
    let Some((text, from)) = at.pick(args.role_arn.as_deref().map(str::trim), "role_arn") else {
        let p = at.profile.unwrap_or_default();
        let err = Error::config(format!(
            "profile {p} has no role_arn, so there is no role to assume"
        ));
        return Err(match at.key("credential_process") {
            Some(cp) => err.hint(format!("Profile {p} runs `{cp}`; point --profile at the profile that holds role_arn and source_profile instead, or add role_arn to {p}.")),
            None => err.hint(format!("Add role_arn = arn:aws:iam::ACCOUNT:role/NAME to [profile {p}] in {}, or pass --role-arn.", at.config.config_file.display())),
        });
    };
    text.parse::<RoleArn>().map_err(|why| {
        Error::config(format!("the role ARN \"{text}\" ({from}) is malformed: {why}"))
            .hint("A role ARN looks like arn:aws:iam::111111111111:role/NAME (copy it from the role's page in the IAM console).")
    })
}

fn duration(at: &Sources<'_>, args: &RoleInputs) -> Result<DurationSeconds> {
    let seconds = match (args.duration_seconds, at.key("duration_seconds")) {
        (Some(d), _) => d,
        (None, Some(text)) => text.parse::<i64>().map_err(|_| {
            Error::config(format!(
                "duration_seconds = {text} in profile {} is not a whole number of seconds",
                at.profile.unwrap_or_default()
            ))
            .hint("Use a number from 900 to 43200, e.g. duration_seconds = 3600.")
        })?,
        (None, None) => return Ok(DurationSeconds::DEFAULT),
    };
    DurationSeconds::new(seconds).map_err(|_| {
        Error::config(format!(
            "the session duration {seconds} s ({}) is outside what STS allows (900 to 43200 s)",
            origin(args.duration_seconds.is_some(), "duration_seconds", at.profile)
        ))
        .hint("Pick a value from 900 to 43200; above 3600 the role's MaxSessionDuration must allow it too.")
    })
}

fn mfa_session_seconds(at: &Sources<'_>, source: &SourceSpec) -> Result<i64> {
    let source_profile = match source {
        SourceSpec::Stored { name, .. } => Some(name.as_str()),
        _ => None,
    };
    let found = [at.profile, source_profile]
        .into_iter()
        .flatten()
        .find_map(|p| Some((at.config.get(p, "mfa_session_duration")?, p)));
    let Some((text, profile)) = found else {
        return Ok(MFA_SESSION_DEFAULT);
    };
    text.parse::<i64>()
        .ok()
        .filter(|s| MFA_SESSION_BOUNDS.contains(s))
        .ok_or_else(|| {
            Error::config(format!(
                "mfa_session_duration = {text} in profile {profile} is not a number of seconds from 900 to 129600"
            ))
            .hint("GetSessionToken allows 900 s to 36 h for an IAM user; e.g. mfa_session_duration = 43200 (12 h, the default).")
        })
}

fn token_code(args: &RoleInputs, has_serial: bool) -> Result<Option<TokenCode>> {
    let Some(text) = args
        .token_code
        .as_ref()
        .map(crate::credentials::Secret::expose)
    else {
        return Ok(None);
    };
    let code = text.parse::<TokenCode>().map_err(|why| {
        Error::new(Kind::Mfa, why)
            .hint("Pass the code your MFA device shows now, e.g. --token-code 123456.")
    })?;
    if !has_serial {
        return Err(Error::config(
            "--token-code was given but no mfa_serial is configured, so STS would ignore it",
        )
        .hint("Add mfa_serial to the profile or pass --mfa-serial ARN."));
    }
    Ok(Some(code))
}

/// The flag, AWS_REGION, AWS_DEFAULT_REGION, the profile's, the source profile's, else
/// us-east-1; with whether it was configured at all.
fn region(
    at: &Sources<'_>,
    args: &RoleInputs,
    env: &Environment,
    source: &SourceSpec,
) -> Result<(String, bool)> {
    let source_region = match source {
        SourceSpec::Profile { name, .. }
        | SourceSpec::StaticKeys { name, .. }
        | SourceSpec::Stored { name, .. } => at.config.get(name, "region"),
        _ => None,
    };
    let configured = args
        .region
        .as_deref()
        .or_else(|| env.get("AWS_REGION"))
        .or_else(|| env.get("AWS_DEFAULT_REGION"))
        .or_else(|| at.key("region"))
        .or(source_region);
    let region = configured
        .unwrap_or(DEFAULT_REGION)
        .parse::<fields::RegionName>()
        .map_err(|why| {
            Error::config(why).hint(
                "Use a region code such as eu-west-1 (--region, AWS_REGION or region = in the profile).",
            )
        })?;
    Ok((region.into_string(), configured.is_some()))
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
pub fn default_session_name(env: &Environment) -> SessionName {
    let user = env
        .get("USER")
        .or_else(|| env.get("USERNAME"))
        .or_else(|| env.get("LOGNAME"))
        .unwrap_or("");
    SessionName::cleaned(user)
}
