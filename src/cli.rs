//! The command line, defined once: `--help`, the man page and the shell completions all come
//! from these clap definitions. Parsing here is pure: no file, variable or network is read.

use crate::env;
pub use crate::plan::CredentialSource;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::time::Duration;

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

    /// Trace each step on stderr (keys shown by their last four characters).
    #[arg(long, global = true, env = env::DEBUG, value_parser = clap::builder::FalseyValueParser::new())]
    pub debug: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List or clear cached sessions.
    Cache {
        #[command(subcommand)]
        action: CacheAction,
        #[command(flatten)]
        store: CacheStoreArgs,
    },
    /// Check a cross-account set-up one link at a time and say what to fix.
    #[command(
        after_help = "Example:\n  xacct-cred doctor --profile prod-readonly\n  xacct-cred doctor --profile prod-readonly --json | jq '.steps[] | select(.status != \"pass\")'\n\nExit 0 only when every step passes."
    )]
    Doctor(DoctorArgs),
    /// Write the role profile and the credential_process profile into ~/.aws/config.
    #[command(
        after_help = "Example:\n  xacct-cred setup --name prod --role-arn arn:aws:iam::111111111111:role/readonly --source-profile dev\n  aws s3 ls --profile prod\n\nKeeps every existing line and comment, backs the file up first, changes nothing when the\nprofiles are already as asked, and refuses to replace a different definition without --force."
    )]
    Setup(SetupArgs),
    /// Print the IAM policies a cross-account set-up needs (trust, permission, source).
    #[command(
        after_help = "Example:\n  xacct-cred policy --prod-account 111111111111 --dev-account 222222222222 --role-name readonly --bucket my-bucket\n  xacct-cred policy ... --document trust > trust.json\n  xacct-cred policy ... --format terraform > role.tf"
    )]
    Policy(PolicyArgs),
    /// Run a command with the role's credentials in its environment.
    #[command(
        after_help = "Example:\n  xacct-cred exec --profile prod-readonly -- aws s3 ls s3://my-bucket/\n  xacct-cred exec -p prod-readonly -- terraform plan\n\nSets AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_CREDENTIAL_EXPIRATION\n(and AWS_REGION when configured), removes AWS_PROFILE, and replaces itself with the command,\nso signals reach it directly and its exit code is xacct-cred's."
    )]
    Exec(ExecArgs),
    /// The detached renewal a call inside the refresh window starts (internal; see background.rs).
    #[command(hide = true, name = "background-renewal")]
    BackgroundRenewal(BackgroundArgs),
    /// Print the man page or a shell completion script (for packagers).
    #[command(hide = true)]
    Generate {
        #[arg(value_enum)]
        what: Generated,
    },
    /// Print (or open) the AWS console URL for the role.
    #[command(
        after_help = "Example:\n  xacct-cred console --profile prod-readonly             # switch-role URL\n  xacct-cred console --profile prod-readonly --federated --open   # signed-in session"
    )]
    Console(ConsoleArgs),
}

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
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BackgroundStage {
    /// Leave the caller's session, start `renew`, exit.
    Detach,
    /// Renew the entry, then exit.
    Renew,
}

impl Cli {
    /// In a step of the detached renewal: `Some(descriptor to keep inheritable)`. `main` marks
    /// every other inherited descriptor close-on-exec before anything else; `detach` keeps the
    /// key's lock for `renew`, which keeps none (it holds the lock open until it exits).
    pub fn background_renewal_keeps(&self) -> Option<Option<i32>> {
        match &self.command {
            Some(Command::BackgroundRenewal(a)) => Some(match a.stage {
                BackgroundStage::Detach => Some(a.lock_fd),
                BackgroundStage::Renew => None,
            }),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Generated {
    Man,
    CompleteBash,
    CompleteZsh,
    CompleteFish,
    CompletePowershell,
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
    /// The command and its arguments.
    #[arg(last = true, required = true, value_name = "COMMAND")]
    pub command: Vec<String>,
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

/// The definition itself, for the man page and completions.
pub fn command() -> clap::Command {
    <Cli as clap::CommandFactory>::command()
}

#[cfg(test)]
mod tests {
    use super::*;

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
