//! The served profiles' sessions: each profile has one worker thread that calls
//! `session::obtain` — the cache read, renewal and serve-stale rules `credential_process` uses
//! — and every request for the profile gets its answer from one such call.
//!
//! Why a thread per profile: `obtain` is synchronous (a file read on a hit; on a renewal an
//! STS exchange on its own little runtime, which must not nest inside the server's), so it runs
//! off the server's event loop, and a slow renewal of one profile stalls neither the other
//! profiles nor connections still being read. Why coalescing: 32 requests that arrive while a
//! renewal is under way must not queue 32 calls on the key's lock; they wait for the call in
//! flight if it started after they arrived, else for the next one, which then answers all of
//! them. So concurrent load makes at most two `obtain` calls at a time per profile, and every
//! answer comes from a call that began after its request arrived (never a stale memory copy:
//! the cache file stays the one source of truth, shared with every other xacct-cred).
//!
//! One shortcut, to keep the cache hit off the disk and off the worker under load: a session
//! read less than [`REREAD_AFTER`] ago that is still fresh (more than the refresh window left,
//! so `obtain` would only read the same file again) is answered from memory. A renewal, a
//! session inside the window, or one rewritten by another xacct-cred (`--refresh`, a background
//! renewal) is thus seen within that second, exactly as `credential_process` would see it.
//!
//! Nothing here writes the process environment (see [`NoEnvWrites`]).

use crate::InheritedEnv;
use crate::cache::CacheSettings;
use crate::credentials::SessionCredentials;
use crate::env::Environment;
use crate::error::{Error, Result};
use crate::plan::Plan;
use crate::renew::ViaSts;
use crate::session::{self, SystemClock};
use std::sync::mpsc;
use std::time::{Duration, Instant};
use tokio::sync::{Mutex, oneshot};

type Reply = oneshot::Sender<Result<SessionCredentials>>;

/// How long a fresh session read from the cache answers requests from memory.
pub const REREAD_AFTER: Duration = Duration::from_secs(1);

/// One served profile.
pub struct ServedProfile {
    pub name: String,
    /// The URL path it is served on.
    pub path: String,
    pub role_arn: String,
    jobs: mpsc::Sender<Reply>,
    last: Mutex<Option<Outcome>>,
    /// The last session `obtain` returned and when its call started.
    recent: std::sync::Mutex<Option<(Instant, SessionCredentials)>>,
    window: Duration,
}

struct Outcome {
    started: Instant,
    result: Result<SessionCredentials>,
}

impl ServedProfile {
    /// Starts the profile's worker thread.
    pub fn start(
        name: String,
        path: String,
        plan: Plan,
        settings: CacheSettings,
        env: Environment,
    ) -> Result<ServedProfile> {
        let role_arn = plan.role.role_arn.arn.clone();
        let window =
            crate::cache::effective_window(settings.store.refresh_window, plan.role.duration());
        let (jobs, queue) = mpsc::channel::<Reply>();
        std::thread::Builder::new()
            .name(format!("session {name}"))
            .spawn(move || {
                let renewer = ViaSts {
                    env: &env,
                    inherited: &NoEnvWrites,
                    store: &settings.store,
                };
                for reply in queue {
                    let _ = reply.send(session::obtain(
                        &plan,
                        &settings,
                        &env,
                        &SystemClock,
                        &renewer,
                    ));
                }
            })
            .map_err(|e| Error::config(format!("could not start a thread for {name}: {e}")))?;
        Ok(ServedProfile {
            name,
            path,
            role_arn,
            jobs,
            last: Mutex::new(None),
            recent: std::sync::Mutex::new(None),
            window,
        })
    }

    /// The profile's session, from an `obtain` call that started after this was called.
    pub async fn credentials(&self) -> Result<SessionCredentials> {
        let arrived = Instant::now();
        if let Some(creds) = self.recent_fresh(arrived) {
            return Ok(creds);
        }
        let mut last = self.last.lock().await;
        if let Some(outcome) = last.as_ref()
            && outcome.started >= arrived
        {
            return outcome.result.clone();
        }
        let started = Instant::now();
        let (reply, answer) = oneshot::channel();
        let result = match self.jobs.send(reply) {
            Ok(()) => answer
                .await
                .unwrap_or_else(|_| Err(worker_gone(&self.name))),
            Err(_) => Err(worker_gone(&self.name)),
        };
        *last = Some(Outcome {
            started,
            result: result.clone(),
        });
        if let Ok(recent) = self.recent.lock().as_mut() {
            **recent = result.as_ref().ok().map(|c| (started, c.clone()));
        }
        result
    }

    /// The session read less than [`REREAD_AFTER`] ago, if it has more than the window left.
    fn recent_fresh(&self, now: Instant) -> Option<SessionCredentials> {
        let recent = self.recent.lock().ok()?;
        let (read_at, creds) = recent.as_ref()?;
        let left = creds.expiration - time::OffsetDateTime::now_utc();
        (now.duration_since(*read_at) < REREAD_AFTER && left > self.window).then(|| creds.clone())
    }
}

fn worker_gone(name: &str) -> Error {
    Error::config(format!("the session worker for {name} stopped"))
        .hint("Restart xacct-cred; this is a bug worth reporting.")
}

/// The server's renewals write nothing to the process environment.
///
/// `ViaSts` puts the loop-detection chain into the environment before each renewal, for the
/// source `credential_process` aws-config may start; that is sound only before any other
/// thread exists (see main.rs). The server has threads, so the chain is written once, before
/// any of them start (`cmd::serve`), and renewals here skip the write.
pub struct NoEnvWrites;

impl InheritedEnv for NoEnvWrites {
    fn set(&self, _: &str, _: &str) {}
}
