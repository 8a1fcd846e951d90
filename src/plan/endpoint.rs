//! Which STS endpoint AssumeRole goes to, from the variables and keys the SDKs read.
//!
//! Pure: the parsed profile files and the environment snapshot in, an endpoint URL (or none:
//! the regional AWS endpoint) out, with an error that names the setting a bad URL came from.

use crate::config::SharedConfig;
use crate::env::Environment;
use crate::error::{Error, Result};

/// The SDKs' precedence: service variable, service section, global variable, profile key.
pub(super) fn sts_endpoint(
    config: &SharedConfig,
    env: &Environment,
    profile: Option<&str>,
) -> Result<Option<String>> {
    let key = |k: &str| profile.and_then(|p| config.get(p, k));
    let ignore = env.flag("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")
        || key("ignore_configured_endpoint_urls").is_some_and(|v| v.eq_ignore_ascii_case("true"));
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
        Some((url, from)) => checked_url(url, from).map(Some),
    }
}

fn checked_url(url: &str, from: &str) -> Result<String> {
    let url = url.trim();
    if !(url.starts_with("https://") || url.starts_with("http://")) || url.len() <= "http://".len()
    {
        return Err(Error::config(format!(
            "the STS endpoint \"{url}\" (from {from}) is not an http(s) URL"
        ))
        .hint("Write it as https://host[:port], or unset it to use the regional AWS endpoint."));
    }
    Ok(url.to_string())
}
