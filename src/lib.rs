//! xacct-cred: AWS cross-account AssumeRole for `credential_process` and shells, with a
//! file-locked on-disk cache.
//!
//! The public surface is what the binary needs: the command line ([`cli`]), [`run`], the
//! [`error`] it returns, and [`InheritedEnv`], through which the binary — not this library —
//! writes the one environment variable its children must inherit. Everything else is private
//! to the crate. The data's way through it: `config` (the files) → `plan` (validated, pure) →
//! `session` (cache hit, or `renew`: `aws`) → `output`.

mod aws;
mod background;
mod cache;
mod child;
pub mod cli;
mod cmd;
mod config;
mod credentials;
mod diag;
mod diagnosis;
mod disk;
mod env;
pub mod error;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
#[cfg(all(test, not(feature = "fuzzing")))]
mod fuzzing;
mod keys;
mod leftovers;
mod loop_guard;
mod output;
mod plan;
mod prompt;
mod renew;
mod server;
mod session;
mod version;

use cli::{Cli, Command};
use env::Environment;

/// Writes to this process's environment, which the processes it starts inherit.
///
/// aws-config starts a source profile's `credential_process` itself, with this process's
/// environment, and loop detection needs one variable to reach it. Writing the environment is
/// sound only while no other thread reads it, which only the program that owns all the threads
/// can promise; so the binary implements this (see `main.rs`) and the library never writes its
/// own environment.
pub trait InheritedEnv {
    fn set(&self, name: &str, value: &str);
}

/// Runs the parsed command line against the process environment.
pub fn run(cli: &Cli, inherited: &dyn InheritedEnv) -> error::Result<()> {
    let env = Environment::from_process();
    if cli.debug {
        diag::enable();
    }
    match &cli.command {
        None => cmd::credential_process::run(cli, &env, inherited),
        Some(Command::Cache { action, dir }) => cmd::cache::run(action, &dir.settings(), &env),
        Some(Command::Doctor(args)) => cmd::doctor::run(args, &env),
        Some(Command::Setup(args)) => cmd::setup::run(args, &env),
        Some(Command::Policy(args)) => cmd::policy::run(args),
        Some(Command::Exec(args)) if args.server => cmd::serve::exec(args, &env, inherited),
        Some(Command::Exec(args)) => cmd::exec::run(args, &env, inherited),
        Some(Command::Console(args)) => cmd::console::run(args, &env, inherited),
        Some(Command::Keys(args)) => cmd::keys::run(args, &env),
        Some(Command::Serve(args)) => cmd::serve::run(args, &env, inherited),
        Some(Command::Generate { what }) => cmd::generate::run(*what),
        Some(Command::BackgroundRenewal(args)) => cmd::background_renewal::run(args, &env),
    }
}
