//! The command line, defined once: `--help`, the man page and the shell completions all come
//! from these clap definitions. Parsing here is pure: no file, variable or network is read.

use clap::{Args, Parser, Subcommand, ValueEnum};

const EXAMPLES: &str = "\
Examples:
  # in ~/.aws/config, for the AWS CLI and SDKs:
  [profile readonlys3crossaccount]
  credential_process = xacct-cred --profile prod-readonly

  # the same without a role profile:
  credential_process = xacct-cred --role-arn arn:aws:iam::111111111111:role/readonly --source-profile asi-dev

  # in a shell:
  eval \"$(xacct-cred --export --profile prod-readonly)\"

Exit codes: 0 ok, 2 bad flags or config, 3 source credential, 4 STS refused,
5 STS unreachable, 6 cache, 7 MFA.";

#[derive(Debug, Parser)]
#[command(
    name = "xacct-cred",
    version = crate::version::SHORT,
    long_version = crate::version::LONG,
    about = "AWS cross-account AssumeRole for credential_process and shells: cached, file-locked, fast.",
    after_help = EXAMPLES,
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    #[command(flatten)]
    pub role: RoleArgs,

    #[command(flatten)]
    pub output: OutputArgs,

    #[command(flatten)]
    pub cache: CacheArgs,

    /// Trace each step on stderr (keys shown by their last four characters). Env: XACCT_CRED_DEBUG=1
    #[arg(long, global = true)]
    pub debug: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List or clear cached sessions.
    Cache {
        #[command(subcommand)]
        action: CacheAction,
    },
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

/// What role to assume and with what: every flag overrides the same key of the profile.
#[derive(Debug, Clone, Default, Args)]
pub struct RoleArgs {
    /// The profile in ~/.aws/config that holds role_arn (and source_profile or credential_source). Env: AWS_PROFILE
    #[arg(long, short = 'p', value_name = "NAME")]
    pub profile: Option<String>,

    /// The role to assume, e.g. arn:aws:iam::111111111111:role/readonly.
    #[arg(long, value_name = "ARN")]
    pub role_arn: Option<String>,

    /// The profile whose credentials assume the role (its keys, SSO, another role…).
    #[arg(long, value_name = "NAME", conflicts_with = "credential_source")]
    pub source_profile: Option<String>,

    /// Where the assuming credentials come from instead of a profile.
    #[arg(long, value_name = "SOURCE", value_parser = ["Environment", "Ec2InstanceMetadata", "EcsContainer"])]
    pub credential_source: Option<String>,

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

    /// The current MFA code; without it xacct-cred asks on the terminal. Env: XACCT_CRED_TOKEN_CODE
    #[arg(long, value_name = "CODE")]
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

    /// Renew a cached session when fewer than this many seconds remain (default 960: botocore
    /// re-runs credential_process once fewer than 15 minutes remain). Env: XACCT_CRED_REFRESH_WINDOW
    #[arg(long, value_name = "SECONDS")]
    pub refresh_window: Option<u64>,
}

/// The definition itself, for the man page and completions.
pub fn command() -> clap::Command {
    <Cli as clap::CommandFactory>::command()
}
