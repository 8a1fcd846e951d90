//! Reading a text file users keep (the shared config and credentials files, setup's backups)
//! before editing it: never waiting on a FIFO, never reading a device or an endless file. It
//! reads only; it never creates, writes or follows anything but the path's own symlinks.

use crate::error::{Error, Result};
use std::io::Read;
use std::path::Path;

/// More than any AWS config file holds; a larger "file" is a mistake or a trap.
pub const MAX_BYTES: u64 = 16 << 20;

/// The file's text; a missing file is empty. Opened without waiting (O_NONBLOCK: a FIFO another
/// user put there would block the open, then the read, forever); then only a regular file of at
/// most [`MAX_BYTES`] is read, as checked on the file opened (fstat), not on the path.
pub fn read(path: &Path) -> Result<String> {
    match read_regular(path) {
        Ok(text) => Ok(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(String::new()),
        Err(e) => Err(Error::config(format!("could not read {}: {e}", path.display()))
            .hint("It must be a readable regular text file (not a FIFO, device or directory); fix it or point AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE elsewhere. Nothing was changed.")),
    }
}

fn read_regular(path: &Path) -> std::io::Result<String> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, libc::O_NONBLOCK);
    let file = options.open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(std::io::Error::other("it is not a regular file"));
    }
    let too_big = || std::io::Error::other(format!("it is larger than {} MiB", MAX_BYTES >> 20));
    if meta.len() > MAX_BYTES {
        return Err(too_big());
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    // Bounded again while reading: the file may grow after the fstat.
    file.take(MAX_BYTES + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_BYTES {
        return Err(too_big());
    }
    String::from_utf8(bytes)
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidData, "it is not UTF-8 text"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_file_is_empty_and_a_regular_one_is_read() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(read(&dir.path().join("none")).unwrap(), "");
        std::fs::write(dir.path().join("f"), "[default]\n").unwrap();
        assert_eq!(read(&dir.path().join("f")).unwrap(), "[default]\n");
    }

    /// A FIFO as AWS_SHARED_CREDENTIALS_FILE hung setup (a plain read waits for a writer).
    #[cfg(unix)]
    #[test]
    fn fifos_directories_and_huge_files_are_refused_without_waiting() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        rustix::fs::mkfifoat(rustix::fs::CWD, &fifo, rustix::fs::Mode::from(0o600)).unwrap();
        let e = read(&fifo).unwrap_err();
        assert!(e.what().contains("not a regular file"), "{e}");
        let e = read(dir.path()).unwrap_err();
        assert!(e.what().contains("not a regular file"), "{e}");
        let big = dir.path().join("big");
        let f = std::fs::File::create(&big).unwrap();
        f.set_len(MAX_BYTES + 1).unwrap();
        let e = read(&big).unwrap_err();
        assert!(e.what().contains("larger than 16 MiB"), "{e}");
        std::fs::write(&big, b"\xff\xfe").unwrap();
        assert!(read(&big).unwrap_err().what().contains("not UTF-8"));
    }
}
