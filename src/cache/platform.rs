//! What the cache needs from the operating system that differs by platform: file modes and
//! owners, and refusing to follow symbolic links.
//!
//! On Unix the checks are strict (owner = the effective user, no group/other write on the
//! directory, 0600 entries, `O_NOFOLLOW` everywhere). Elsewhere the per-user profile
//! directory's ACLs protect the cache and these checks are no-ops. No `unsafe`: the effective
//! uid comes from rustix's safe wrapper.

use crate::error::Error;
use std::fs::{File, Metadata, OpenOptions};
use std::path::Path;

#[cfg(unix)]
mod imp {
    use super::*;
    use std::os::unix::fs::{MetadataExt, OpenOptionsExt};

    fn euid() -> u32 {
        rustix::process::geteuid().as_raw()
    }

    /// "owned by uid N, not by you (uid M)", or nothing when the file is the user's own.
    fn foreign_owner(meta: &Metadata) -> Option<String> {
        (meta.uid() != euid()).then(|| {
            format!(
                "it is owned by uid {}, not by you (uid {})",
                meta.uid(),
                euid()
            )
        })
    }

    pub fn check_dir(path: &Path, meta: &Metadata) -> Result<(), Error> {
        if let Some(why) = foreign_owner(meta) {
            return Err(unusable(path, &why));
        }
        if meta.mode() & 0o022 != 0 {
            return Err(unusable(
                path,
                &format!(
                    "other users can write to it (mode {:o})",
                    meta.mode() & 0o777
                ),
            ));
        }
        Ok(())
    }

    pub fn check_entry(path: &Path, meta: &Metadata) -> Result<(), Error> {
        if let Some(why) = foreign_owner(meta) {
            return Err(unsafe_entry(path, &why));
        }
        if meta.mode() & 0o077 != 0 {
            return Err(unsafe_entry(
                path,
                &format!(
                    "other users can access it (mode {:o}; it must be 600)",
                    meta.mode() & 0o777
                ),
            ));
        }
        Ok(())
    }

    /// Without following a link, and without blocking on a FIFO (a regular file reads the
    /// same with O_NONBLOCK); callers check the descriptor is a regular file before reading.
    pub fn open_entry(path: &Path) -> std::io::Result<File> {
        OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
            .open(path)
    }

    pub fn is_symlink_refusal(e: &std::io::Error) -> bool {
        e.raw_os_error() == Some(libc::ELOOP)
    }

    pub fn open_lock(path: &Path) -> std::io::Result<File> {
        OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW)
            .open(path)
    }

    /// The file itself: device, inode and change time (an inode freed by `cache clear` and
    /// reused by the next file written is not taken for the one that was removed).
    pub fn identity(meta: &Metadata) -> (u64, u64, i64) {
        let changed = meta.ctime().saturating_mul(1_000_000_000) + meta.ctime_nsec();
        (meta.dev(), meta.ino(), changed)
    }

    pub fn private_dir_builder() -> std::fs::DirBuilder {
        use std::os::unix::fs::DirBuilderExt;
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true).mode(0o700);
        builder
    }
}

#[cfg(not(unix))]
mod imp {
    use super::*;

    pub fn check_dir(_: &Path, _: &Metadata) -> Result<(), Error> {
        Ok(())
    }
    pub fn check_entry(_: &Path, _: &Metadata) -> Result<(), Error> {
        Ok(())
    }
    pub fn open_entry(path: &Path) -> std::io::Result<File> {
        File::open(path)
    }
    pub fn is_symlink_refusal(_: &std::io::Error) -> bool {
        false
    }
    pub fn open_lock(path: &Path) -> std::io::Result<File> {
        OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
    }
    /// The file as near as can be told: its length and modification time.
    pub fn identity(meta: &Metadata) -> (u64, u64, i64) {
        let nanos = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos() as u64);
        (meta.len(), nanos, 0)
    }

    pub fn private_dir_builder() -> std::fs::DirBuilder {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        builder
    }
}

pub(super) use imp::*;

/// The cache directory cannot be used, and why.
pub(super) fn unusable(path: &Path, why: &str) -> Error {
    Error::cache(format!("refusing to use the cache directory {}: {why}", path.display())).hint(format!(
        "Use a directory only you own and can write (chmod 700), e.g. unset {} to use the default, or pass --no-cache.",
        crate::env::CACHE_DIR
    ))
}

/// An entry is not safe to trust, and why.
pub(super) fn unsafe_entry(path: &Path, why: &str) -> Error {
    Error::cache(format!(
        "refusing to read the cache entry {}: {why}",
        path.display()
    ))
    .hint("Delete it (xacct-cred cache clear) and check who else can write to the cache directory.")
}

#[cfg(all(test, unix))]
mod tests {
    use super::super::CacheDir;
    use std::time::Duration;

    /// A FIFO at KEY.json or KEY.backoff held the cache-hit read and the back-off read up for
    /// as long as nobody wrote to it.
    #[test]
    fn a_fifo_at_an_entry_or_a_backoff_record_is_a_miss_without_blocking() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = CacheDir::open(tmp.path().join("c")).unwrap();
        for name in ["k.json", "k.backoff"] {
            let c = std::ffi::CString::new(dir.path().join(name).to_str().unwrap()).unwrap();
            assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        }
        let (tx, rx) = std::sync::mpsc::channel();
        let reader = dir.clone();
        std::thread::spawn(move || {
            let read = reader.read("k").map(|e| e.is_none());
            let _ = tx.send((read, reader.last_failure("k").is_none()));
        });
        let answer = rx.recv_timeout(Duration::from_secs(5));
        if answer.is_err() {
            // Let the blocked reader go (a writer that opens and closes), then fail.
            for name in ["k.json", "k.backoff"] {
                let _ = std::fs::OpenOptions::new()
                    .write(true)
                    .open(dir.path().join(name));
            }
            panic!("reading the entry or the back-off record blocked on a FIFO");
        }
        let (read, no_failure) = answer.unwrap();
        assert!(read.unwrap(), "a FIFO is a miss");
        assert!(no_failure, "a FIFO is no failure record");
    }
}
