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

    pub fn open_entry(path: &Path) -> std::io::Result<File> {
        OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NOFOLLOW)
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

    /// The file itself: device and inode.
    pub fn identity(meta: &Metadata) -> (u64, u64) {
        (meta.dev(), meta.ino())
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
    pub fn identity(meta: &Metadata) -> (u64, u64) {
        let nanos = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos() as u64);
        (meta.len(), nanos)
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
