//! `xacct-cred doctor`: the checks and their report live in `crate::diagnosis`, which `setup`
//! runs too.

use crate::cli::DoctorArgs;
use crate::env::Environment;
use crate::error::Result;

pub fn run(args: &DoctorArgs, env: &Environment) -> Result<()> {
    crate::diagnosis::run(args, env)
}
