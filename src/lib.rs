//! xacct-cred: AWS cross-account AssumeRole for `credential_process` and shells, with a
//! file-locked on-disk cache. `main.rs` parses and reports; [`run`] dispatches.

pub mod cache;
pub mod cli;
pub mod cmd;
pub mod config;
pub mod credentials;
pub mod diag;
pub mod env;
pub mod error;
pub(crate) mod http;
pub mod mfa;
pub mod output;
pub mod plan;
pub mod prompt;
pub mod run;
pub mod source;
pub mod sts;
pub mod version;

use cli::{Cli, Command};
use env::Environment;

/// Runs the parsed command line against the process environment.
pub fn run(cli: &Cli) -> error::Result<()> {
    let env = Environment::from_process();
    if cli.debug || env.flag(env::DEBUG) {
        diag::enable();
    }
    match &cli.command {
        None => run::credentials(cli, &env),
        Some(Command::Cache { action }) => cmd::cache::run(action, &env),
        Some(Command::Doctor(args)) => cmd::doctor::run(args, &env),
        Some(Command::Setup(args)) => cmd::setup::run(args, &env),
        Some(Command::Policy(args)) => cmd::policy::run(args),
        Some(Command::Exec(args)) => cmd::exec::run(args, &env),
        Some(Command::Console(args)) => cmd::console::run(args, &env),
        Some(Command::Generate { what }) => cmd::generate::run(*what),
    }
}
