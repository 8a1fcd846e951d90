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

/// `bytes` random bytes from aws-lc-rs (seeded by the OS), in hex: names no one can guess.
pub fn random_hex(bytes: usize) -> std::io::Result<String> {
    let mut buf = vec![0u8; bytes];
    aws_lc_rs::rand::fill(&mut buf)
        .map_err(|_| std::io::Error::other("the system's random source is unavailable"))?;
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
}

/// `dir/PREFIX.RANDOM` (16 random hex digits from aws-lc-rs, seeded by the OS), created as
/// [`create_exclusive`] does: for temp files in directories another user may write to, where
/// a predictable name could be taken first and every next one too (a counter runs out).
pub fn create_random(dir: &Path, prefix: &str, mode: u32) -> std::io::Result<(File, PathBuf)> {
    let mut tries = 0;
    loop {
        let path = dir.join(format!("{prefix}.{}", random_hex(8)?));
        match create_exclusive(&path, mode) {
            Ok(file) => return Ok((file, path)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && tries < 8 => tries += 1,
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
    #[cfg(test)]
    SYNCED_DIRS.with_borrow_mut(|d| d.push(dir.to_path_buf()));
    File::open(dir)?.sync_all()
}

#[cfg(test)]
thread_local! {
    /// The directories [`sync_dir`] synced on this thread, for tests of the write sequences.
    pub static SYNCED_DIRS: std::cell::RefCell<Vec<PathBuf>> = const { std::cell::RefCell::new(Vec::new()) };
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

    /// The token file's temp names were `.NAME.xacct-cred-tmp`, then `.1` … `.100`: another
    /// user who made all 101 first kept root's `serve --token-file` from starting.
    #[test]
    fn random_temp_names_cannot_be_taken_first() {
        let dir = tempfile::tempdir().unwrap();
        let prefix = ".token.xacct-cred-tmp";
        std::fs::write(dir.path().join(prefix), "").unwrap();
        for n in 1..=100 {
            std::fs::write(dir.path().join(format!("{prefix}.{n}")), "").unwrap();
        }
        let (_a, first) = create_random(dir.path(), prefix, 0o600).unwrap();
        let (_b, second) = create_random(dir.path(), prefix, 0o600).unwrap();
        assert_ne!(first, second);
        for path in [&first, &second] {
            let name = path.file_name().unwrap().to_str().unwrap();
            let suffix = name.strip_prefix(&format!("{prefix}.")).unwrap();
            assert!(suffix.len() == 16 && suffix.bytes().all(|b| b.is_ascii_hexdigit()));
        }
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
