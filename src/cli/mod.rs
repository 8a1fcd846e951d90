//! The command line, defined once: `--help`, the man page and the shell completions all come
//! from these clap definitions. Parsing here is pure: no file, variable or network is read.
//! This file holds the top level; `subcommands` the arguments of each subcommand; `args` the
//! groups several commands share (the role, the output, the cache) and their value parsers.

mod args;
pub mod markdown;
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
    "help",
];

/// [`Cli`] without its subcommands: the same top-level arguments, which the cache hit parses
/// without building the definitions of ten subcommands it does not use (a third of its CPU
/// time). Only [`Cli::parse_args`] uses it, and only for a command line it parses without error.
#[derive(Parser)]
#[command(name = "xacct-cred")]
struct TopLevel {
    #[command(flatten)]
    role: RoleArgs,
    #[command(flatten)]
    output: OutputArgs,
    #[command(flatten)]
    cache: CacheArgs,
    /// Trace each step on stderr (keys shown by their last four characters).
    #[arg(long, global = true, env = env::DEBUG, value_parser = clap::builder::FalseyValueParser::new())]
    debug: bool,
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
        Self::top_level_only(&args).unwrap_or_else(|| Cli::parse_from(args))
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
mod tests {
    use super::*;
    use clap::CommandFactory;
    use std::ffi::OsString;

    #[test]
    fn the_subcommand_words_are_the_definitions_names_and_aliases() {
        let full = Cli::command();
        let mut defined: Vec<String> = full
            .get_subcommands()
            .flat_map(|c| {
                std::iter::once(c.get_name().to_string())
                    .chain(c.get_all_aliases().map(str::to_string))
            })
            .chain(["help".to_string()])
            .collect();
        let mut listed: Vec<String> = SUBCOMMAND_WORDS.iter().map(|s| s.to_string()).collect();
        defined.sort();
        listed.sort();
        assert_eq!(listed, defined);
    }

    #[test]
    fn the_top_level_arguments_are_the_full_definitions() {
        let full = Cli::command();
        let top = TopLevel::command();
        // Everything but the display order, which only help uses (and help is the full one's).
        let show = |c: &clap::Command| -> Vec<String> {
            c.get_arguments()
                .map(|a| {
                    let shown = format!("{a:?}");
                    let (before, after) = shown.split_once("disp_ord: ").expect("a display order");
                    let after = after.split_once(", ").map_or("", |(_, rest)| rest);
                    format!("{before}{after}")
                })
                .collect()
        };
        assert_eq!(show(&top), show(&full));
        assert!(show(&full).len() > 10, "the comparison saw the arguments");
    }

    /// For command lines the top-level parse accepts, the full definition gives the same
    /// result; the others (a subcommand, help, an error) are left to the full definition.
    #[test]
    fn the_top_level_parse_agrees_with_the_full_one() {
        let lines: &[&[&str]] = &[
            &[],
            &["--profile", "prod"],
            &["-p", "prod", "--export"],
            &["--profile=prod", "--format", "dotenv", "--no-cache"],
            &[
                "--role-arn",
                "arn:aws:iam::111111111111:role/r",
                "--source-profile",
                "dev",
            ],
            &["--profile", "prod", "--refresh-window", "600", "--debug"],
            &["--profile", "prod", "--background-refresh", "off"],
            &[
                "--profile",
                "prod",
                "--cache-dir",
                "/tmp/x",
                "--lock-timeout",
                "3",
            ],
            &[
                "--profile",
                "prod",
                "--duration-seconds",
                "900",
                "--role-session-name",
                "s",
            ],
            &[
                "--credential-source",
                "Ec2InstanceMetadata",
                "--role-arn",
                "arn:aws:iam::1:role/r",
            ],
            &[
                "-p",
                "prod",
                "--token-code",
                "123456",
                "--mfa-serial",
                "arn:aws:iam::1:mfa/u",
            ],
            &["--profile", "exec"],
            &["exec", "-p", "prod", "--", "true"],
            &["cache", "list"],
            &["--help"],
            &["-h"],
            &["--version"],
            &["--profile"],
            &["--no-such-flag"],
            &["stray"],
            &["--", "x"],
            &["--profile", "prod", "--format", "nonsense"],
        ];
        let mut fast = 0;
        for line in lines {
            let argv: Vec<OsString> = std::iter::once("xacct-cred")
                .chain(line.iter().copied())
                .map(OsString::from)
                .collect();
            let full = Cli::try_parse_from(&argv);
            match Cli::top_level_only(&argv) {
                Some(top) => {
                    fast += 1;
                    let full =
                        full.unwrap_or_else(|e| panic!("{line:?}: the full parse failed: {e}"));
                    assert_eq!(format!("{top:?}"), format!("{full:?}"), "{line:?}");
                }
                None => {
                    let words = line.iter().any(|w| SUBCOMMAND_WORDS.contains(w));
                    assert!(
                        words || full.is_err(),
                        "{line:?} was left to the full parse"
                    );
                }
            }
        }
        assert!(fast >= 11, "the top-level parse took {fast} lines");
    }
}
