//! Starting the detached renewal: a session inside the refresh window but above the blocking
//! margin is printed at once, and a process of its own renews it (the hidden subcommand,
//! `cmd::renewal`). The caller waits only for the first of its two steps (milliseconds).
//!
//! What it is handed: the key, the key's lock as the one descriptor it inherits on purpose (a
//! `flock` belongs to the open file, so it stays held throughout), and the plan's inputs and
//! cache settings as arguments, never a secret (the inputs hold no MFA code: MFA plans renew in
//! the call). Its stdin, stdout and stderr are /dev/null. It never reads the caller's argv.

use crate::cache::{KeyLock, StoreSettings};
use crate::env;
use crate::error::{Error, Result};
use crate::plan::{Plan, RoleInputs};
use std::ffi::OsString;
use std::process::{Command, Stdio};
use std::time::Duration;

/// The subcommand (hidden from `--help`) that runs the two steps.
pub const SUBCOMMAND: &str = "background-renewal";
/// How long a background renewal may keep trying; the watchdog allows a grace more for an
/// attempt that is under way, then ends the process.
pub const DEADLINE: Duration = Duration::from_secs(60);

/// The renewal's two steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Leave the caller's session, start `renew`, exit.
    Detach,
    /// Renew the entry, then exit.
    Renew,
}

impl Stage {
    pub fn name(self) -> &'static str {
        match self {
            Stage::Detach => "detach",
            Stage::Renew => "renew",
        }
    }
}

/// Starts the detached renewal of `key` (the key of `plan`, whose entry lives in `store`),
/// handing it `lock`, and waits only for `detach` to exit. `chain` is the loop-detection chain
/// the renewal's own children must see, passed in its environment.
#[cfg(unix)]
pub fn start(
    plan: &Plan,
    store: &StoreSettings,
    key: &str,
    chain: &str,
    lock: &KeyLock,
) -> Result<()> {
    let status = lock.pass_on(|fd| {
        let mut cmd = step(Stage::Detach, key, fd, arguments(&plan.inputs, store))?;
        cmd.env(env::CHAIN, chain)
            .status()
            .map_err(|e| cannot_start(&e.to_string()))
    })?;
    if !status.success() {
        return Err(cannot_start(&status.to_string()));
    }
    Ok(())
}

#[cfg(not(unix))]
pub fn start(_: &Plan, _: &StoreSettings, _: &str, _: &str, _: &KeyLock) -> Result<()> {
    Err(cannot_start("not supported on this platform"))
}

/// The plan's inputs and the cache settings as the subcommand's flags (`cli` parses them back;
/// a test there checks the round trip). The MFA code is never among them.
pub fn arguments(role: &RoleInputs, store: &StoreSettings) -> Vec<OsString> {
    let role = role.without_secrets();
    let mut args: Vec<OsString> = Vec::new();
    // `--name=value`, so that a value that starts with a dash stays a value.
    let mut flag = |name: &str, value: Option<OsString>| {
        if let Some(value) = value {
            let mut arg = OsString::from(format!("--{name}="));
            arg.push(value);
            args.push(arg);
        }
    };
    let text = |v: &Option<String>| v.as_ref().map(OsString::from);
    flag("profile", text(&role.profile));
    flag("role-arn", text(&role.role_arn));
    flag("source-profile", text(&role.source_profile));
    flag(
        "credential-source",
        role.credential_source.map(|s| s.name().into()),
    );
    flag("role-session-name", text(&role.role_session_name));
    flag("external-id", text(&role.external_id));
    flag(
        "duration-seconds",
        role.duration_seconds.map(|d| d.to_string().into()),
    );
    flag("mfa-serial", text(&role.mfa_serial));
    flag("region", text(&role.region));
    flag("cache-dir", store.dir.clone().map(OsString::from));
    let seconds = |d: Duration| Some(OsString::from(d.as_secs().to_string()));
    flag("refresh-window", seconds(store.refresh_window));
    flag("blocking-margin", seconds(store.blocking_margin));
    flag("lock-timeout", seconds(store.lock_timeout));
    args
}

/// `xacct-cred background-renewal --stage S --key K --lock-fd N ARGUMENTS…`, null stdio.
pub fn step(
    stage: Stage,
    key: &str,
    lock_fd: i32,
    arguments: impl IntoIterator<Item = OsString>,
) -> Result<Command> {
    let mut cmd = Command::new(this_program()?);
    #[cfg(unix)]
    std::os::unix::process::CommandExt::arg0(&mut cmd, "xacct-cred");
    let fd = lock_fd.to_string();
    cmd.args([
        SUBCOMMAND,
        "--stage",
        stage.name(),
        "--key",
        key,
        "--lock-fd",
        &fd,
    ])
    .args(arguments)
    .stdin(Stdio::null())
    .stdout(Stdio::null())
    .stderr(Stdio::null());
    Ok(cmd)
}

/// This very program. On Linux /proc/self/exe, which opens the running executable even after
/// a package upgrade replaced or deleted its file (`current_exe()` then names a file that is
/// gone, or a newer version).
fn this_program() -> Result<std::path::PathBuf> {
    if cfg!(target_os = "linux") {
        return Ok("/proc/self/exe".into());
    }
    std::env::current_exe().map_err(|e| cannot_start(&e.to_string()))
}

pub fn cannot_start(why: &str) -> Error {
    Error::cache(format!("could not start the background renewal: {why}"))
}
