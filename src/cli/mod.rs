//! The command line, defined once: `--help`, the man page and the shell completions all come
//! from these clap definitions. Parsing here is pure: no file, variable or network is read.
//! This file holds the top level; `subcommands` the arguments of each subcommand; `args` the
//! groups several commands share (the role, the output, the cache) and their value parsers.

mod args;
mod subcommands;

pub use crate::plan::CredentialSource;
pub use args::*;
pub use subcommands::*;

use crate::env;
use clap::{Parser, Subcommand, ValueEnum};

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
    /// Serve the roles' credentials on a local endpoint that the AWS SDKs and CLIs renew from.
    #[command(
        after_help = "Example:\n  xacct-cred serve -p prod-readonly          # prints export lines, then serves (e.g. in a tmux pane)\n  xacct-cred serve -p prod --format dotenv --token-file /tmp/xacct-token > endpoint.env &\n  docker run --network host --env-file endpoint.env -v /tmp/xacct-token:/tmp/xacct-token:ro IMAGE\n\nPrints AWS_CONTAINER_CREDENTIALS_FULL_URI and AWS_CONTAINER_AUTHORIZATION_TOKEN (or, with\n--token-file, AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE) per profile, then serves on 127.0.0.1\nuntil SIGTERM or SIGINT. Every request is answered from the cache, renewed as credential_process\nrenews; a request without the token gets 401."
    )]
    Serve(ServeArgs),
    /// Print (or open) the AWS console URL for the role.
    #[command(
        after_help = "Example:\n  xacct-cred console --profile prod-readonly             # switch-role URL\n  xacct-cred console --profile prod-readonly --federated --open   # signed-in session"
    )]
    Console(ConsoleArgs),
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

/// The definition itself, for the man page and completions.
pub fn command() -> clap::Command {
    <Cli as clap::CommandFactory>::command()
}
