//! The default command: print the role's session credentials, from the cache when it can.
//!
//! The hot path, top to bottom: config files, plan, cache settings, `session::obtain` (key, one
//! file read, expiry check), print. Renewal and everything slow live behind `session`.

use crate::cli::Cli;
use crate::config::SharedConfig;
use crate::env::Environment;
use crate::error::Result;
use crate::plan::Plan;
use crate::renew::ViaSts;
use crate::session::{self, SystemClock};
use crate::{InheritedEnv, cache::CacheSettings, output};

pub fn run(cli: &Cli, env: &Environment, inherited: &dyn InheritedEnv) -> Result<()> {
    let config = SharedConfig::load(env, &cli.role)?;
    let plan = Plan::build(&config, &cli.role, env)?;
    let settings = CacheSettings::from_args(&cli.cache);
    let renewer = ViaSts { env, inherited };
    let creds = session::obtain(&plan, &settings, env, &SystemClock, &renewer)?;
    output::print(&creds, cli.output.format())
}
