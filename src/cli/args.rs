//! The flag groups several commands share — the role to assume, the output, the cache — and
//! their conversion into the domain's types (`plan::RoleInputs`, `output::Format`,
//! `cache::CacheSettings`): clap parses the flags of this file, the commands see only the
//! domain's types. The value parsers of flags that also have a variable (empty is unset).

use crate::cache::{CacheMode, CacheSettings, StoreSettings};
use crate::env;
use crate::output::Format;
use crate::plan::{CredentialSource, RoleInputs};
use clap::builder::PossibleValue;
use clap::{Args, ValueEnum};
use std::path::PathBuf;
use std::time::Duration;

/// Lets a domain type be `#[command(flatten)]`ed: clap parses `$flags` (a struct of this
/// module) and converts it with `From`. Only `cli` knows that clap exists.
macro_rules! parsed_through {
    ($domain:ty, $flags:ty) => {
        impl clap::FromArgMatches for $domain {
            fn from_arg_matches(m: &clap::ArgMatches) -> Result<Self, clap::Error> {
                <$flags as clap::FromArgMatches>::from_arg_matches(m).map(Into::into)
            }
            fn update_from_arg_matches(&mut self, m: &clap::ArgMatches) -> Result<(), clap::Error> {
                *self = Self::from_arg_matches(m)?;
                Ok(())
            }
        }
        impl clap::Args for $domain {
            fn group_id() -> Option<clap::Id> {
                <$flags as clap::Args>::group_id()
            }
            fn augment_args(cmd: clap::Command) -> clap::Command {
                <$flags as clap::Args>::augment_args(cmd)
            }
            fn augment_args_for_update(cmd: clap::Command) -> clap::Command {
                <$flags as clap::Args>::augment_args_for_update(cmd)
            }
        }
    };
}
pub(crate) use parsed_through;

/// The role flags of the commands that take a profile (`setup` has its own set).
#[derive(Args)]
#[command(next_help_heading = "Role")]
pub(crate) struct RoleFlags {
    /// The role's profile in ~/.aws/config [env: AWS_PROFILE]
    ///
    /// The profile in ~/.aws/config that holds role_arn (and source_profile or
    /// credential_source). Without it: AWS_PROFILE, then AWS_DEFAULT_PROFILE; else [default]
    /// if it holds role_arn. [env: AWS_PROFILE, AWS_DEFAULT_PROFILE]
    #[arg(long, short = 'p', value_name = "NAME")]
    profile: Option<String>,

    #[command(flatten)]
    role: RoleKeyFlags,

    /// The current MFA code; without it xacct-cred asks on the terminal.
    #[arg(long, value_name = "CODE", env = env::TOKEN_CODE, hide_env_values = true, hide_short_help = true)]
    token_code: Option<String>,
}

impl From<RoleFlags> for RoleInputs {
    fn from(f: RoleFlags) -> RoleInputs {
        RoleInputs {
            profile: f.profile,
            token_code: f.token_code.map(crate::credentials::Secret::new),
            ..f.role.into()
        }
    }
}
parsed_through!(RoleInputs, RoleFlags);

/// The flags that set a role profile's keys (all of [`RoleFlags`] but the profile and the code).
#[derive(Args)]
#[command(next_help_heading = "Role")]
pub(crate) struct RoleKeyFlags {
    /// The role to assume, e.g. arn:aws:iam::111111111111:role/readonly.
    #[arg(long, value_name = "ARN")]
    role_arn: Option<String>,

    /// The profile whose credentials assume the role.
    ///
    /// The profile whose credentials assume the role (its keys, SSO, another role…).
    #[arg(long, value_name = "NAME", conflicts_with = "credential_source")]
    source_profile: Option<String>,

    /// Environment, Ec2InstanceMetadata or EcsContainer, not a profile.
    ///
    /// Where the credentials that assume the role come from, instead of a profile:
    /// Environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN),
    /// Ec2InstanceMetadata (the EC2 instance role, from IMDSv2) or EcsContainer (the task role,
    /// from the ECS container credentials endpoint).
    #[arg(long, value_name = "SOURCE", value_enum, hide_possible_values = true)]
    credential_source: Option<CredentialSource>,

    /// The session name CloudTrail shows (default: your local user name).
    #[arg(long, value_name = "NAME", hide_short_help = true)]
    role_session_name: Option<String>,

    /// The external ID the role's trust policy asks for.
    #[arg(long, value_name = "ID", hide_short_help = true)]
    external_id: Option<String>,

    /// Session length, 900 to 43200 seconds (default 3600).
    #[arg(long, value_name = "SECONDS", hide_short_help = true)]
    duration_seconds: Option<i64>,

    /// The MFA device ARN (or serial) the role's trust policy requires.
    #[arg(long, value_name = "ARN", hide_short_help = true)]
    mfa_serial: Option<String>,

    /// STS's region (default: AWS_REGION, the profile's, us-east-1).
    ///
    /// The region whose STS endpoint is used (default: AWS_REGION, AWS_DEFAULT_REGION, the
    /// profile's, the source profile's, else us-east-1).
    #[arg(long, value_name = "REGION")]
    region: Option<String>,
}

impl From<RoleKeyFlags> for RoleInputs {
    fn from(f: RoleKeyFlags) -> RoleInputs {
        RoleInputs {
            profile: None,
            role_arn: f.role_arn,
            source_profile: f.source_profile,
            credential_source: f.credential_source,
            role_session_name: f.role_session_name,
            external_id: f.external_id,
            duration_seconds: f.duration_seconds,
            mfa_serial: f.mfa_serial,
            token_code: None,
            region: f.region,
        }
    }
}

/// The `credential_source` names, spelt as the AWS CLI spells them.
impl ValueEnum for CredentialSource {
    fn value_variants<'a>() -> &'a [Self] {
        &CredentialSource::ALL
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        let help = match self {
            CredentialSource::Environment => {
                "AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN"
            }
            CredentialSource::Ec2InstanceMetadata => "The EC2 instance role, from IMDSv2",
            CredentialSource::EcsContainer => {
                "The task role, from the ECS container credentials endpoint"
            }
        };
        Some(PossibleValue::new(self.name()).help(help))
    }
}

impl ValueEnum for Format {
    fn value_variants<'a>() -> &'a [Self] {
        &[
            Format::Sh,
            Format::Fish,
            Format::Powershell,
            Format::Dotenv,
            Format::Json,
        ]
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        let (name, help) = match self {
            Format::Sh => (
                "sh",
                "`export NAME='value'` lines for bash, zsh and other POSIX shells",
            ),
            Format::Fish => ("fish", "`set -gx NAME 'value'` lines for fish"),
            Format::Powershell => ("powershell", "`$Env:NAME = 'value'` lines for PowerShell"),
            Format::Dotenv => ("dotenv", "`NAME=value` lines for .env files"),
            Format::Json => ("json", "The credential_process JSON document"),
        };
        Some(PossibleValue::new(name).help(help))
    }
}

#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Output")]
pub struct OutputArgs {
    /// Print shell `export` lines instead of JSON: eval "$(xacct-cred -e -p prod)".
    #[arg(long, short = 'e')]
    pub export: bool,

    /// One of sh, fish, powershell, dotenv, json (default json; sh with -e).
    ///
    /// The output format: sh (`export NAME='value'` lines for bash, zsh and other POSIX shells),
    /// fish (`set -gx NAME 'value'`), powershell (`$Env:NAME = 'value'`), dotenv (`NAME=value`
    /// lines for .env files) or json (the credential_process document). Default json; with
    /// --export, sh.
    #[arg(long, value_enum, value_name = "FORMAT", hide_possible_values = true)]
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

/// Whether this call uses the cache, and the cache's settings.
#[derive(Args)]
#[command(next_help_heading = "Cache")]
pub(crate) struct CacheFlags {
    /// Assume the role now even if the cache holds a valid session.
    ///
    /// Assume the role now even if the cache holds a valid session (the entry is rewritten).
    #[arg(long, conflicts_with = "no_cache")]
    refresh: bool,

    /// Neither read nor write the cache.
    #[arg(long)]
    no_cache: bool,

    #[command(flatten)]
    store: StoreSettings,
}

impl From<CacheFlags> for CacheSettings {
    fn from(f: CacheFlags) -> CacheSettings {
        let mode = match (f.no_cache, f.refresh) {
            (true, _) => CacheMode::Off,
            (false, true) => CacheMode::Refresh,
            (false, false) => CacheMode::Use,
        };
        CacheSettings {
            mode,
            store: f.store,
        }
    }
}
parsed_through!(CacheSettings, CacheFlags);

/// Where the cache is and when it renews: every command that reads the cache takes these. The
/// tuning flags are shown by `--help` only.
#[derive(Args)]
#[command(next_help_heading = "Cache")]
pub(crate) struct StoreFlags {
    /// Cache directory (default ~/.cache/xacct-cred).
    ///
    /// The cache directory (default: ~/.cache/xacct-cred, ~/Library/Caches/xacct-cred on macOS).
    #[arg(long, value_name = "DIR", env = env::CACHE_DIR, hide_env_values = true, value_parser = any_path)]
    cache_dir: Option<PathBuf>,

    /// Renew a cached session when fewer than this many seconds remain (default 960).
    ///
    /// Renew a cached session when fewer than this many seconds remain (default 960: botocore
    /// re-runs credential_process once fewer than 15 minutes remain).
    #[arg(long, value_name = "SECONDS", env = env::REFRESH_WINDOW, hide_env_values = true, hide_short_help = true, value_parser = seconds_of(env::REFRESH_WINDOW))]
    refresh_window: Option<Seconds>,

    /// Above this many seconds left, renew in the background (default 300).
    ///
    /// Inside the window, a session with more than this many seconds left is printed at once
    /// and renewed in the background; with less, the call renews it (default 300).
    #[arg(long, value_name = "SECONDS", env = env::BLOCKING_MARGIN, hide_env_values = true, hide_short_help = true, value_parser = seconds_of(env::BLOCKING_MARGIN))]
    blocking_margin: Option<Seconds>,

    /// Renew inside the window in a detached process (on) or in the call (off).
    ///
    /// Renew sessions inside the window in a detached process (on, the default) or in the call
    /// itself (off, 0, false).
    #[arg(long, value_name = "on|off", env = env::BACKGROUND_REFRESH, hide_env_values = true, hide_short_help = true, value_parser = on_off)]
    background_refresh: Option<Toggle>,

    /// How long a call waits for another xacct-cred renewing the same session (default 12).
    ///
    /// How long a call with no valid session waits for another xacct-cred renewing it
    /// (default 12).
    #[arg(long, value_name = "SECONDS", env = env::LOCK_TIMEOUT, hide_env_values = true, hide_short_help = true, value_parser = seconds_of(env::LOCK_TIMEOUT))]
    lock_timeout: Option<Seconds>,
}

impl From<StoreFlags> for StoreSettings {
    fn from(f: StoreFlags) -> StoreSettings {
        let defaults = StoreSettings::default();
        StoreSettings {
            dir: non_empty(f.cache_dir),
            refresh_window: f
                .refresh_window
                .and_then(Seconds::get)
                .unwrap_or(defaults.refresh_window),
            blocking_margin: f
                .blocking_margin
                .and_then(Seconds::get)
                .unwrap_or(defaults.blocking_margin),
            background: f
                .background_refresh
                .and_then(Toggle::get)
                .unwrap_or(defaults.background),
            lock_timeout: f
                .lock_timeout
                .and_then(Seconds::get)
                .unwrap_or(defaults.lock_timeout),
        }
    }
}
parsed_through!(StoreSettings, StoreFlags);

/// A path as given, the empty one included (clap's own refuses it): `XACCT_CRED_CACHE_DIR=`
/// means the default, as every other empty setting does.
fn any_path(text: &str) -> Result<PathBuf, std::convert::Infallible> {
    Ok(PathBuf::from(text))
}

/// An empty directory is unset.
fn non_empty(dir: Option<PathBuf>) -> Option<PathBuf> {
    dir.filter(|d| !d.as_os_str().is_empty())
}

/// The cache directory alone: what `cache list|clear` take, before or after the action.
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Cache")]
pub struct CacheDirArgs {
    /// Cache directory (default ~/.cache/xacct-cred).
    ///
    /// The cache directory (default: ~/.cache/xacct-cred, ~/Library/Caches/xacct-cred on macOS).
    // Its own id: a global's value also reaches the top level, whose cache_dir it is not.
    #[arg(id = "cache_location", long = "cache-dir", value_name = "DIR", env = env::CACHE_DIR, hide_env_values = true, global = true, value_parser = any_path)]
    cache_dir: Option<PathBuf>,
}

impl CacheDirArgs {
    /// The settings of a command that only finds the cache (the defaults for the rest).
    pub fn settings(&self) -> StoreSettings {
        StoreSettings {
            dir: non_empty(self.cache_dir.clone()),
            ..StoreSettings::default()
        }
    }
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
pub(super) fn seconds_of(
    variable: &'static str,
) -> impl Fn(&str) -> Result<Seconds, String> + Clone {
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
