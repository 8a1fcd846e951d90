//! Replacing a file users keep themselves (~/.aws/config) after a backup beside it: symlinks
//! followed to their target, which is replaced while the link stays; the target's mode kept
//! (0600 for a new file); a file with other hard links, or bind-mounted into place, rewritten
//! in place so it keeps its inode and owner. Never decides what to write.

use super::private_file::{commit, create_random, create_unique, fill, parent_of, sync_dir};
use crate::error::{Error, Result};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Where [`write_with_backup`] wrote.
#[derive(Debug)]
pub struct Written {
    /// The file replaced: `path` itself, or the end of its symlink chain.
    pub target: PathBuf,
    pub backup: Option<PathBuf>,
}

/// Writes `text` to the file `path` names, after backing up `original` beside it, the way
/// users keep their files: a symlink (stow, chezmoi, home-manager) is followed to its target,
/// which is replaced atomically while the link stays; the new file and the temp file get the
/// target's mode (0600 for a new file), the backup 0600 (the config may hold a secret line),
/// each set when the file is created, before any byte is written. The temp file is created
/// exclusively in the target's directory. A target with other hard links or bind-mounted into
/// place is rewritten in place instead. Missing directories are created 0700.
pub fn write_with_backup(path: &Path, original: &str, text: &str) -> Result<Written> {
    write_file(path, original, true, text)
}

/// As [`write_with_backup`], without a backup: for a file whose old content must not survive
/// on disk in a file of ours (it holds a secret). `original` is only written back should an
/// in-place rewrite fail halfway.
pub fn replace_without_backup(path: &Path, original: &str, text: &str) -> Result<Written> {
    write_file(path, original, false, text)
}

/// The backups' mode, whatever the file's: the text may hold a secret line, and a backup is
/// read by no one but its owner.
pub const BACKUP_MODE: u32 = 0o600;

/// The backups of `target` beside it: `NAME.bak-*`.
pub fn backup_prefix(target: &Path) -> String {
    let name = target
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("config");
    format!("{name}.bak-")
}

fn write_file(path: &Path, original: &str, with_backup: bool, text: &str) -> Result<Written> {
    let target = follow_links(path).map_err(|e| {
        Error::config(format!(
            "could not follow the symlink {}: {e}",
            path.display()
        ))
        .hint("Fix or remove the link; nothing was changed.")
    })?;
    let fail = |e: std::io::Error| io_failure(&target, e);
    let dir = parent_of(&target);
    super::path_walk::refuse_paths_others_control_as_root(path)?;
    private_dirs(dir).map_err(fail)?;
    let existing = std::fs::metadata(&target).ok();
    let mode = existing.as_ref().map_or(NEW_FILE_MODE, mode_of);
    let name = target
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("config")
        .to_string();
    let backup = match &existing {
        Some(_) if with_backup => {
            let stamp = time::OffsetDateTime::now_utc().unix_timestamp();
            let prefix = backup_prefix(&target);
            let (file, backup) =
                create_unique(dir, &format!("{prefix}{stamp}"), BACKUP_MODE).map_err(fail)?;
            let filled = keep_group(&file, existing.as_ref())
                .and_then(|()| fill(file, original.as_bytes()))
                // The backup's name must be on disk before the config is touched: the in-place
                // rewrite has no rename (and so no directory fsync) of its own after it.
                .and_then(|()| sync_dir(dir));
            if let Err(e) = filled {
                // A cut-short backup is no backup (a full disk leaves one per try).
                let _ = std::fs::remove_file(&backup);
                return Err(fail(e));
            }
            Some(backup)
        }
        _ => None,
    };
    // The backup of a config left unchanged is one more copy of it, and no use.
    let unchanged = |e: Error| {
        if let Some(b) = &backup {
            let _ = std::fs::remove_file(b);
        }
        e
    };
    // A file with other hard links, or one bind-mounted into place (a container's
    // `-v ~/.aws/config:…`, where rename fails with EBUSY), must keep its inode: it is
    // rewritten in place (the backup is already on disk). Everything else is replaced atomically.
    let in_place = |existing: &std::fs::Metadata| {
        overwrite(&target, existing, original, text).map_err(|e| {
            Error::config(format!(
                "could not rewrite {} in place: {}",
                target.display(),
                describe(&e)
            ))
            .hint(match &backup {
                Some(b) => format!(
                    "A file that cannot take the new text keeps its old one (also in {}); free some space, or fix the cause above, and run the command again.",
                    b.display()
                ),
                None => "A file that cannot take the new text keeps its old one; free some space, or fix the cause above, and run the command again.".to_string(),
            })
        })
    };
    if let Some(meta) = existing.as_ref().filter(|m| has_other_links(m)) {
        in_place(meta)?;
        return Ok(Written { target, backup });
    }
    let (file, tmp) = create_random(dir, &format!(".{name}.xacct-cred-tmp"), mode)
        .map_err(|e| unchanged(fail(e)))?;
    if let Err(e) = keep_group(&file, existing.as_ref()) {
        let _ = std::fs::remove_file(&tmp);
        return Err(unchanged(fail(e)));
    }
    let written = commit(file, &tmp, &target, |f| f.write_all(text.as_bytes()));
    if let Err(e) = written {
        let pinned = matches!(
            e.kind(),
            std::io::ErrorKind::ResourceBusy | std::io::ErrorKind::CrossesDevices
        );
        match &existing {
            Some(meta) if pinned => in_place(meta)?,
            _ => return Err(unchanged(fail(e))),
        }
    }
    Ok(Written { target, backup })
}

/// A failure before the file was touched: what happened, a full disk said plainly.
fn io_failure(target: &Path, e: std::io::Error) -> Error {
    let hint = match e.kind() {
        std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded => {
            "Free some space and run the command again; nothing was changed."
        }
        _ => "Check the file's and its directory's permissions; nothing was changed.",
    };
    Error::config(format!(
        "could not write {}: {}",
        target.display(),
        describe(&e)
    ))
    .hint(hint)
}

fn describe(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::StorageFull => format!("the disk is full ({e})"),
        std::io::ErrorKind::QuotaExceeded => format!("the disk quota is used up ({e})"),
        _ => e.to_string(),
    }
}

/// `dir` and its missing parents, created 0700 (never wider, whatever the umask: a
/// world-writable ~/.aws lets another user swap the config root then edits).
fn private_dirs(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Rewrites the file at `path` itself (same inode, links, mode and owner) — only if it is still
/// the file `seen` describes, opened without following a symlink: nothing swapped in since.
/// A full disk must not leave it cut short: the room for the longer of the file and `text` is
/// reserved first (on Linux), the new text written over the old from the start, then the file
/// cut to its length; should a write fail all the same, `original` is written back.
fn overwrite(
    path: &Path,
    seen: &std::fs::Metadata,
    original: &str,
    text: &str,
) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(
        &mut options,
        libc::O_NOFOLLOW | libc::O_NONBLOCK,
    );
    let file = options.open(path)?;
    let opened = file.metadata()?;
    if !opened.is_file() || !super::same_file(&opened, seen) {
        return Err(std::io::Error::other(
            "it is not the regular file first seen (was it replaced meanwhile?)",
        ));
    }
    reserve(&file, (text.len() as u64).max(seen.len()))?;
    let put = |mut file: &std::fs::File, bytes: &[u8]| {
        use std::io::{Seek, SeekFrom};
        file.seek(SeekFrom::Start(0))?;
        file.write_all(bytes)?;
        file.set_len(bytes.len() as u64)?;
        file.sync_all()
    };
    put(&file, text.as_bytes()).inspect_err(|_| {
        let _ = put(&file, original.as_bytes());
    })
}

/// Allocates the file's first `len` bytes without changing its size or content, so that a
/// full disk fails here, before anything is overwritten.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn reserve(file: &std::fs::File, len: u64) -> std::io::Result<()> {
    use rustix::fs::{FallocateFlags, fallocate};
    match fallocate(file, FallocateFlags::KEEP_SIZE, 0, len) {
        // A file system without fallocate: write and hope, as before.
        Err(e) if e == rustix::io::Errno::OPNOTSUPP => Ok(()),
        other => other.map_err(std::io::Error::from),
    }
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn reserve(_: &std::fs::File, _: u64) -> std::io::Result<()> {
    Ok(())
}

/// Gives a new file the group of the file it stands for (a root:adm 0640 config stays adm's),
/// before any byte is in it. A group the user may not give (EPERM) leaves the default one.
#[cfg(unix)]
fn keep_group(file: &std::fs::File, of: Option<&std::fs::Metadata>) -> std::io::Result<()> {
    use std::os::unix::fs::MetadataExt;
    let Some(gid) = of.map(MetadataExt::gid) else {
        return Ok(());
    };
    if file.metadata()?.gid() == gid {
        return Ok(());
    }
    match std::os::unix::fs::fchown(file, None, Some(gid)) {
        Err(e) if e.raw_os_error() == Some(libc::EPERM) => Ok(()),
        other => other,
    }
}

#[cfg(not(unix))]
fn keep_group(_: &std::fs::File, _: Option<&std::fs::Metadata>) -> std::io::Result<()> {
    Ok(())
}

#[cfg(unix)]
fn has_other_links(meta: &std::fs::Metadata) -> bool {
    std::os::unix::fs::MetadataExt::nlink(meta) > 1
}

#[cfg(not(unix))]
fn has_other_links(_: &std::fs::Metadata) -> bool {
    false
}

/// The mode of a file that does not exist yet: the config holds no secret itself, but its
/// neighbour does and `aws configure` makes both 0600.
const NEW_FILE_MODE: u32 = 0o600;

#[cfg(unix)]
fn mode_of(meta: &std::fs::Metadata) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o7777
}

#[cfg(not(unix))]
fn mode_of(_: &std::fs::Metadata) -> u32 {
    NEW_FILE_MODE
}

/// The end of `path`'s symlink chain (relative links resolved against the link's directory);
/// `path` itself if it is not a link. The target need not exist yet.
pub fn follow_links(path: &Path) -> std::io::Result<PathBuf> {
    let mut current = path.to_path_buf();
    for _ in 0..40 {
        match std::fs::symlink_metadata(&current) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let link = std::fs::read_link(&current)?;
                current = match current.parent() {
                    Some(dir) if link.is_relative() => dir.join(link),
                    _ => link,
                };
            }
            _ => return Ok(current),
        }
    }
    Err(std::io::Error::other("too many levels of symbolic links"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn symlink_chains_are_followed_to_a_target_that_need_not_exist() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::os::unix::fs::symlink("b", d.join("a")).unwrap();
        std::os::unix::fs::symlink(d.join("sub/c"), d.join("b")).unwrap();
        assert_eq!(follow_links(&d.join("a")).unwrap(), d.join("sub/c"));
        assert_eq!(follow_links(&d.join("plain")).unwrap(), d.join("plain"));
        std::os::unix::fs::symlink("loop", d.join("loop")).unwrap();
        assert!(follow_links(&d.join("loop")).is_err());
    }

    #[cfg(unix)]
    #[test]
    fn an_in_place_rewrite_syncs_the_directory_after_the_backup() {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("config");
        std::fs::write(&config, "[default]\n").unwrap();
        std::fs::hard_link(&config, dir.path().join("other-link")).unwrap();
        super::super::private_file::SYNCED_DIRS.with_borrow_mut(Vec::clear);
        let written = write_with_backup(&config, "[default]\n", "[default]\nx = 1\n").unwrap();
        assert!(written.backup.is_some());
        assert_eq!(
            std::fs::read_to_string(dir.path().join("other-link")).unwrap(),
            "[default]\nx = 1\n"
        );
        let synced = super::super::private_file::SYNCED_DIRS.take();
        assert_eq!(
            synced,
            [dir.path()],
            "the directory, once, after the backup"
        );
    }
}
