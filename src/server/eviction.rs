//! Which connection gives up its slot when all are taken: the one silent longest, except one
//! just accepted (it has had no time to speak), else the oldest partial head. Knows nothing of
//! HTTP; [`super::connection`] enters and leaves connections as their state changes.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};
use tokio::sync::Notify;

/// A connection silent for less than this is passed over while an older one can go: under a
/// flood of partial heads, a client just accepted must get the moment to send its request.
const GRACE: Duration = Duration::from_millis(50);

struct Waiting {
    id: u64,
    /// Part of a head has come on it.
    partial: bool,
    since: Instant,
    close: Arc<Notify>,
}

/// The connections that can be evicted, oldest first, each with the signal that closes it.
#[derive(Default)]
pub(super) struct Evictable {
    list: Mutex<VecDeque<Waiting>>,
    next: AtomicU64,
}

impl Evictable {
    /// (Nothing panics while holding it; were it poisoned, the list is still right.)
    fn lock(&self) -> MutexGuard<'_, VecDeque<Waiting>> {
        self.list.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A new connection: silent from the start.
    pub fn enter_new(&self) -> (u64, Arc<Notify>) {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let close = Arc::new(Notify::new());
        self.enter(id, &close, false);
        (id, close)
    }

    /// `id` is silent now, or (`partial`) has begun a head: the newest of the list.
    pub fn enter(&self, id: u64, close: &Arc<Notify>, partial: bool) {
        let mut list = self.lock();
        list.retain(|w| w.id != id);
        list.push_back(Waiting {
            id,
            partial,
            since: Instant::now(),
            close: close.clone(),
        });
    }

    pub fn leave(&self, id: u64) {
        self.lock().retain(|w| w.id != id);
    }

    /// Signals the connection silent longest (past its grace), else the oldest partial head,
    /// else the oldest of all.
    pub fn evict_oldest(&self) {
        let mut list = self.lock();
        let now = Instant::now();
        let at = list
            .iter()
            .position(|w| !w.partial && now.duration_since(w.since) >= GRACE)
            .or_else(|| list.iter().position(|w| w.partial));
        if let Some(w) = list.remove(at.unwrap_or(0)) {
            w.close.notify_one();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_connection_just_accepted_goes_after_the_partial_heads() {
        let e = Evictable::default();
        let (_, old_silent) = e.enter_new();
        let partial = Arc::new(Notify::new());
        e.enter(100, &partial, true);
        std::thread::sleep(GRACE);
        let (_, fresh) = e.enter_new();
        // Silent past its grace: first.
        e.evict_oldest();
        assert_eq!(e.lock().len(), 2);
        assert!(e.lock().iter().all(|w| !Arc::ptr_eq(&w.close, &old_silent)));
        // Then the partial head, not the connection just accepted.
        e.evict_oldest();
        let left: Vec<bool> = e
            .lock()
            .iter()
            .map(|w| Arc::ptr_eq(&w.close, &fresh))
            .collect();
        assert_eq!(left, [true]);
        e.evict_oldest();
        assert!(e.lock().is_empty());
    }
}
