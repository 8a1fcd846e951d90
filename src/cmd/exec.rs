//! `xacct-cred exec -- CMD…`: runs a command with the role's credentials in its environment.
//!
//! On Unix the process replaces itself with the command (execvp), so signals such as SIGINT and
//! SIGTERM reach the command directly and its exit status is ours, with nothing in between to
//! get either wrong. Elsewhere it spawns, forwards the exit code, and waits. Nothing of loop
//! detection (`loop_guard`) reaches the command.

use crate::InheritedEnv;
use crate::cli::ExecArgs;
use crate::credentials::format_expiration;
use crate::env::{self, Environment};
use crate::error::{Error, Kind, Result};
use crate::plan::Plan;
use crate::renew::ViaSts;
use crate::session::{self, SystemClock};
use std::process::Command;

/// Set in the command's environment; its presence means "already inside an exec".
pub const EXEC_MARKER: &str = "XACCT_CRED_EXEC";

pub fn run(args: &ExecArgs, env: &Environment, inherited: &dyn InheritedEnv) -> Result<()> {
    if args.server {
        return super::serve::exec(args, env, inherited);
    }
    if let Some(outer) = env.get(EXEC_MARKER)
        && !args.allow_nested
    {
        return Err(Error::config(format!("already inside `xacct-cred exec` for {outer}; a nested exec would silently switch roles"))
            .hint("Run the command directly (the credentials are already in the environment), or pass --allow-nested if switching roles is intended."));
    }
    let plan = Plan::build(&args.role.load_config(env)?, &args.role, env)?;
    let renewer = ViaSts {
        env,
        inherited,
        store: &args.cache.store,
    };
    let creds = session::obtain(&plan, &args.cache, env, &SystemClock, &renewer)?;
    let program = &args.command[0];
    let mut cmd = Command::new(program);
    cmd.args(&args.command[1..])
        .env("AWS_ACCESS_KEY_ID", &creds.access_key_id)
        .env("AWS_SECRET_ACCESS_KEY", creds.secret_access_key.expose())
        .env("AWS_SESSION_TOKEN", creds.session_token.expose())
        .env(
            "AWS_CREDENTIAL_EXPIRATION",
            format_expiration(creds.expiration),
        )
        .env(
            EXEC_MARKER,
            plan.profile
                .clone()
                .unwrap_or_else(|| plan.role.role_arn.arn.clone()),
        )
        // A profile in the environment would make SDKs ignore the variables above (botocore drops
        // environment credentials when a profile is named) or run the credential_process again.
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_DEFAULT_PROFILE")
        .env_remove("AWS_SECURITY_TOKEN")
        // Loop detection is for the processes a renewal starts (a source credential_process),
        // never for the command: it may well run xacct-cred for this same role (an AWS CLI
        // profile whose credential_process is xacct-cred), and that is not a loop. The variable
        // is in this process's environment when a cold cache made it renew just now.
        .env_remove(env::CHAIN);
    if plan.region_configured {
        cmd.env("AWS_REGION", &plan.region)
            .env("AWS_DEFAULT_REGION", &plan.region);
    }
    launch(cmd, program)
}

#[cfg(unix)]
fn launch(mut cmd: Command, program: &str) -> Result<()> {
    use std::os::unix::process::CommandExt;
    let e = cmd.exec();
    Err(cannot_run(program, &e))
}

#[cfg(not(unix))]
fn launch(mut cmd: Command, program: &str) -> Result<()> {
    let status = cmd.status().map_err(|e| cannot_run(program, &e))?;
    std::process::exit(status.code().unwrap_or(1));
}

/// The shells' 127 / 126 for a command that is missing or cannot run (also `exec --server`'s).
pub(crate) fn cannot_run(program: &str, e: &std::io::Error) -> Error {
    if e.kind() == std::io::ErrorKind::NotFound {
        Error::new(
            Kind::CommandNotFound,
            format!("exec: {program}: command not found"),
        )
        .hint("Check the spelling and PATH.")
    } else {
        Error::new(
            Kind::CommandNotRunnable,
            format!("exec: could not run {program}: {e}"),
        )
        .hint("Check that it is an executable file.")
    }
}
