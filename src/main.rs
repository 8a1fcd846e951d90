//! Parse → run → report. And the one write to the process environment, which only the binary
//! can make soundly.

use std::io::Write;
use std::process::ExitCode;

/// The process environment, written only where xacct-cred knows no other thread reads it.
struct ProcessEnv;

impl xacct_cred::InheritedEnv for ProcessEnv {
    fn set(&self, name: &str, value: &str) {
        // SAFETY: xacct-cred calls this only on its renewal path, before it starts the async
        // runtime (and so before any thread of its own that could read the environment); the
        // only other thread that can exist then is a finished lock waiter, which reads no
        // environment. Nothing else in this program starts threads (but the detached renewal's
        // watchdog, in a process that never calls this: it renews with the chain it was
        // started with).
        unsafe { std::env::set_var(name, value) };
    }
}

/// In a step of the detached renewal: every descriptor but stdin, stdout and stderr (which
/// are /dev/null) and `keep` (the key's lock, handed on) that this process inherited without
/// close-on-exec — a caller's pipe, a make jobserver — is marked close-on-exec, so that what it
/// starts holds none of them and no caller waits for it to let go. Returns the descriptors
/// (but 0, 1 and 2) that are open.
#[cfg(unix)]
fn close_inherited_descriptors(keep: Option<i32>) -> Vec<i32> {
    let dir = if cfg!(target_os = "linux") {
        "/proc/self/fd"
    } else {
        "/dev/fd"
    };
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let listed: Vec<i32> = entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .filter(|&fd| fd > 2)
        .collect();
    // The listing includes the descriptor that read it, closed by now (and its number may be
    // the one a caller named): only what is still open counts.
    // SAFETY: fcntl on a descriptor number reads or sets its flags and touches no memory; on a
    // number that is not open it fails with EBADF.
    let open: Vec<i32> = listed
        .into_iter()
        .filter(|&fd| unsafe { libc::fcntl(fd, libc::F_GETFD) } != -1)
        .collect();
    for &fd in open.iter().filter(|&&fd| Some(fd) != keep) {
        // SAFETY: as above.
        unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) };
    }
    open
}

fn main() -> ExitCode {
    #[allow(unused_mut)]
    let mut cli = xacct_cred::cli::Cli::parse_args();
    #[cfg(unix)]
    if let Some(keep) = cli.background_renewal_keeps() {
        let open = close_inherited_descriptors(keep);
        if let Some(fd) = cli.handed_lock_fd().filter(|fd| open.contains(fd)) {
            use std::os::fd::FromRawFd;
            // SAFETY: `fd` is open in this process (checked a moment ago, and nothing here has
            // opened or closed a descriptor since) and owned by nothing else in it: `detach` handed it on
            // as the key's lock and this process has not used it. The renewal checks that it
            // is the lock file of the key it renews before relying on it.
            cli.hand_lock(unsafe { std::fs::File::from_raw_fd(fd) });
        }
    }
    match xacct_cred::run(&cli, &ProcessEnv) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // Not eprintln!: a stderr that is gone must not turn the error into a panic.
            let _ = writeln!(std::io::stderr().lock(), "xacct-cred: {e}");
            ExitCode::from(e.exit_code() as u8)
        }
    }
}
