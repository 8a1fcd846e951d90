//! The per-key lock that makes renewal single flight across processes.
//!
//! An exclusive `flock(2)` on `KEY.lock`, which the OS releases when its holder exits or dies.
//! Lock files are never deleted: deleting one under a holder would let a second writer lock a
//! new inode and break single flight.

use super::dir::CacheDir;
use super::platform;
use crate::error::{Error, Result};
use std::fs::File;
use std::path::Path;
use std::time::Duration;

/// Held while renewing one key; dropping the last handle on it unlocks and closes the file.
pub struct KeyLock {
    file: std::sync::Arc<LockFile>,
    /// Whether another process held it first (it may have renewed the entry meanwhile).
    pub waited: bool,
}

/// The lock file, shared by every handle of one [`KeyLock`].
struct LockFile {
    file: File,
    /// Handed to a detached renewal ([`KeyLock::pass_on`]): dropping only closes this copy.
    passed_on: std::sync::atomic::AtomicBool,
}

impl Drop for LockFile {
    /// Unlocks explicitly: closing alone releases a `flock` only when the last descriptor of the
    /// open file closes, and a process another thread is starting holds a copy of every
    /// descriptor until it execs, so the lock would outlive its holder by that moment.
    fn drop(&mut self) {
        if !self.passed_on.load(std::sync::atomic::Ordering::SeqCst) {
            let _ = fs4::FileExt::unlock(&self.file);
        }
    }
}

impl KeyLock {
    fn new(file: File, waited: bool) -> KeyLock {
        KeyLock {
            file: std::sync::Arc::new(LockFile {
                file,
                passed_on: std::sync::atomic::AtomicBool::new(false),
            }),
            waited,
        }
    }
}

impl KeyLock {
    /// Another handle on the same lock: it stays held until every handle is dropped (a thread
    /// renewing in this process holds it past its caller).
    pub fn share(&self) -> Option<KeyLock> {
        Some(KeyLock {
            file: self.file.clone(),
            waited: self.waited,
        })
    }

    /// Runs `spawn` with the lock's descriptor inheritable, so that the process it starts holds
    /// the lock too (a `flock` belongs to the open file, shared by every descriptor of it) and
    /// it passes on without a moment in which another process could take it. The descriptor is
    /// close-on-exec again before this returns, whatever `spawn` did.
    #[cfg(unix)]
    pub fn pass_on<T>(&self, spawn: impl FnOnce(i32) -> T) -> T {
        use rustix::io::{FdFlags, fcntl_setfd};
        use std::os::fd::AsRawFd;
        let lock = &self.file;
        let _ = fcntl_setfd(&lock.file, FdFlags::empty());
        lock.passed_on
            .store(true, std::sync::atomic::Ordering::SeqCst);
        let result = spawn(lock.file.as_raw_fd());
        let _ = fcntl_setfd(&lock.file, FdFlags::CLOEXEC);
        result
    }
}

impl CacheDir {
    /// Takes the per-key lock if no other process holds it; `Ok(None)` if one does.
    pub fn try_lock(&self, key: &str) -> Result<Option<KeyLock>> {
        let path = self.lock_path(key);
        let file = open(&path)?;
        match fs4::FileExt::try_lock(&file) {
            Ok(()) => Ok(Some(KeyLock::new(file, false))),
            Err(fs4::TryLockError::WouldBlock) => Ok(None),
            Err(fs4::TryLockError::Error(e)) => Err(lock_failed(&path, &e.to_string())),
        }
    }

    /// The lock a caller handed on to the detached renewal (an open file of `key`'s lock file),
    /// made this process's own: `None` unless `file` is that lock file (same device and inode)
    /// and locking it again succeeds. Where the lock belongs to the open file (`flock` on local
    /// file systems) it is already held and relocking changes nothing; where a file system
    /// emulates `flock` otherwise (NFS, FUSE) and the lock did not pass with the descriptor,
    /// this takes it anew — or finds that another process holds it, renewing, so this one must not.
    #[cfg(unix)]
    pub fn adopt_lock(&self, key: &str, file: File) -> Option<KeyLock> {
        use std::os::unix::fs::MetadataExt;
        let handed = file.metadata().ok()?;
        let on_disk = std::fs::symlink_metadata(self.lock_path(key)).ok()?;
        if (handed.dev(), handed.ino()) != (on_disk.dev(), on_disk.ino()) {
            return None;
        }
        fs4::FileExt::try_lock(&file).ok()?;
        Some(KeyLock::new(file, false))
    }

    /// Takes the exclusive per-key lock, waiting at most `timeout` for another process.
    pub fn lock(&self, key: &str, timeout: Duration) -> Result<KeyLock> {
        if let Some(lock) = self.try_lock(key)? {
            return Ok(lock);
        }
        let path = self.lock_path(key);
        let file = open(&path)?;
        // Block in a helper thread so that the wait is bounded yet wakes the moment the holder
        // lets go (polling would add up to a poll interval to each of fifty waiters).
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let locked = fs4::FileExt::lock(&file).map(|()| file);
            let _ = tx.send(locked);
        });
        match rx.recv_timeout(timeout) {
            Ok(Ok(file)) => Ok(KeyLock::new(file, true)),
            Ok(Err(e)) => Err(lock_failed(&path, &e.to_string())),
            Err(_) => Err(Error::cache(format!(
                "gave up after {} s waiting for another xacct-cred that is refreshing this session (lock {})",
                timeout.as_secs(),
                path.display()
            ))
            .hint(format!(
                "That process may be waiting for an MFA code or an STS that does not answer. The lock is released when it exits; raise {} to wait longer.",
                crate::env::LOCK_TIMEOUT
            ))),
        }
    }
}

fn open(path: &Path) -> Result<File> {
    platform::open_lock(path).map_err(|e| {
        Error::cache_io(
            &e,
            format!("could not open the lock file {}: {e}", path.display()),
        )
        .hint("Check the cache directory's permissions, or pass --no-cache.")
    })
}

fn lock_failed(path: &Path, why: &str) -> Error {
    Error::cache(format!("could not lock {}: {why}", path.display()))
        .hint("The cache directory must be on a local file system that supports flock; otherwise pass --no-cache.")
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};

    /// `session::tests::with_background_renewal_off_or_mfa_the_window_renews_in_the_call` failed
    /// under load: a process another test thread was starting still held a copy of the released
    /// lock's descriptor, so the next call found the lock held and served the cached session.
    #[test]
    fn a_dropped_lock_is_free_at_once_while_another_thread_starts_processes() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = CacheDir::open(tmp.path().join("c")).unwrap();
        let stop = std::sync::Arc::new(AtomicBool::new(false));
        let spawner = std::thread::spawn({
            let stop = stop.clone();
            move || {
                while !stop.load(Ordering::Relaxed) {
                    let _ = std::process::Command::new("true").status();
                }
            }
        });
        let held = (0..3000)
            .filter(|_| {
                drop(dir.try_lock("k").unwrap().expect("nobody else locks k"));
                dir.try_lock("k").unwrap().is_none()
            })
            .count();
        stop.store(true, Ordering::Relaxed);
        spawner.join().unwrap();
        assert_eq!(held, 0, "times a dropped lock was still held");
    }
}
