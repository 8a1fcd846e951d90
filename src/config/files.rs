//! Reading the shared AWS config and credentials files, with aws-config's own parser.
//!
//! This runs on the cache-hit path, so it must stay synchronous and cheap: aws-config's
//! `profile::load` is `async` only in name (it reads with `std::fs`), so it is polled once with
//! a no-op waker instead of starting a runtime. It never loads the SDK config and never touches
//! the network.

use crate::env::Environment;
use crate::error::{Error, Result};
use aws_config::profile::ProfileSet;
use aws_runtime::env_config::file::{EnvConfigFileKind, EnvConfigFiles};
use aws_types::os_shim_internal::Fs;
use std::future::Future;
use std::path::PathBuf;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

/// The parsed profile files and where they were read from.
pub struct SharedConfig {
    pub profiles: ProfileSet,
    pub config_file: PathBuf,
    pub credentials_file: PathBuf,
}

impl SharedConfig {
    pub fn load(env: &Environment) -> Result<SharedConfig> {
        let (config_file, credentials_file) = file_paths(env);
        let (fs, aws_env, files) = (Fs::real(), env.to_aws_env(), EnvConfigFiles::default());
        let profiles = poll_once(aws_config::profile::load(&fs, &aws_env, &files, None))
            .ok_or_else(|| Error::config("internal: the profile loader wanted to wait"))?
            .map_err(|e| {
                Error::config(format!(
                    "could not read the AWS config files ({} / {}): {}",
                    config_file.display(),
                    credentials_file.display(),
                    crate::error::causes(&e)
                ))
                .hint("Fix the line it names (sections look like [profile name], keys like key = value), or point AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE at the right files.")
            })?;
        Ok(SharedConfig {
            profiles,
            config_file,
            credentials_file,
        })
    }

    /// For tests: a config parsed from strings, with no files at all.
    pub fn from_strings(config: &str, credentials: &str) -> Result<SharedConfig> {
        let files = EnvConfigFiles::builder()
            .with_contents(EnvConfigFileKind::Config, config)
            .with_contents(EnvConfigFileKind::Credentials, credentials)
            .build();
        let (fs, env) = (
            Fs::from_slice(&[]),
            aws_types::os_shim_internal::Env::from_slice(&[]),
        );
        let profiles = poll_once(aws_config::profile::load(&fs, &env, &files, None))
            .ok_or_else(|| Error::config("internal: the profile loader wanted to wait"))?
            .map_err(|e| Error::config(format!("config: {e}")))?;
        Ok(SharedConfig {
            profiles,
            config_file: "config".into(),
            credentials_file: "credentials".into(),
        })
    }

    pub fn profile(&self, name: &str) -> Option<&aws_config::profile::Profile> {
        self.profiles.get_profile(name)
    }

    /// A key of a profile, trimmed, empty treated as absent.
    pub fn get(&self, profile: &str, key: &str) -> Option<&str> {
        self.profile(profile)?
            .get(key)
            .map(str::trim)
            .filter(|v| !v.is_empty())
    }

    /// `[services NAME]` → `sts =` → `endpoint_url =`, as the SDKs read it.
    pub fn services_endpoint(&self, services: &str, service: &str) -> Option<&str> {
        use aws_runtime::env_config::property::PropertiesKey;
        let key = PropertiesKey::builder()
            .section_key("services")
            .section_name(services)
            .property_name(service)
            .sub_property_name("endpoint_url")
            .build()
            .ok()?;
        self.profiles
            .other_sections()
            .get(&key)
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
    }

    pub fn profile_names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.profiles.profiles().collect();
        names.sort_unstable();
        names
    }

    pub fn files_description(&self) -> String {
        format!(
            "{} or {}",
            self.config_file.display(),
            self.credentials_file.display()
        )
    }
}

/// Where the SDKs look for the two files, for messages (the loader itself resolves them too).
pub fn file_paths(env: &Environment) -> (PathBuf, PathBuf) {
    let home = env.home().unwrap_or("~");
    let under_home = |rest: &str| PathBuf::from(home).join(".aws").join(rest);
    let config = env
        .get("AWS_CONFIG_FILE")
        .map(PathBuf::from)
        .unwrap_or_else(|| under_home("config"));
    let credentials = env
        .get("AWS_SHARED_CREDENTIALS_FILE")
        .map(PathBuf::from)
        .unwrap_or_else(|| under_home("credentials"));
    (config, credentials)
}

/// Polls a future that is known to finish without waiting. `None` if it did want to wait.
fn poll_once<F: Future>(future: F) -> Option<F::Output> {
    let mut future = pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(output) => Some(output),
        Poll::Pending => None,
    }
}
