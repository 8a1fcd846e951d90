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

/// Held while renewing one key; dropping it closes the file, which releases the lock.
pub struct KeyLock {
    _file: File,
    /// Whether another process held it first (it may have renewed the entry meanwhile).
    pub waited: bool,
}

impl KeyLock {
    /// Another handle on the same open file, so on the same lock: it stays held until every
    /// handle is dropped (a thread renewing in this process holds it past its caller).
    pub fn share(&self) -> Option<KeyLock> {
        Some(KeyLock {
            _file: self._file.try_clone().ok()?,
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
        let _ = fcntl_setfd(&self._file, FdFlags::empty());
        let result = spawn(self._file.as_raw_fd());
        let _ = fcntl_setfd(&self._file, FdFlags::CLOEXEC);
        result
    }
}

impl CacheDir {
    /// Takes the per-key lock if no other process holds it; `Ok(None)` if one does.
    pub fn try_lock(&self, key: &str) -> Result<Option<KeyLock>> {
        let path = self.lock_path(key);
        let file = open(&path)?;
        match fs4::FileExt::try_lock(&file) {
            Ok(()) => Ok(Some(KeyLock {
                _file: file,
                waited: false,
            })),
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
        Some(KeyLock {
            _file: file,
            waited: false,
        })
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
            Ok(Ok(file)) => Ok(KeyLock {
                _file: file,
                waited: true,
            }),
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
        Error::cache(format!(
            "could not open the lock file {}: {e}",
            path.display()
        ))
        .hint("Check the cache directory's permissions, or pass --no-cache.")
    })
}

fn lock_failed(path: &Path, why: &str) -> Error {
    Error::cache(format!("could not lock {}: {why}", path.display()))
        .hint("The cache directory must be on a local file system that supports flock; otherwise pass --no-cache.")
}
