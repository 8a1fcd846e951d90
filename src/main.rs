//! Parse → run → report. And the one write to the process environment, which only the binary
//! can make soundly.

use clap::Parser;
use std::process::ExitCode;

/// The process environment, written only where xacct-cred knows no other thread reads it.
struct ProcessEnv;

impl xacct_cred::InheritedEnv for ProcessEnv {
    fn set(&self, name: &str, value: &str) {
        // SAFETY: xacct-cred calls this only on its renewal path, before it starts the async
        // runtime (and so before any thread of its own that could read the environment); the
        // only other thread that can exist then is a finished lock waiter, which reads no
        // environment. Nothing else in this program starts threads.
        unsafe { std::env::set_var(name, value) };
    }
}

fn main() -> ExitCode {
    let cli = xacct_cred::cli::Cli::parse();
    match xacct_cred::run(&cli, &ProcessEnv) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xacct-cred: {e}");
            ExitCode::from(e.exit_code() as u8)
        }
    }
}
