//! Getting a new session: the MFA code, the source credential, AssumeRole.
//!
//! The only place the default command starts an async runtime or builds an SDK client, and it
//! is reached only when the cache cannot serve (see `session`). [`Renew`] is the seam that lets
//! the session logic be tested with a fake STS in-process; it also starts the detached renewal
//! (`background`) that renews a session inside the window while the caller serves it.

use crate::aws::{mfa, source_credential, stored_key, sts};
use crate::cache::{KeyLock, StoreSettings};
use crate::credentials::SessionCredentials;
use crate::diag::debug;
use crate::env::{self, Environment};
use crate::error::{Error, Result};
use crate::plan::{Plan, SourceSpec};
use crate::{InheritedEnv, loop_guard};

/// Obtains a new session for a plan (`key` is its cache key).
pub trait Renew {
    fn renew(&self, plan: &Plan, key: &str) -> Result<SessionCredentials>;

    /// Starts a detached process that renews `key`'s entry, handing it the key's `lock`, and
    /// returns without waiting for the renewal.
    fn start_background(&self, plan: &Plan, key: &str, lock: &KeyLock) -> Result<()>;
}

/// The real thing: source credential → MFA code → AssumeRole.
pub struct ViaSts<'a> {
    pub env: &'a Environment,
    pub inherited: &'a dyn InheritedEnv,
    /// The cache settings a detached renewal is given.
    pub store: &'a StoreSettings,
}

impl Renew for ViaSts<'_> {
    fn renew(&self, plan: &Plan, key: &str) -> Result<SessionCredentials> {
        // aws-config starts a source profile's credential_process itself, with this process's
        // environment: the chain must be there before the runtime (and its threads) start.
        self.inherited
            .set(env::CHAIN, &loop_guard::chain_with(key, self.env));
        assume(plan, self.env, GivenUp::Leave)
    }

    fn start_background(&self, plan: &Plan, key: &str, lock: &KeyLock) -> Result<()> {
        let chain = loop_guard::chain_with(key, self.env);
        crate::background::start(plan, self.store, key, &chain, lock)
    }
}

/// In the detached renewal, whose environment already holds the chain (it was started with
/// it): renews without writing any environment, and starts nothing further.
pub struct Detached<'a> {
    pub env: &'a Environment,
}

impl Renew for Detached<'_> {
    fn renew(&self, plan: &Plan, _: &str) -> Result<SessionCredentials> {
        assume(plan, self.env, GivenUp::End)
    }

    fn start_background(&self, _: &Plan, _: &str, _: &KeyLock) -> Result<()> {
        Ok(())
    }
}

/// How long the source credential may take: longer than IMDS's and the ECS endpoint's own
/// bounds (~4 s), short enough that a caller returns well before the SDKs give up on it.
pub const SOURCE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(15);

pub fn source_timed_out(plan: &Plan) -> Error {
    Error::new(
        crate::error::Kind::SourceUnavailable,
        format!(
            "the source credential ({}) did not come within {} s",
            plan.source.describe(),
            SOURCE_TIMEOUT.as_secs()
        ),
    )
    .hint("Check the source profile on its own (aws sts get-caller-identity --profile SOURCE): a credential_process that waits for input, or an STS that does not answer, would hang every call.")
}

/// What becomes of a source helper given up on (see `leftovers` for who may end one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GivenUp {
    /// A foreground call: someone may be waiting on it (a browser login), so it runs on.
    Leave,
    /// The detached renewal and the servers: nobody is, and each renewal would start another.
    End,
}

pub fn assume(plan: &Plan, env: &Environment, given_up: GivenUp) -> Result<SessionCredentials> {
    // A key-store source opens its store once, here; its MFA code, if any, is asked for only
    // when its MFA session has ended. Any other source with mfa_serial sends a code each time.
    let stored = match &plan.source {
        SourceSpec::Stored { name, .. } => Some((name, stored_key::open(name, env)?)),
        _ => None,
    };
    let token_code = match stored {
        Some(_) => None,
        None => mfa::token_code(plan)?,
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::config(format!("could not start the I/O runtime: {e}")))?;
    runtime.block_on(async {
        let source = match &stored {
            Some((name, (store, key))) if plan.role.mfa_serial.is_some() => {
                stored_key::mfa_source(plan, name, store, key).await?
            }
            Some((name, (store, key))) => stored_key::credential(name, store, key),
            None => resolve_bounded(plan, env, given_up).await?,
        };
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

/// The source credential, within [`SOURCE_TIMEOUT`].
async fn resolve_bounded(
    plan: &Plan,
    env: &Environment,
    given_up: GivenUp,
) -> Result<crate::aws::caller::SourceCredential> {
    // aws-config bounds none of a profile source's own steps (a credential_process, a
    // chained role's STS call): bound them here, so that a hung source is a passing
    // failure (a still-valid session is served) rather than a caller that never returns.
    // What aws-config starts for the source from here on, and would leave running once given up.
    let watch = crate::leftovers::Watch::start();
    let source = tokio::time::timeout(SOURCE_TIMEOUT, source_credential::resolve(plan, env))
        .await
        .map_err(|_| {
            if given_up == GivenUp::End {
                watch.end_started();
            }
            source_timed_out(plan)
        })?;
    drop(watch);
    source
}
