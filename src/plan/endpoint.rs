//! Which STS endpoint AssumeRole goes to, resolved by aws-runtime's own `EnvConfigValue`.
//!
//! Pure: the parsed profile files (with the role profile selected) and the environment
//! snapshot in; an endpoint URL (or none: the partition's regional STS) and the FIPS and
//! dual-stack choices out, with an error that names the setting a bad value came from. The
//! order is the SDKs' (and botocore's): `AWS_ENDPOINT_URL_STS`, `AWS_ENDPOINT_URL`, the role
//! profile's `services` section, its `endpoint_url`; `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS`
//! from the environment wins over the profile's `ignore_configured_endpoint_urls`. The source
//! profile's settings are never read, as in botocore.

use crate::config::SharedConfig;
use crate::env::Environment;
use crate::error::{Error, Result};
use aws_config::profile::ProfileSet;
use aws_runtime::env_config::EnvConfigValue;
use aws_types::origin::Origin;
use aws_types::os_shim_internal::Env;
use std::collections::HashMap;

/// Where AssumeRole is sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StsEndpoint {
    /// An endpoint URL override; `None`: the regional endpoint the SDK's resolver picks.
    pub url: Option<String>,
    /// `use_fips_endpoint` / `AWS_USE_FIPS_ENDPOINT`: `sts-fips.REGION.amazonaws.com`.
    pub use_fips: bool,
    /// `use_dualstack_endpoint` / `AWS_USE_DUALSTACK_ENDPOINT`: `sts.REGION.api.aws`.
    pub use_dual_stack: bool,
}

/// The variables read here; only these reach `EnvConfigValue` (an empty one counts as unset,
/// as everywhere in xacct-cred).
const VARIABLES: &[&str] = &[
    "AWS_ENDPOINT_URL_STS",
    "AWS_ENDPOINT_URL",
    "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
    "AWS_USE_FIPS_ENDPOINT",
    "AWS_USE_DUALSTACK_ENDPOINT",
];

pub(super) fn resolve(
    config: &SharedConfig,
    env: &Environment,
    profile: Option<&str>,
) -> Result<StsEndpoint> {
    let sections = profile.map(|p| config.selecting(p)).transpose()?;
    let sections = sections.as_deref();
    let vars: HashMap<String, String> = VARIABLES
        .iter()
        .filter_map(|v| Some((v.to_string(), env.get(v)?.to_string())))
        .collect();
    let env = Env::from(vars);
    let flag = |var, key| boolean(&env, sections, var, key);
    let ignore = flag(
        "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
        "ignore_configured_endpoint_urls",
    )?;
    let url = if ignore {
        None
    } else {
        endpoint_url(config, &env, sections)?
    };
    Ok(StsEndpoint {
        url,
        use_fips: flag("AWS_USE_FIPS_ENDPOINT", "use_fips_endpoint")?,
        use_dual_stack: flag("AWS_USE_DUALSTACK_ENDPOINT", "use_dualstack_endpoint")?,
    })
}

fn endpoint_url(
    config: &SharedConfig,
    env: &Env,
    sections: Option<&ProfileSet>,
) -> Result<Option<String>> {
    let (url, origin) = EnvConfigValue::new()
        .env("AWS_ENDPOINT_URL")
        .profile("endpoint_url")
        .service_id("sts")
        .validate_and_return_origin(env, sections, |v| {
            Ok::<_, std::convert::Infallible>(v.trim().to_string())
        })
        .unwrap_or_else(|never| match *never.err() {});
    if let Some(s) = sections.filter(|_| origin != Origin::service_profile_file()) {
        missing_services_section(config, s)?;
    }
    let Some(url) = url.filter(|u| !u.is_empty()) else {
        return Ok(None);
    };
    let profile = sections.map(ProfileSet::selected_profile).unwrap_or("");
    let from = if origin == Origin::service_environment_variable() {
        "AWS_ENDPOINT_URL_STS".to_string()
    } else if origin == Origin::shared_environment_variable() {
        "AWS_ENDPOINT_URL".to_string()
    } else if origin == Origin::service_profile_file() {
        let section = sections.and_then(|s| s.get("services")).unwrap_or("");
        format!("sts endpoint_url in [services {section}], named by profile {profile}")
    } else {
        format!("endpoint_url in profile {profile}")
    };
    checked_url(&url, &from).map(Some)
}

/// botocore refuses a `services` key that names no `[services …]` section; the SDKs silently
/// ignore it, which would send AssumeRole somewhere the user did not mean.
fn missing_services_section(config: &SharedConfig, sections: &ProfileSet) -> Result<()> {
    let Some(name) = sections.get("services").map(str::trim) else {
        return Ok(());
    };
    if config.has_services_section(name) {
        return Ok(());
    }
    Err(Error::config(format!(
        "services = {name} in profile {} names a [services {name}] section that does not exist",
        sections.selected_profile()
    ))
    .hint(format!(
        "Add a [services {name}] section (lines `sts =` and `  endpoint_url = https://…`) to the config file, or remove the services key."
    )))
}

/// A boolean setting: the variable if set, else the profile's key; `true`/`false` in any case,
/// as aws-config parses them. Anything else is refused rather than guessed.
fn boolean(env: &Env, sections: Option<&ProfileSet>, var: &str, key: &str) -> Result<bool> {
    let parse = |v: &str| match v.trim() {
        t if t.eq_ignore_ascii_case("true") => Ok(true),
        f if f.eq_ignore_ascii_case("false") => Ok(false),
        other => Err(InvalidBoolean(other.to_string())),
    };
    EnvConfigValue::new()
        .env(var)
        .profile(key)
        .validate_and_return_origin(env, sections, parse)
        .map(|(v, _)| v.unwrap_or(false))
        .map_err(|e| {
            Error::config(format!(
                "{} = {} is neither true nor false",
                if env.get(var).is_ok() { var } else { key },
                e.err().0
            ))
            .hint(format!(
                "Set {var} (or {key} in the profile) to true or false, or unset it."
            ))
        })
}

#[derive(Debug)]
struct InvalidBoolean(String);

impl std::fmt::Display for InvalidBoolean {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} is not a boolean", self.0)
    }
}

impl std::error::Error for InvalidBoolean {}

fn checked_url(url: &str, from: &str) -> Result<String> {
    if !(url.starts_with("https://") || url.starts_with("http://")) || url.len() <= "http://".len()
    {
        return Err(Error::config(format!(
            "the STS endpoint \"{url}\" (from {from}) is not an http(s) URL"
        ))
        .hint("Write it as https://host[:port], or unset it to use the regional AWS endpoint."));
    }
    Ok(url.to_string())
}
