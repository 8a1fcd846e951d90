//! Loop detection for chains of xacct-cred processes.
//!
//! A source profile whose `credential_process` runs xacct-cred for this same role would recurse
//! forever. Each xacct-cred that renews passes the cache keys it is resolving down to the
//! processes aws-config starts for it, in one variable; a process that finds its own key there,
//! or too deep a chain, refuses before it takes any lock.

use crate::env::{self, Environment};
use crate::error::{Error, Result};
use crate::plan::Plan;

/// How many xacct-cred processes may nest (a source profile whose credential_process is
/// xacct-cred for another role) before it must be a loop.
const MAX_NESTING: usize = 4;

/// Refuses a plan whose key an xacct-cred above this one is already resolving.
pub fn refuse_loop(plan: &Plan, key: &str, env: &Environment) -> Result<()> {
    let chain = env.get(env::CHAIN).unwrap_or("");
    let depth = chain.split(',').filter(|k| !k.is_empty()).count();
    let looped = chain.split(',').any(|k| k == key);
    if looped || depth >= MAX_NESTING {
        let role = &plan.role.role_arn.arn;
        let name = plan
            .profile
            .as_deref()
            .map(|p| format!("profile {p}"))
            .unwrap_or_else(|| role.clone());
        return Err(Error::config(format!(
            "{name} loops back into itself: its {} runs xacct-cred, which needs {name} again ({} nested xacct-cred calls)",
            plan.source.describe(),
            depth + 1
        ))
        .hint("The source profile must have its own credentials (keys, SSO, instance role), not a credential_process that runs xacct-cred for this role."));
    }
    Ok(())
}

/// The chain the processes started while resolving `key` must see.
pub fn chain_with(key: &str, env: &Environment) -> String {
    match env.get(env::CHAIN) {
        Some(c) => format!("{c},{key}"),
        None => key.to_string(),
    }
}
