//! `--debug`: a trace of each step on stderr. Shows key ids by their last four characters and
//! never a secret; off by default so a credential_process stays silent.

use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

static ON: AtomicBool = AtomicBool::new(false);

pub fn enable() {
    ON.store(true, Ordering::Relaxed);
}

/// Prints the line built by `line` when debugging is on (the closure costs nothing otherwise).
pub fn debug(line: impl FnOnce() -> String) {
    if ON.load(Ordering::Relaxed) {
        say(&format!("debug: {}", line()));
    }
}

/// [`debug`], at most once a second per `last` (a line a client can make the server print:
/// a flood of them must not fill stderr). `last` holds the second it was last printed.
pub fn debug_at_most_each_second(last: &AtomicU64, line: impl FnOnce() -> String) {
    if !ON.load(Ordering::Relaxed) {
        return;
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    if last.swap(now, Ordering::Relaxed) != now {
        debug(line);
    }
}

/// `xacct-cred: TEXT` on stderr, ignoring a stderr that is gone (closed pipe, full disk): a
/// server must not stop, and nothing may panic, because nobody reads its messages.
pub fn say(text: &str) {
    let _ = writeln!(std::io::stderr().lock(), "xacct-cred: {text}");
}

/// [`say`] with `format!` arguments: every message a command prints beside its result, so that
/// none can panic on a stderr that is gone (a `| head` that ended, say) and leave a change
/// half made.
#[macro_export]
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::diag::say(&format!($($arg)*))
    };
}

/// An empty line on stderr, ignoring a stderr that is gone, as [`say`].
pub fn blank() {
    let _ = writeln!(std::io::stderr().lock());
}
