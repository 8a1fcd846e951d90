//! Getting a new session: the MFA code, the source credential, AssumeRole.
//!
//! The only place the default command starts an async runtime or builds an SDK client, and it
//! is reached only when the cache cannot serve (see `session`). [`Renew`] is the seam that lets
//! the session logic be tested with a fake STS in-process.

use crate::credentials::SessionCredentials;
use crate::diag::debug;
use crate::env::{self, Environment};
use crate::error::{Error, Result};
use crate::plan::Plan;
use crate::{InheritedEnv, loop_guard, mfa, source, sts};

/// Obtains a new session for a plan (`key` is its cache key).
pub trait Renew {
    fn renew(&self, plan: &Plan, key: &str) -> Result<SessionCredentials>;
}

/// The real thing: source credential → MFA code → AssumeRole.
pub struct ViaSts<'a> {
    pub env: &'a Environment,
    pub inherited: &'a dyn InheritedEnv,
}

impl Renew for ViaSts<'_> {
    fn renew(&self, plan: &Plan, key: &str) -> Result<SessionCredentials> {
        let token_code = mfa::token_code(plan)?;
        // aws-config starts a source profile's credential_process itself, with this process's
        // environment: the chain must be there before the runtime (and its threads) start.
        self.inherited
            .set(env::CHAIN, &loop_guard::chain_with(key, self.env));
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::config(format!("could not start the I/O runtime: {e}")))?;
        runtime.block_on(async {
            let source = source::resolve(plan, self.env).await?;
            debug(|| {
                format!(
                    "source: {}; AssumeRole {} via {}",
                    source.description,
                    plan.role.role_arn.arn,
                    plan.sts_endpoint
                        .as_deref()
                        .unwrap_or("the regional endpoint")
                )
            });
            sts::assume_role(plan, &source, token_code)
                .await
                .map(|assumed| assumed.credentials)
        })
    }
}
