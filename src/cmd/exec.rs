//! `xacct-cred exec -- CMD…`: runs a command with the role's credentials in its environment.
//!
//! On Unix the process becomes the command (execvp), so signals reach it directly and its exit
//! status is ours. `exec --server` is `serve`'s (dispatched in `lib.rs`); what both share is in
//! `crate::child`. Nothing of loop detection reaches the command.

use crate::InheritedEnv;
use crate::child::{self, EXEC_MARKER};
use crate::cli::ExecArgs;
use crate::credentials::format_expiration;
use crate::env::Environment;
use crate::error::Result;
use crate::plan::Plan;
use crate::session::{self, Caller};

pub fn run(args: &ExecArgs, env: &Environment, inherited: &dyn InheritedEnv) -> Result<()> {
    child::refuse_nested(env, args.allow_nested)?;
    let plan = Plan::build(&args.role.load_config(env)?, &args.role, env)?;
    let creds = session::obtain_from_sts(&plan, &args.cache, Caller::Once, env, inherited)?;
    let expiration = format_expiration(creds.expiration);
    let marker = plan
        .profile
        .clone()
        .unwrap_or_else(|| plan.role.role_arn.arn.clone());
    let mut vars = vec![
        ("AWS_ACCESS_KEY_ID", creds.access_key_id.as_str()),
        ("AWS_SECRET_ACCESS_KEY", creds.secret_access_key.expose()),
        ("AWS_SESSION_TOKEN", creds.session_token.expose()),
        ("AWS_CREDENTIAL_EXPIRATION", expiration.as_str()),
        (EXEC_MARKER, marker.as_str()),
    ];
    if plan.region_configured {
        vars.extend([
            ("AWS_REGION", plan.region.as_str()),
            ("AWS_DEFAULT_REGION", plan.region.as_str()),
        ]);
    }
    let program = &args.command[0];
    child::replace_process(child::command(&args.command, &vars), program)
}
