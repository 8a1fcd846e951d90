//! The doctor (`xacct-cred doctor`, and `setup` after an edit): walks the chain one link at a
//! time (config, plan, source credential, clock, AssumeRole, cache) and prints a line per step
//! with ✔/✘ and, on ✘, the cause and the fix. A failed step skips the ones that depend on it.
//!
//! [`checks`] runs the steps (one real AssumeRole, not cached, and a GetCallerIdentity), each
//! bounded in time, with [`key_store`]'s for a source whose key is in the key store; [`report`]
//! holds and renders what they found, printing each step as it finishes. Prints no secret.

mod checks;
mod key_store;
mod report;

use crate::cli::DoctorArgs;
use crate::env::Environment;
use crate::error::{Error, Result};
use std::io::Write;

/// Runs every step, prints the report to stdout, fails when a step failed.
pub fn run(args: &DoctorArgs, env: &Environment) -> Result<()> {
    // Text streams each step as it finishes; JSON is one document at the end.
    let report = if args.json {
        report::Report::default()
    } else {
        report::Report::streaming()
    };
    let report = checks::diagnose(args, env, report);
    let text = if args.json {
        report::json(&report)
    } else {
        report::text(&report)
    };
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
    if report.ok() {
        return Ok(());
    }
    Err(
        Error::config(format!("doctor: {} failed", report.failed().join(", ")))
            .hint("Fix the first ✘ above and run the doctor again."),
    )
}
