//! The command line, defined once: `--help`, the man page and the shell completions all come
//! from these clap definitions, which turn the arguments into the domain's types (the rest of
//! the crate never sees clap). Parsing reads no file or network, only the flags' variables.
//! This file: the top level; `subcommands`: each subcommand's flags; `args`: the shared groups.

mod args;
mod keys;
pub mod markdown;
mod subcommands;

pub use args::{CacheDirArgs, OutputArgs, Seconds, Toggle};
pub use keys::*;
pub use subcommands::*;

use crate::cache::CacheSettings;
use crate::plan::RoleInputs;

use crate::env;
use clap::{Parser, Subcommand, ValueEnum};

/// What `-h` ends with.
const SHORT_EXAMPLES: &str = "\
Examples:
  xacct-cred setup --name prod --role-arn ARN --source-profile dev   # then: aws … --profile prod
  eval \"$(xacct-cred --export --profile prod-role)\"                 # in a shell";

/// What `--help` ends with.
const EXAMPLES: &str = "\
Examples:
  # writes the two profiles below into ~/.aws/config, then checks the chain:
  xacct-cred setup --name prod --role-arn arn:aws:iam::111111111111:role/readonly \\
    --source-profile dev

  # in ~/.aws/config: the role, and the profile the AWS CLI and SDKs use (--profile prod):
  [profile prod-role]
  role_arn = arn:aws:iam::111111111111:role/readonly
  source_profile = dev
  [profile prod]
  credential_process = xacct-cred --profile prod-role

  # the same without a role profile:
  credential_process = xacct-cred --role-arn arn:aws:iam::111111111111:role/readonly \\
    --source-profile dev

  # in a shell:
  eval \"$(xacct-cred --export --profile prod-role)\"

Exit codes: 0 ok, 2 bad flags or config, 3 source credential, 4 STS refused,
5 STS unreachable, 6 cache, 7 MFA.";

#[derive(Debug, Parser)]
#[command(
    name = "xacct-cred",
    version = crate::version::SHORT,
    long_version = crate::version::LONG,
    about = "AWS cross-account AssumeRole for credential_process and shells: cached, file-locked, fast.",
    after_help = SHORT_EXAMPLES,
    after_long_help = EXAMPLES,
    max_term_width = 100
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Trace each step on stderr.
    ///
    /// Trace each step on stderr (keys shown by their last four characters).
    #[arg(long, global = true, env = env::DEBUG, hide_env_values = true, value_parser = clap::builder::FalseyValueParser::new())]
    pub debug: bool,

    #[command(flatten)]
    pub role: RoleInputs,

    #[command(flatten)]
    pub output: OutputArgs,

    #[command(flatten)]
    pub cache: CacheSettings,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List or clear cached sessions.
    #[command(
        after_help = "Examples:\n  xacct-cred cache list\n  xacct-cred cache clear --profile prod-role"
    )]
    Cache {
        #[command(subcommand)]
        action: CacheAction,
        #[command(flatten)]
        dir: CacheDirArgs,
    },
    /// Check a cross-account set-up one link at a time and say what to fix.
    #[command(
        after_help = "Examples:\n  xacct-cred doctor --profile prod-role\n  xacct-cred doctor --profile prod-role --json | \\\n      jq '.steps[] | select(.status != \"pass\")'\n\nExit 0 only when every step passes."
    )]
    Doctor(DoctorArgs),
    /// Write the role profile and the credential_process profile into ~/.aws/config.
    #[command(
        after_help = "Examples:\n  xacct-cred setup --name prod --role-arn arn:aws:iam::111111111111:role/readonly \\\n      --source-profile dev\n  aws s3 ls --profile prod\n\nKeeps every existing line and comment, backs the file up first, changes nothing when the\nprofiles are already as asked, and refuses to replace a different definition without --force."
    )]
    Setup(SetupArgs),
    /// Print the IAM policies a cross-account set-up needs (trust, permission, source).
    #[command(
        after_help = "Examples:\n  xacct-cred policy --role-account 111111111111 --trusted-account 222222222222 \\\n      --role-name readonly --bucket my-bucket\n  xacct-cred policy ... --document trust > trust.json\n  xacct-cred policy ... --format terraform > role.tf"
    )]
    Policy(PolicyArgs),
    /// Run a command with the role's credentials in its environment.
    #[command(
        after_help = "Examples:\n  xacct-cred exec --profile prod-role -- aws s3 ls s3://my-bucket/\n  xacct-cred exec -p prod-role -- terraform plan\n\nSets AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_CREDENTIAL_EXPIRATION\n(and AWS_REGION when configured), removes AWS_PROFILE, and replaces itself with the command,\nso signals reach it directly and its exit code is xacct-cred's."
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
        after_help = "Examples:\n  xacct-cred serve -p prod-role      # prints export lines, then serves (e.g. in tmux)\n  cd \"${XDG_RUNTIME_DIR:?}\"   # a directory only you can write to\n  xacct-cred serve -p prod --format dotenv --token-file \"$PWD/xacct-token\" > endpoint.env &\n  docker run --network host --env-file endpoint.env -v \"$PWD/xacct-token:$PWD/xacct-token:ro\" IMG\n\nPrints AWS_CONTAINER_CREDENTIALS_FULL_URI and AWS_CONTAINER_AUTHORIZATION_TOKEN (or, with\n--token-file, AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE) per profile, then serves on 127.0.0.1\nuntil SIGTERM, SIGINT, SIGHUP or SIGQUIT. Every request is answered from the cache, renewed\nas credential_process renews; a request without the token gets 401."
    )]
    Serve(ServeArgs),
    /// Print (or open) the AWS console URL for the role.
    #[command(
        after_help = "Examples:\n  xacct-cred console --profile prod-role             # switch-role URL\n  xacct-cred console --profile prod-role --federated --open   # signed-in session"
    )]
    Console(ConsoleArgs),
    #[command(about = KEYS_ABOUT, after_help = KEYS_AFTER_HELP)]
    Keys(KeysArgs),
}

/// The names (and aliases) of [`Command`]'s subcommands, and `help`: a command line that
/// contains none of them as a word cannot mean a subcommand. A unit test keeps this equal to
/// the definition.
const SUBCOMMAND_WORDS: &[&str] = &[
    "cache",
    "doctor",
    "setup",
    "policy",
    "exec",
    "background-renewal",
    "generate",
    "serve",
    "console",
    "keys",
    "help",
];

/// [`Cli`] without its subcommands: the same top-level arguments, which the cache hit parses
/// without building the definitions of ten subcommands it does not use (a third of its CPU
/// time). Only [`Cli::parse_args`] uses it, and only for a command line it parses without error.
#[derive(Parser)]
#[command(name = "xacct-cred")]
struct TopLevel {
    /// Trace each step on stderr.
    ///
    /// Trace each step on stderr (keys shown by their last four characters).
    #[arg(long, global = true, env = env::DEBUG, hide_env_values = true, value_parser = clap::builder::FalseyValueParser::new())]
    debug: bool,
    #[command(flatten)]
    role: RoleInputs,
    #[command(flatten)]
    output: OutputArgs,
    #[command(flatten)]
    cache: CacheSettings,
}

impl Cli {
    /// Parses this process's command line, as `Cli::parse()` does (exiting with clap's message
    /// on an error, `--help` or `--version`).
    ///
    /// A command line that names no subcommand is first parsed by [`TopLevel`] alone; when that
    /// succeeds the result is the one the full definition gives (a test compares the two
    /// definitions' top-level arguments). Anything else — a subcommand word anywhere, even as a
    /// value, `--help`, `--version`, any error — goes to the full definition, so messages,
    /// help and usage are always its own.
    pub fn parse_args() -> Cli {
        let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
        Self::top_level_only(&args)
            .unwrap_or_else(|| Self::parse_full(args).unwrap_or_else(|e| e.exit()))
    }

    /// The full definition's parse. The top level's own flags belong to the default command:
    /// with a subcommand only `--debug` (global) may come before it.
    pub fn parse_full(
        args: impl IntoIterator<Item = impl Into<std::ffi::OsString> + Clone>,
    ) -> Result<Cli, clap::Error> {
        use clap::parser::ValueSource;
        let mut definition = command();
        let matches = definition.try_get_matches_from_mut(args)?;
        if let Some((sub, _)) = matches.subcommand() {
            let top_level = definition
                .get_arguments()
                .filter(|a| a.get_id() != "debug" && !a.is_global_set())
                .find(|a| {
                    matches.value_source(a.get_id().as_str()) == Some(ValueSource::CommandLine)
                });
            if let Some(arg) = top_level {
                let name = arg
                    .get_long()
                    .map_or_else(|| arg.get_id().to_string(), |l| format!("--{l}"));
                return Err(definition.error(
                    clap::error::ErrorKind::ArgumentConflict,
                    format!("{name} is not an argument of `{sub}` here: give `{sub}`'s own arguments after it"),
                ));
            }
        }
        <Cli as clap::FromArgMatches>::from_arg_matches(&matches)
    }

    fn top_level_only(args: &[std::ffi::OsString]) -> Option<Cli> {
        let names_subcommand = args
            .iter()
            .skip(1)
            .any(|a| a.to_str().is_none_or(|a| SUBCOMMAND_WORDS.contains(&a)));
        if names_subcommand {
            return None;
        }
        let top = TopLevel::try_parse_from(args).ok()?;
        Some(Cli {
            command: None,
            role: top.role,
            output: top.output,
            cache: top.cache,
            debug: top.debug,
        })
    }

    /// In the detached renewal's `renew` step: the descriptor the caller handed on as the key's
    /// lock, which `main` checks is open and gives back with [`Cli::hand_lock`].
    pub fn handed_lock_fd(&self) -> Option<i32> {
        match &self.command {
            Some(Command::BackgroundRenewal(a)) if a.stage == BackgroundStage::Renew => {
                Some(a.lock_fd)
            }
            _ => None,
        }
    }

    /// Gives the `renew` step the lock file it inherited (see [`Cli::handed_lock_fd`]).
    pub fn hand_lock(&mut self, lock: std::fs::File) {
        if let Some(Command::BackgroundRenewal(a)) = &mut self.command {
            a.handed_lock = Some(lock);
        }
    }

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
    /// docs/REFERENCE.md: every command, flag and variable, in Markdown.
    Markdown,
    CompleteBash,
    CompleteZsh,
    CompleteFish,
    CompletePowershell,
}

/// The definition itself, for the man page and completions.
pub fn command() -> clap::Command {
    <Cli as clap::CommandFactory>::command()
}

#[cfg(test)]
mod tests;
