//! The default command: print the role's session credentials, from the cache when it can.
//!
//! The hot path, top to bottom: config files, plan, cache settings, `session::obtain` (key, one
//! file read, expiry check), print. Renewal and everything slow live behind `session`.

use crate::cli::Cli;
use crate::env::Environment;
use crate::error::Result;
use crate::plan::Plan;
use crate::renew::ViaSts;
use crate::session::{self, SystemClock};
use crate::{InheritedEnv, output};

pub fn run(cli: &Cli, env: &Environment, inherited: &dyn InheritedEnv) -> Result<()> {
    let config = cli.role.load_config(env)?;
    let plan = Plan::build(&config, &cli.role, env)?;
    let renewer = ViaSts {
        env,
        inherited,
        store: &cli.cache.store,
    };
    let creds = session::obtain(&plan, &cli.cache, env, &SystemClock, &renewer)?;
    output::print(&creds, cli.output.format())
}
