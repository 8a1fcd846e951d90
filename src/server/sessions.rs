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
//! Renewals happen in this process ([`InServer`]), never through a detached renewal: a server
//! keeps the plans it started with (a config edited under it changes nothing until it restarts,
//! and no renewal is started that would rebuild another key and give up), needs no executable
//! on disk (a package upgrade may have replaced it), and ends every source helper it gives up
//! on (`leftovers`), so none piles up or outlives it. Nothing here writes the process
//! environment.

use crate::cache::{
    Attempt, CacheDir, CacheEntry, CacheSettings, Failure, KeyLock, State, StoreSettings,
};
use crate::credentials::SessionCredentials;
use crate::env::Environment;
use crate::error::{Error, Result};
use crate::plan::Plan;
use crate::renew::{GivenUp, Renew, assume};
use crate::session::{self, Caller, SystemClock};
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
                let renewer = InServer {
                    env: env.clone(),
                    store: settings.store.clone(),
                };
                for reply in queue {
                    let _ = reply.send(session::obtain(
                        &plan,
                        &settings,
                        Caller::ComesBack,
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

/// The server's renewer: in the call on the profile's worker; inside the window on a thread of
/// its own that holds the key's lock while requests are served the current session.
pub struct InServer {
    pub env: Environment,
    pub store: StoreSettings,
}

impl Renew for InServer {
    fn renew(&self, plan: &Plan, _: &str) -> Result<SessionCredentials> {
        assume(plan, &self.env, GivenUp::End)
    }

    fn start_background(&self, plan: &Plan, key: &str, lock: &KeyLock) -> Result<()> {
        let lock = lock
            .share()
            .ok_or_else(|| Error::cache("could not hold the key's lock for the renewal"))?;
        let (plan, key, env, store) = (
            plan.clone(),
            key.to_string(),
            self.env.clone(),
            self.store.clone(),
        );
        std::thread::Builder::new()
            .name("renewal".into())
            .spawn(move || {
                let _lock = lock;
                renew_held(&plan, &key, &env, &store);
            })
            .map(|_| ())
            .map_err(|e| Error::cache(format!("could not start a renewal thread: {e}")))
    }
}

/// With the key's lock held: unless the entry was renewed meanwhile, is gone, or is now due to
/// be renewed in the call, renew it, write it over what was read, or record the failure.
fn renew_held(plan: &Plan, key: &str, env: &Environment, store: &StoreSettings) {
    let Ok(dir) = store.locate().and_then(CacheDir::open) else {
        return;
    };
    let (window, margin) = store.window_and_margin(plan.role.duration());
    let read = dir.entry_file(key);
    let Ok(Some(entry)) = dir.read(key) else {
        return;
    };
    let now = time::OffsetDateTime::now_utc();
    if !entry.is_for(plan) || entry.state(now, window, margin) != State::RenewingInBackground {
        return;
    }
    dir.remove_stale_temp_files(key);
    match assume(plan, env, GivenUp::End) {
        Ok(creds) => {
            let entry = CacheEntry::new(plan, creds, time::OffsetDateTime::now_utc());
            dir.clear_failed_renewal(key);
            let _ = dir.write_over(key, &entry, read);
        }
        Err(e) => {
            let failure = Failure::new(&e, Attempt::Background, time::OffsetDateTime::now_utc());
            dir.note_failed_renewal(key, &failure);
        }
    }
}
