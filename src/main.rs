//! Parse → run → report. Nothing else lives here.

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = xacct_cred::cli::Cli::parse();
    match xacct_cred::run(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xacct-cred: {e}");
            ExitCode::from(e.exit_code() as u8)
        }
    }
}
