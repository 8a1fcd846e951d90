//! The arguments of each subcommand (the groups they share are in `args`).

use super::{CacheArgs, CacheStoreArgs, Format, RoleArgs};
use clap::{Args, Subcommand, ValueEnum};
use std::path::PathBuf;

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
    /// The caller's arguments, from which the renewal rebuilds the caller's plan.
    #[arg(last = true, allow_hyphen_values = true)]
    pub caller: Vec<std::ffi::OsString>,
    /// In `renew`: the lock file `--lock-fd` names, when that descriptor was open in this
    /// process (`main` adopts it; see [`crate::cli::Cli::hand_lock`]).
    #[arg(skip)]
    pub handed_lock: Option<std::fs::File>,
}

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
    pub role: RoleArgs,
    #[command(flatten)]
    pub store: CacheStoreArgs,
    /// One JSON document instead of lines.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct SetupArgs {
    /// The profile the AWS CLI and SDKs will use (its only key is credential_process).
    #[arg(long, value_name = "PROFILE")]
    pub name: Option<String>,
    /// The profile that holds the role's settings (default: NAME-role).
    #[arg(long, value_name = "PROFILE")]
    pub role_profile: Option<String>,
    /// The role's settings, as for the default command (--profile and --token-code do not apply).
    #[command(flatten)]
    pub role: RoleArgs,
    /// Replace existing profiles of those names that say something else.
    #[arg(long)]
    pub force: bool,
    /// Do not run the doctor on the new profile afterwards.
    #[arg(long)]
    pub no_doctor: bool,
    /// For the doctor's cache check.
    #[command(flatten)]
    pub store: CacheStoreArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PolicyDocument {
    Trust,
    Permission,
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
    /// The account that owns the role and the bucket.
    #[arg(long, value_name = "ACCOUNT")]
    pub prod_account: String,
    /// The account whose principals may assume the role (trusts its root).
    #[arg(
        long,
        value_name = "ACCOUNT",
        required_unless_present = "principal",
        conflicts_with = "principal"
    )]
    pub dev_account: Option<String>,
    /// One principal that may assume the role (a user or role ARN) instead of a whole account.
    #[arg(long, value_name = "ARN")]
    pub principal: Option<String>,
    #[arg(
        long,
        value_name = "NAME",
        default_value = "readonly-asi-production-bucket"
    )]
    pub role_name: String,
    #[arg(long, value_name = "BUCKET")]
    pub bucket: String,
    /// List and read the bucket (the default).
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
    #[arg(long, value_enum, default_value = "json")]
    pub format: PolicyFormat,
}

#[derive(Debug, Args)]
pub struct ExecArgs {
    #[command(flatten)]
    pub role: RoleArgs,
    #[command(flatten)]
    pub cache: CacheArgs,
    /// Allow running inside another xacct-cred exec.
    #[arg(long)]
    pub allow_nested: bool,
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
    #[arg(long, value_enum, value_name = "FORMAT", default_value = "sh")]
    pub format: Format,
    /// Write the token to this file (mode 0600, removed on exit) and print
    /// AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE instead of the token itself.
    #[arg(long, value_name = "PATH")]
    pub token_file: Option<PathBuf>,
    #[command(flatten)]
    pub store: CacheStoreArgs,
}

#[derive(Debug, Args)]
pub struct ConsoleArgs {
    #[command(flatten)]
    pub role: RoleArgs,
    #[command(flatten)]
    pub cache: CacheArgs,
    /// Open the URL in the browser instead of printing it.
    #[arg(long)]
    pub open: bool,
    /// A signed-in console session through the federation endpoint (getSigninToken) instead of
    /// the switch-role page.
    #[arg(long)]
    pub federated: bool,
    /// The name the console shows for the role (switch-role URL).
    #[arg(long, value_name = "NAME")]
    pub display_name: Option<String>,
    /// The colour the console shows for the role, as hex (e.g. F2B0A9).
    #[arg(long, value_name = "HEX")]
    pub color: Option<String>,
    /// The federation endpoint (default: the partition's signin …/federation). Env: XACCT_CRED_FEDERATION_ENDPOINT
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
