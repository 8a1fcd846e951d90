//! The one private-file writer: a temp file created exclusively (never an existing file or
//! link) with its mode set before any byte, written, fsynced, renamed over the target, and the
//! directory fsynced. A reader sees the old file or the new one, never a torn one. It never
//! opens an existing path for writing and never follows a symbolic link.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Creates `path` exclusively with `mode` (then set exactly, so a umask can only have narrowed
/// it in between, never widened it); fails if anything, a link included, is there.
pub fn create_exclusive(path: &Path, mode: u32) -> std::io::Result<File> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(mode).custom_flags(libc::O_NOFOLLOW);
    }
    let file = options.open(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(mode))?;
    }
    #[cfg(not(unix))]
    let _ = mode;
    Ok(file)
}

/// `dir/name`, or `dir/name.N` if that exists, created as [`create_exclusive`] does.
pub fn create_unique(dir: &Path, name: &str, mode: u32) -> std::io::Result<(File, PathBuf)> {
    let mut n = 0;
    loop {
        let path = match n {
            0 => dir.join(name),
            _ => dir.join(format!("{name}.{n}")),
        };
        match create_exclusive(&path, mode) {
            Ok(file) => return Ok((file, path)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && n < 100 => n += 1,
            Err(e) => return Err(e),
        }
    }
}

/// Writes `bytes` into the new `file` and fsyncs it.
pub fn fill(mut file: File, bytes: &[u8]) -> std::io::Result<()> {
    file.write_all(bytes)?;
    file.sync_all()
}

/// Replaces `target` with the temp file `tmp` (created by [`create_exclusive`] in the same
/// directory, opened as `file`) once `write` has filled it: fsync, rename, fsync the directory.
/// The temp file is removed on any failure; the error is the first one met.
pub fn commit(
    mut file: File,
    tmp: &Path,
    target: &Path,
    write: impl FnOnce(&mut File) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let result = write(&mut file)
        .and_then(|()| file.sync_all())
        .and_then(|()| {
            drop(file);
            std::fs::rename(tmp, target)
        });
    if let Err(e) = result {
        let _ = std::fs::remove_file(tmp);
        return Err(e);
    }
    sync_dir(parent_of(target))
}

/// The whole sequence for a file whose temp name the caller chooses (so that it can find a
/// killed writer's leftovers): create `tmp` exclusively with `mode`, then [`commit`].
pub fn write_private(
    target: &Path,
    tmp: &Path,
    mode: u32,
    write: impl FnOnce(&mut File) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let file = create_exclusive(tmp, mode)?;
    commit(file, tmp, target, write)
}

/// The directory a path is in (`.` for a bare name).
pub fn parent_of(path: &Path) -> &Path {
    path.parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// Makes a rename in `dir` durable.
#[cfg(unix)]
pub fn sync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
pub fn sync_dir(_: &Path) -> std::io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn new_files_have_their_mode_before_any_byte_is_written() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        for mode in [0o600, 0o640, 0o644] {
            let (file, path) = create_unique(dir.path(), "f", mode).unwrap();
            let meta = file.metadata().unwrap();
            assert_eq!((meta.len(), meta.permissions().mode() & 0o7777), (0, mode));
            drop(file);
            std::fs::remove_file(path).unwrap();
        }
        let (_a, first) = create_unique(dir.path(), "g", 0o600).unwrap();
        let (_b, second) = create_unique(dir.path(), "g", 0o600).unwrap();
        assert_ne!(first, second, "an existing file is never reused");
    }

    #[cfg(unix)]
    #[test]
    fn a_write_replaces_the_target_and_never_follows_a_link_at_the_temp_path() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let (target, tmp) = (dir.path().join("t"), dir.path().join("t.tmp"));
        std::fs::write(&target, "old").unwrap();
        write_private(&target, &tmp, 0o600, |f| f.write_all(b"new")).unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"new");
        let mode = std::fs::metadata(&target).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert!(!tmp.exists());
        let victim = dir.path().join("victim");
        std::fs::write(&victim, "keep").unwrap();
        std::os::unix::fs::symlink(&victim, &tmp).unwrap();
        assert!(write_private(&target, &tmp, 0o600, |f| f.write_all(b"x")).is_err());
        assert_eq!(std::fs::read(&victim).unwrap(), b"keep");
        assert_eq!(std::fs::read(&target).unwrap(), b"new");
    }

    #[test]
    fn a_failed_write_leaves_the_target_and_no_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let (target, tmp) = (dir.path().join("t"), dir.path().join("t.tmp"));
        std::fs::write(&target, "old").unwrap();
        let failed = write_private(&target, &tmp, 0o600, |_| Err(std::io::Error::other("full")));
        assert!(failed.is_err());
        assert_eq!(std::fs::read(&target).unwrap(), b"old");
        assert!(!tmp.exists());
    }
}
