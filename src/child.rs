//! The command that `exec` runs, with or without the endpoint: the one scrub list of its
//! environment, the nested-exec guard, starting it, forwarding signals to it, and its exit
//! status as xacct-cred's. Below both commands; never imports a command, never prints a secret,
//! never writes our own environment.
//!
//! Forwarding rule: SIGTERM and SIGHUP are always forwarded. SIGINT and SIGQUIT typed at a
//! terminal reach the whole foreground process group, the command included, so while
//! xacct-cred is in that group they are not sent twice (a second Ctrl-C means "force quit");
//! otherwise (`kill -INT`, a supervisor, no terminal) they are forwarded too.

use crate::env::{self, Environment};
use crate::error::{Error, Kind, Result};
use std::process::ExitStatus;

/// Set in the command's environment; its presence means "already inside an exec".
pub const EXEC_MARKER: &str = "XACCT_CRED_EXEC";

/// Removed from the command's environment before anything is set, by `exec` and
/// `exec --server` alike: whatever an SDK's default chain would use before the credentials we
/// give it, and what must not leak into it.
pub const SCRUBBED: &[&str] = &[
    // Keys of another identity: set again by `exec`; under `exec --server` the chain would take
    // them before the endpoint.
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    // The old name of AWS_SESSION_TOKEN, which botocore still reads.
    "AWS_SECURITY_TOKEN",
    "AWS_CREDENTIAL_EXPIRATION",
    // A named profile makes botocore drop environment keys, or runs the credential_process again.
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    // Web identity comes before the container endpoint in every SDK's chain.
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    // Another container endpoint (ECS's relative or full URI, and its token or token file):
    // the SDKs take it before ~/.aws. `exec --server` sets the full URI and token again.
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
    // Loop detection is for the processes a renewal starts, never for the command: it may run
    // xacct-cred for this same role (an AWS CLI profile), and that is not a loop.
    env::CHAIN,
    // Secrets meant for xacct-cred alone: the key file's passphrase and a one-time MFA code.
    env::FILE_PASSPHRASE,
    env::TOKEN_CODE,
    // The server's mark is for what its source helpers start, never for the command's own.
    env::SERVER_MARK,
];

/// Refuses to run inside another `exec` unless `--allow-nested`: a nested exec would silently
/// switch roles.
pub fn refuse_nested(env: &Environment, allow_nested: bool) -> Result<()> {
    match env.get(EXEC_MARKER) {
        Some(outer) if !allow_nested => Err(Error::config(format!(
            "already inside `xacct-cred exec` for {outer}; a nested exec would silently switch roles"
        ))
        .hint(
            "Run the command directly (its credentials are already provided), or pass --allow-nested if switching roles is intended.",
        )),
        _ => Ok(()),
    }
}

/// The command with its environment scrubbed, then `extra` set (the credentials or the
/// endpoint's variables, the marker, the region).
pub fn command(argv: &[String], extra: &[(&str, &str)]) -> std::process::Command {
    let mut cmd = std::process::Command::new(&argv[0]);
    cmd.args(&argv[1..]);
    for name in SCRUBBED {
        cmd.env_remove(name);
    }
    for (name, value) in extra {
        cmd.env(name, value);
    }
    cmd
}

/// Becomes the command (execvp on Unix, so signals and the exit status are the command's own);
/// elsewhere runs it and exits with its code. Returns only on failure.
#[cfg(unix)]
pub fn replace_process(mut cmd: std::process::Command, program: &str) -> Result<()> {
    use std::os::unix::process::CommandExt;
    let e = cmd.exec();
    Err(cannot_run(program, &e))
}

#[cfg(not(unix))]
pub fn replace_process(mut cmd: std::process::Command, program: &str) -> Result<()> {
    let status = cmd.status().map_err(|e| cannot_run(program, &e))?;
    std::process::exit(status.code().unwrap_or(1));
}

/// The shells' 127 / 126 for a command that is missing or cannot run.
pub fn cannot_run(program: &str, e: &std::io::Error) -> Error {
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

/// Starts the command. Call [`Forwarding::register`] first, so that no signal is lost between
/// the start and the forwarding.
pub fn spawn(cmd: std::process::Command, program: &str) -> Result<tokio::process::Child> {
    tokio::process::Command::from(cmd)
        .spawn()
        .map_err(|e| cannot_run(program, &e))
}

/// The exit code a shell would report: the command's, or 128+N when signal N killed it.
pub fn exit_code(status: ExitStatus) -> i32 {
    if let Some(code) = status.code() {
        return code;
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(sig) = status.signal() {
            return 128 + sig;
        }
    }
    1
}

#[cfg(unix)]
pub use unix::Forwarding;

#[cfg(unix)]
mod unix {
    use crate::diag::debug;
    use crate::error::{Error, Result};
    use rustix::process::{Pid, Signal};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicI32, Ordering};
    use tokio::signal::unix::{SignalKind, signal};

    /// The forwarded signals, registered before the command starts.
    pub struct Forwarding {
        streams: Vec<(tokio::signal::unix::Signal, Signal, bool)>,
        pid: Arc<AtomicI32>,
    }

    impl Forwarding {
        /// Must run inside the runtime.
        pub fn register() -> Result<Forwarding> {
            let kinds = [
                (SignalKind::interrupt(), Signal::INT, true),
                (SignalKind::terminate(), Signal::TERM, false),
                (SignalKind::hangup(), Signal::HUP, false),
                (SignalKind::quit(), Signal::QUIT, true),
            ];
            let mut streams = Vec::new();
            for (kind, sig, typed) in kinds {
                let stream = signal(kind).map_err(|e| {
                    Error::config(format!("could not handle signals for the command: {e}"))
                })?;
                streams.push((stream, sig, typed));
            }
            Ok(Forwarding {
                streams,
                pid: Arc::new(AtomicI32::new(0)),
            })
        }

        /// Forwards to `pid` from now until [`Stop::stop`].
        pub fn start(self, pid: u32) -> Stop {
            self.pid.store(pid as i32, Ordering::SeqCst);
            for (mut stream, sig, typed) in self.streams {
                let pid = self.pid.clone();
                tokio::spawn(async move {
                    while stream.recv().await.is_some() {
                        let Some(target) = Pid::from_raw(pid.load(Ordering::SeqCst)) else {
                            continue;
                        };
                        if typed && terminal_delivers_it() {
                            debug(|| {
                                format!(
                                    "{sig:?} came from the terminal, which sent it to the command too"
                                )
                            });
                            continue;
                        }
                        debug(|| format!("forwarding {sig:?} to the command"));
                        let _ = rustix::process::kill_process(target, sig);
                    }
                });
            }
            Stop(self.pid)
        }
    }

    /// Stops forwarding: the command has been waited for, and its pid may be reused.
    pub struct Stop(Arc<AtomicI32>);

    impl Stop {
        pub fn stop(self) {
            self.0.store(0, Ordering::SeqCst);
        }
    }

    /// Whether xacct-cred (and so the command, which shares its process group) is in the
    /// foreground of its terminal, where a typed Ctrl-C or Ctrl-\ reaches every process.
    fn terminal_delivers_it() -> bool {
        use std::io::IsTerminal;
        let ours = rustix::process::getpgrp();
        let foreground = if std::io::stdin().is_terminal() {
            rustix::termios::tcgetpgrp(std::io::stdin())
        } else if std::io::stderr().is_terminal() {
            rustix::termios::tcgetpgrp(std::io::stderr())
        } else if std::io::stdout().is_terminal() {
            rustix::termios::tcgetpgrp(std::io::stdout())
        } else {
            return false;
        };
        foreground.is_ok_and(|fg| fg == ours)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_loses_every_scrubbed_variable_and_gets_what_is_set() {
        let argv = ["true".to_string()];
        let cmd = command(&argv, &[("AWS_SESSION_TOKEN", "new"), (EXEC_MARKER, "p")]);
        let envs: std::collections::HashMap<_, _> = cmd
            .get_envs()
            .map(|(k, v)| (k.to_string_lossy().into_owned(), v.map(|v| v.to_owned())))
            .collect();
        for name in SCRUBBED.iter().filter(|n| **n != "AWS_SESSION_TOKEN") {
            assert_eq!(envs.get(*name), Some(&None), "{name} is removed");
        }
        assert_eq!(envs["AWS_SESSION_TOKEN"], Some("new".into()));
        assert_eq!(envs[EXEC_MARKER], Some("p".into()));
    }

    #[cfg(unix)]
    #[test]
    fn exit_codes_are_the_shells() {
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(exit_code(ExitStatus::from_raw(3 << 8)), 3);
        assert_eq!(exit_code(ExitStatus::from_raw(15)), 128 + 15);
        assert_eq!(exit_code(ExitStatus::from_raw(9)), 137);
    }
}
