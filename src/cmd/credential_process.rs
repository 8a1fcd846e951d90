//! The default command: print the role's session credentials, from the cache when it can.
//!
//! The hot path, top to bottom: config files, plan, cache settings, `session::obtain` (key, one
//! file read, expiry check), print. Renewal and everything slow live behind `session`.

use crate::cli::Cli;
use crate::env::Environment;
use crate::error::Result;
use crate::output::Format;
use crate::plan::Plan;
use crate::session::{self, Caller};
use crate::{InheritedEnv, output};

pub fn run(cli: &Cli, env: &Environment, inherited: &dyn InheritedEnv) -> Result<()> {
    let config = cli.role.load_config(env)?;
    let plan = Plan::build(&config, &cli.role, env)?;
    let format = cli.output.format();
    // A shell that evals `--export` keeps what it gets; a credential_process caller comes back.
    let caller = match format {
        Format::Json => Caller::ComesBack,
        _ => Caller::Once,
    };
    let creds = session::obtain_from_sts(&plan, &cli.cache, caller, env, inherited)?;
    output::print(&creds, format)
}
