//! `--debug`: a trace of each step on stderr. Shows key ids by their last four characters and
//! never a secret; off by default so a credential_process stays silent.

use std::sync::atomic::{AtomicBool, Ordering};

static ON: AtomicBool = AtomicBool::new(false);

pub fn enable() {
    ON.store(true, Ordering::Relaxed);
}

/// Prints the line built by `line` when debugging is on (the closure costs nothing otherwise).
pub fn debug(line: impl FnOnce() -> String) {
    if ON.load(Ordering::Relaxed) {
        eprintln!("xacct-cred: debug: {}", line());
    }
}
