//! The arguments of each subcommand (the groups they share are in `args`).

use super::args::{RoleKeyFlags, parsed_through};
use crate::cache::CacheSettings;
use crate::cache::StoreSettings;
use crate::output::Format;
use crate::plan::RoleInputs;
use clap::{Args, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::time::Duration;

/// The detached renewal's arguments: what `background::arguments` writes, the caller's plan
/// inputs (never its MFA code) and cache settings, already resolved (no variable is read).
#[derive(Debug, Args)]
pub struct BackgroundArgs {
    #[arg(long, value_enum)]
    pub stage: BackgroundStage,
    /// The cache key the caller computed; the renewal gives up unless its plan has the same.
    #[arg(long)]
    pub key: String,
    /// The inherited descriptor of the key's lock, which the caller handed on.
    #[arg(long)]
    pub lock_fd: i32,
    #[command(flatten)]
    pub plan: RenewalInputs,
    /// In `renew`: the lock file `--lock-fd` names, when that descriptor was open in this
    /// process (`main` adopts it; see [`crate::cli::Cli::hand_lock`]).
    #[arg(skip)]
    pub handed_lock: Option<std::fs::File>,
}

/// The caller's plan inputs and cache settings, as the detached renewal receives them.
#[derive(Debug, Clone, Default)]
pub struct RenewalInputs {
    pub role: RoleInputs,
    pub store: StoreSettings,
}

#[derive(Args)]
pub(crate) struct RenewalFlags {
    #[arg(long)]
    profile: Option<String>,
    #[command(flatten)]
    role: RoleKeyFlags,
    #[arg(long)]
    cache_dir: Option<PathBuf>,
    /// Seconds; these three default as the cache's settings do.
    #[arg(long)]
    refresh_window: Option<u64>,
    #[arg(long)]
    blocking_margin: Option<u64>,
    #[arg(long)]
    lock_timeout: Option<u64>,
}

impl From<RenewalFlags> for RenewalInputs {
    fn from(f: RenewalFlags) -> RenewalInputs {
        let defaults = StoreSettings::default();
        let seconds = |s: Option<u64>, default| s.map_or(default, Duration::from_secs);
        RenewalInputs {
            role: RoleInputs {
                profile: f.profile,
                ..f.role.into()
            },
            store: StoreSettings {
                dir: f.cache_dir,
                refresh_window: seconds(f.refresh_window, defaults.refresh_window),
                blocking_margin: seconds(f.blocking_margin, defaults.blocking_margin),
                background: true,
                lock_timeout: seconds(f.lock_timeout, defaults.lock_timeout),
            },
        }
    }
}
parsed_through!(RenewalInputs, RenewalFlags);

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BackgroundStage {
    /// Leave the caller's session, start `renew`, exit.
    Detach,
    /// Renew the entry, then exit.
    Renew,
}

#[derive(Debug, Args)]
pub struct DoctorArgs {
    #[command(flatten)]
    pub role: RoleInputs,
    #[command(flatten)]
    pub store: StoreSettings,
    /// One JSON document instead of lines.
    #[arg(long, help_heading = "Output")]
    pub json: bool,
}

/// `setup`'s arguments: its role flags are the profile keys it writes (no --profile, no code).
#[derive(Debug, Clone, Default)]
pub struct SetupArgs {
    pub name: Option<String>,
    pub role_profile: Option<String>,
    pub role: RoleInputs,
    pub force: bool,
    pub no_doctor: bool,
    /// Also serve the source profile's stored keys to the AWS CLI and SDKs (`keys export`).
    pub source_in_store: bool,
    pub store: StoreSettings,
}

#[derive(Args)]
pub(crate) struct SetupFlags {
    /// The profile the AWS CLI and SDKs will use (its only key is credential_process).
    #[arg(long, value_name = "PROFILE", help_heading = "Profiles")]
    name: Option<String>,
    /// The profile that holds the role's settings (default: NAME-role).
    #[arg(long, value_name = "PROFILE", help_heading = "Profiles")]
    role_profile: Option<String>,
    /// Replace existing profiles of those names that say something else.
    #[arg(long, help_heading = "Profiles")]
    force: bool,
    /// Do not run the doctor on the new profile afterwards.
    #[arg(long, help_heading = "Profiles")]
    no_doctor: bool,
    /// The source profile's keys are in the key store: also let the AWS CLI use it directly.
    ///
    /// The source profile's keys are in the key store (`keys add` or `keys import`): also write
    /// `credential_process = xacct-cred keys export SOURCE` into the source profile, so that the
    /// AWS CLI and SDKs can use that profile directly too. Refused when the files still hold
    /// keys for it.
    #[arg(long, help_heading = "Profiles")]
    source_in_store: bool,
    /// The role's settings, written into the role profile.
    #[command(flatten)]
    role: RoleKeyFlags,
    /// For the doctor's cache check.
    #[command(flatten)]
    store: StoreSettings,
}

impl From<SetupFlags> for SetupArgs {
    fn from(f: SetupFlags) -> SetupArgs {
        SetupArgs {
            name: f.name,
            role_profile: f.role_profile,
            role: f.role.into(),
            force: f.force,
            no_doctor: f.no_doctor,
            source_in_store: f.source_in_store,
            store: f.store,
        }
    }
}
parsed_through!(SetupArgs, SetupFlags);

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PolicyDocument {
    /// Who may assume the role (on the role, in the production account).
    Trust,
    /// What the role may do with the bucket (on the role).
    Permission,
    /// What lets the principals call AssumeRole (in the other account).
    Source,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PolicyFormat {
    /// {"trust_policy": …, "permission_policy": …, "source_policy": …}
    Json,
    /// A CloudFormation template that creates the role.
    Cloudformation,
    /// Terraform that creates the role.
    Terraform,
}

#[derive(Debug, Args)]
pub struct PolicyArgs {
    /// The account that owns the role (and the buckets).
    #[arg(long, value_name = "ACCOUNT", alias = "prod-account")]
    pub role_account: String,
    /// The account whose principals may assume the role (trusts its root).
    #[arg(
        long,
        value_name = "ACCOUNT",
        alias = "dev-account",
        required_unless_present = "principal",
        conflicts_with = "principal"
    )]
    pub trusted_account: Option<String>,
    /// One principal that may assume the role (a user or role ARN) instead of a whole account.
    #[arg(long, value_name = "ARN")]
    pub principal: Option<String>,
    /// The name of the role to create, e.g. readonly.
    #[arg(long, value_name = "NAME")]
    pub role_name: String,
    /// An S3 bucket the role may read (or write); repeat for several.
    #[arg(long, value_name = "BUCKET", required = true)]
    pub bucket: Vec<String>,
    /// List and read the buckets (the default).
    #[arg(long, conflicts_with = "read_write")]
    pub read_only: bool,
    /// Also write and delete objects.
    #[arg(long)]
    pub read_write: bool,
    /// Require this external ID in the trust policy.
    #[arg(long, value_name = "ID")]
    pub external_id: Option<String>,
    /// Require MFA in the trust policy.
    #[arg(long)]
    pub require_mfa: bool,
    /// Print only this policy document.
    #[arg(long, value_enum, conflicts_with = "format")]
    pub document: Option<PolicyDocument>,
    /// How to print the policies.
    #[arg(long, value_enum, value_name = "FORMAT", default_value = "json")]
    pub format: PolicyFormat,
}

#[derive(Debug, Args)]
pub struct ExecArgs {
    #[command(flatten)]
    pub role: RoleInputs,
    #[command(flatten)]
    pub cache: CacheSettings,
    /// Allow running inside another xacct-cred exec.
    #[arg(long)]
    pub allow_nested: bool,
    /// Give the command a local credential endpoint instead of the keys.
    ///
    /// Give the command a local credential endpoint (AWS_CONTAINER_CREDENTIALS_FULL_URI and
    /// AWS_CONTAINER_AUTHORIZATION_TOKEN) instead of the keys, so the SDKs renew by themselves
    /// and the command may outlive a session; xacct-cred stays the parent, forwards SIGINT,
    /// SIGTERM, SIGHUP and SIGQUIT, and exits with the command's status.
    #[arg(long)]
    pub server: bool,
    /// The command and its arguments.
    #[arg(last = true, required = true, value_name = "COMMAND")]
    pub command: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// A profile to serve (repeat for several; each gets its own path).
    #[arg(long = "profile", short = 'p', value_name = "NAME", required = true)]
    pub profiles: Vec<String>,
    /// The port to listen on (default: a free one).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub port: u16,
    /// The loopback address to listen on; any other address is refused.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1")]
    pub address: String,
    /// How to print the variables: sh, fish, powershell, dotenv, or json (an object keyed by profile).
    #[arg(
        long,
        value_enum,
        value_name = "FORMAT",
        default_value = "sh",
        hide_possible_values = true,
        help_heading = "Output"
    )]
    pub format: Format,
    /// Write the token to this file and print AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE.
    ///
    /// Write the token to this file (mode 0600, removed on exit) and print
    /// AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE instead of the token itself.
    #[arg(long, value_name = "PATH", help_heading = "Output")]
    pub token_file: Option<PathBuf>,
    #[command(flatten)]
    pub store: StoreSettings,
}

#[derive(Debug, Args)]
pub struct ConsoleArgs {
    #[command(flatten)]
    pub role: RoleInputs,
    #[command(flatten)]
    pub cache: CacheSettings,
    /// Open the URL in the browser instead of printing it.
    #[arg(long)]
    pub open: bool,
    /// A signed-in console session instead of the switch-role page.
    ///
    /// A signed-in console session through the federation endpoint (getSigninToken) instead of
    /// the switch-role page.
    #[arg(long)]
    pub federated: bool,
    /// The name the console shows for the role (switch-role URL).
    #[arg(long, value_name = "NAME")]
    pub display_name: Option<String>,
    /// The colour the console shows for the role, as hex (e.g. F2B0A9).
    #[arg(long, value_name = "HEX")]
    pub role_color: Option<String>,
    /// The federation endpoint (default: the partition's signin …/federation)
    /// [env: XACCT_CRED_FEDERATION_ENDPOINT]
    #[arg(long, value_name = "URL")]
    pub federation_endpoint: Option<String>,
    /// Where the federated sign-in lands (default: the console home).
    #[arg(long, value_name = "URL")]
    pub destination: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum CacheAction {
    /// Show cached sessions (role, profile, time left); never the secrets.
    List,
    /// Remove cached sessions: all of them, or those of one profile.
    Clear {
        /// Only the entries written for this profile.
        #[arg(long)]
        profile: Option<String>,
    },
}
