//! The argument groups several commands share — the role to assume, the output, the cache — and
//! the value parsers of the flags that also have a variable (an empty variable is unset).

use super::CredentialSource;
use crate::env;
use clap::{Args, ValueEnum};
use std::path::PathBuf;
use std::time::Duration;

/// What role to assume and with what: every flag overrides the same key of the profile.
#[derive(Debug, Clone, Default, Args)]
pub struct RoleArgs {
    /// The profile in ~/.aws/config that holds role_arn (and source_profile or credential_source). Env: AWS_PROFILE, then AWS_DEFAULT_PROFILE; else [default] if it holds role_arn
    #[arg(long, short = 'p', value_name = "NAME")]
    pub profile: Option<String>,

    /// The role to assume, e.g. arn:aws:iam::111111111111:role/readonly.
    #[arg(long, value_name = "ARN")]
    pub role_arn: Option<String>,

    /// The profile whose credentials assume the role (its keys, SSO, another role…).
    #[arg(long, value_name = "NAME", conflicts_with = "credential_source")]
    pub source_profile: Option<String>,

    /// Where the assuming credentials come from instead of a profile.
    #[arg(long, value_name = "SOURCE", value_enum)]
    pub credential_source: Option<CredentialSource>,

    /// The session name CloudTrail shows (default: your local user name).
    #[arg(long, value_name = "NAME")]
    pub role_session_name: Option<String>,

    /// The external ID the role's trust policy asks for.
    #[arg(long, value_name = "ID")]
    pub external_id: Option<String>,

    /// Session length, 900 to 43200 seconds (default 3600).
    #[arg(long, value_name = "SECONDS")]
    pub duration_seconds: Option<i64>,

    /// The MFA device ARN (or serial) the role's trust policy requires.
    #[arg(long, value_name = "ARN")]
    pub mfa_serial: Option<String>,

    /// The current MFA code; without it xacct-cred asks on the terminal.
    #[arg(long, value_name = "CODE", env = env::TOKEN_CODE, hide_env_values = true)]
    pub token_code: Option<String>,

    /// The region whose STS endpoint is used (default: AWS_REGION, the profile's, else us-east-1).
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// `export NAME='value'` lines for bash, zsh and other POSIX shells.
    Sh,
    /// `set -gx NAME 'value'` lines for fish.
    Fish,
    /// `$Env:NAME = 'value'` lines for PowerShell.
    Powershell,
    /// `NAME=value` lines for .env files.
    Dotenv,
    /// The credential_process JSON document (the default output).
    Json,
}

#[derive(Debug, Clone, Default, Args)]
pub struct OutputArgs {
    /// Print shell `export` lines instead of JSON: eval "$(xacct-cred --export -p prod)".
    #[arg(long, short = 'e')]
    pub export: bool,

    /// Output format (default json; with --export, sh).
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<Format>,
}

impl OutputArgs {
    pub fn format(&self) -> Format {
        match (self.format, self.export) {
            (Some(f), _) => f,
            (None, true) => Format::Sh,
            (None, false) => Format::Json,
        }
    }
}

#[derive(Debug, Clone, Default, Args)]
pub struct CacheArgs {
    /// Assume the role now even if the cache holds a valid session (the entry is rewritten).
    #[arg(long, conflicts_with = "no_cache")]
    pub refresh: bool,

    /// Neither read nor write the cache.
    #[arg(long)]
    pub no_cache: bool,

    #[command(flatten)]
    pub store: CacheStoreArgs,
}

/// Where the cache is and when it renews: every command that reads the cache takes these.
#[derive(Debug, Clone, Default, Args)]
pub struct CacheStoreArgs {
    /// The cache directory (default: ~/.cache/xacct-cred, ~/Library/Caches/xacct-cred on macOS).
    #[arg(long, value_name = "DIR", env = env::CACHE_DIR)]
    pub cache_dir: Option<PathBuf>,

    /// Renew a cached session when fewer than this many seconds remain (default 960: botocore
    /// re-runs credential_process once fewer than 15 minutes remain).
    #[arg(long, value_name = "SECONDS", env = env::REFRESH_WINDOW, value_parser = seconds_of(env::REFRESH_WINDOW))]
    pub refresh_window: Option<Seconds>,

    /// Inside the window, a session with more than this many seconds left is printed at once
    /// and renewed in the background; with less, the call renews it (default 300).
    #[arg(long, value_name = "SECONDS", env = env::BLOCKING_MARGIN, value_parser = seconds_of(env::BLOCKING_MARGIN))]
    pub blocking_margin: Option<Seconds>,

    /// Renew sessions inside the window in a detached process (on, the default) or in the call
    /// itself (off, 0, false).
    #[arg(long, value_name = "on|off", env = env::BACKGROUND_REFRESH, value_parser = on_off)]
    pub background_refresh: Option<Toggle>,

    /// How long a call with no valid session waits for another xacct-cred renewing it (default 12).
    #[arg(long, value_name = "SECONDS", env = env::LOCK_TIMEOUT, value_parser = seconds_of(env::LOCK_TIMEOUT))]
    pub lock_timeout: Option<Seconds>,
}

/// On or off from a flag or its variable (`on|off|1|0|true|false|yes|no`); empty is unset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Toggle(Option<bool>);

impl Toggle {
    pub fn get(self) -> Option<bool> {
        self.0
    }
}

fn on_off(text: &str) -> Result<Toggle, String> {
    match text.trim().to_ascii_lowercase().as_str() {
        "" => Ok(Toggle(None)),
        "on" | "1" | "true" | "yes" => Ok(Toggle(Some(true))),
        "off" | "0" | "false" | "no" => Ok(Toggle(Some(false))),
        _ => Err(format!(
            "expected on or off (from the flag or {})",
            env::BACKGROUND_REFRESH
        )),
    }
}

/// A number of seconds from a flag or its variable; an empty variable counts as unset, as the
/// AWS tools treat empty variables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seconds(Option<Duration>);

impl Seconds {
    pub fn get(self) -> Option<Duration> {
        self.0
    }
}

/// Parses whole seconds, naming the variable in the error (the flag is named by clap).
fn seconds_of(variable: &'static str) -> impl Fn(&str) -> Result<Seconds, String> + Clone {
    move |text| {
        let text = text.trim();
        if text.is_empty() {
            return Ok(Seconds(None));
        }
        text.parse::<u64>()
            .map(|s| Seconds(Some(Duration::from_secs(s))))
            .map_err(|_| format!("not a whole number of seconds (from the flag or {variable})"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::Cli;
    use clap::Parser;

    #[test]
    fn seconds_name_their_variable_and_an_empty_one_is_unset() {
        let parse = seconds_of(env::REFRESH_WINDOW);
        assert_eq!(parse("120").unwrap().get(), Some(Duration::from_secs(120)));
        assert_eq!(parse("  ").unwrap().get(), None);
        assert!(parse("2m").unwrap_err().contains(env::REFRESH_WINDOW));
        let cli = Cli::try_parse_from(["xacct-cred", "-p", "x", "--refresh-window", "30"]).unwrap();
        let store = crate::cache::StoreSettings::from_args(&cli.cache.store);
        assert_eq!(store.refresh_window, Duration::from_secs(30));
    }
}
