//! `exec --server`'s command, run as xacct-cred's child: its environment (the endpoint's two
//! variables, none of the credentials or profile variables an SDK would prefer), the signals
//! forwarded to it, and its exit status as xacct-cred's.
//!
//! Forwarding rule: SIGTERM and SIGHUP are always forwarded. SIGINT and SIGQUIT typed at a
//! terminal reach the terminal's whole foreground process group — the command is in it already
//! — so while xacct-cred is in that group they are not sent a second time (a second Ctrl-C
//! means "force quit" to terraform and others); otherwise (`kill -INT`, a supervisor, no
//! terminal) they are forwarded too. Nothing here prints a secret or writes our own environment.

use crate::cmd::exec::cannot_run;
use crate::error::Result;
use std::process::ExitStatus;

/// Variables an SDK would use before the endpoint (its default chain reads the environment's
/// keys, a named profile, web identity and the relative URI first), and the loop-detection
/// chain, which must not reach the command (a credential_process inside it is a new chain).
const REMOVED: &[&str] = &[
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_CREDENTIAL_EXPIRATION",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
    crate::env::CHAIN,
];

/// The command with its environment set; `extra` are the endpoint's variables and the like.
pub fn command(argv: &[String], extra: &[(&str, &str)]) -> tokio::process::Command {
    let mut cmd = std::process::Command::new(&argv[0]);
    cmd.args(&argv[1..]);
    for name in REMOVED {
        cmd.env_remove(name);
    }
    for (name, value) in extra {
        cmd.env(name, value);
    }
    tokio::process::Command::from(cmd)
}

/// Starts the command. Call [`Forwarding::register`] first, so that no signal is lost between
/// the start and the forwarding.
pub fn spawn(mut cmd: tokio::process::Command, program: &str) -> Result<tokio::process::Child> {
    cmd.spawn().map_err(|e| cannot_run(program, &e))
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

        /// Forwards to `pid` from now until [`Forwarding::stop`].
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

    #[cfg(unix)]
    #[test]
    fn exit_codes_are_the_shells() {
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(exit_code(ExitStatus::from_raw(3 << 8)), 3);
        assert_eq!(exit_code(ExitStatus::from_raw(15)), 128 + 15);
        assert_eq!(exit_code(ExitStatus::from_raw(9)), 137);
    }
}
