//! `serve --token-file`: the endpoint's token in a file of its own (bare, 0600), published only
//! where nothing else is, held locked for as long as this `serve` runs, and removed on exit
//! only if it is still this run's file.
//!
//! It must never write into a file it did not just create, follow a link, block on or read
//! more than a token's length of whatever is at the path, or replace a token another `serve`
//! still serves. An old file is replaced (by a new inode: never written through) only if it is
//! evidently a stopped `serve`'s: a regular file of this user's, holding nothing or a token,
//! and not locked. The new file is made by the private-file writer's exclusive create.

use crate::disk::private_file;
use crate::error::{Error, Result};
use crate::server::token::Token;
use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// A token (64 hex digits), and one byte more: enough to tell a token from anything else.
const MOST_READ: u64 = 65;

/// The published file; removed on drop if it is still ours. Its descriptor holds the lock.
pub(super) struct TokenFile {
    path: PathBuf,
    file: File,
}

fn refuse(path: &Path, why: &str) -> Error {
    Error::config(format!("--token-file {}: {why}", path.display())).hint(
        "Remove it if it is yours and no serve uses it, or choose another path (in a directory only you can write, e.g. under $XDG_RUNTIME_DIR): xacct-cred does not write into a file it did not create.",
    )
}

/// The path, checked and held before the endpoint binds (a second serve is refused before it
/// takes anything); [`Claim::publish`] then puts the token there.
pub(super) struct Claim {
    path: PathBuf,
    /// A stopped serve's file, locked so that no other serve takes it meanwhile.
    old: Option<File>,
}

fn failed(path: &Path) -> impl Fn(std::io::Error) -> Error + '_ {
    move |e| {
        Error::config(format!(
            "could not write the token file {}: {e}",
            path.display()
        ))
        .hint("Choose a path in a directory you own (the file is created with mode 0600).")
    }
}

impl TokenFile {
    pub fn claim(path: &Path) -> Result<Claim> {
        // For every user: the clients keep the address that goes with this path, so another
        // user who could move a directory on the way (and the address record with it) or take
        // the path first could have the next token published where they listen.
        crate::disk::path_walk::refuse_others_paths(
            path,
            "serve does not write --token-file",
            "Another user could take the path first, move a directory on the way (and the address its clients keep with it), or redirect what is written. Choose a path in a directory only you can write, on a path only you or root can change (e.g. under $XDG_RUNTIME_DIR; /run as root), or, if no one else should write to the directory named, `chmod go-w` it. Nothing was written.",
        )?;
        let old = match open_old(path) {
            Ok(old) => Some(old),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) if is_link(&e) => return Err(refuse(path, "it is a symbolic link")),
            Err(e) => return Err(failed(path)(e)),
        };
        if let Some(old) = &old {
            check_old(path, old)?;
        }
        Ok(Claim {
            path: path.to_path_buf(),
            old,
        })
    }
}

impl Claim {
    /// Whether a stopped serve's token file is there (to be replaced).
    pub fn had_old(&self) -> bool {
        self.old.is_some()
    }

    pub fn publish(self, token: &Token) -> Result<TokenFile> {
        let Claim { path, old } = self;
        let fail = failed(&path);
        if old.is_some() {
            std::fs::remove_file(&path).map_err(&fail)?;
        }
        let dir = private_file::parent_of(&path);
        let name = path
            .file_name()
            .map_or("token".into(), |n| n.to_string_lossy());
        let (mut file, tmp) =
            private_file::create_random(dir, &format!(".{name}.xacct-cred-tmp"), 0o600)
                .map_err(&fail)?;
        let published = check_new(&file)
            .and_then(|()| lock(&file))
            .and_then(|()| file.write_all(token.expose().as_bytes()))
            .and_then(|()| file.sync_all())
            // A link, unlike a rename, never replaces what another process put there meanwhile.
            .and_then(|()| std::fs::hard_link(&tmp, &path));
        let _ = std::fs::remove_file(&tmp);
        drop(old);
        match published {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                return Err(refuse(
                    &path,
                    "another process created it while this serve started (is another serve using it?)",
                ));
            }
            Err(e) => return Err(fail(e)),
        }
        let _ = private_file::sync_dir(dir);
        Ok(TokenFile {
            path: path.clone(),
            file,
        })
    }
}

impl Drop for TokenFile {
    fn drop(&mut self) {
        let ours = match (std::fs::symlink_metadata(&self.path), self.file.metadata()) {
            (Ok(there), Ok(mine)) => crate::disk::same_file(&there, &mine),
            _ => false,
        };
        if ours {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// Opens what is at `path` for reading without following a link or blocking on a FIFO.
pub(super) fn open_old(path: &Path) -> std::io::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(
        &mut options,
        libc::O_NOFOLLOW | libc::O_NONBLOCK,
    );
    options.open(path)
}

/// Whether an old file is a stopped serve's token file (else why not).
fn check_old(path: &Path, old: &File) -> Result<()> {
    let meta = old
        .metadata()
        .map_err(|e| refuse(path, &format!("it cannot be examined ({e})")))?;
    if !meta.is_file() {
        return Err(refuse(path, "it exists and is not a regular file"));
    }
    if let Some(why) = not_ours(&meta) {
        return Err(refuse(path, &format!("it exists and {why}")));
    }
    let mut held = Vec::new();
    let read = old.take(MOST_READ).read_to_end(&mut held);
    let token_like =
        held.is_empty() || (held.len() == 64 && held.iter().all(u8::is_ascii_hexdigit));
    if read.is_err() || !token_like {
        return Err(refuse(
            path,
            "the file exists and holds something other than an old token",
        ));
    }
    if old.try_lock().is_err() {
        return Err(refuse(
            path,
            "it is in use by a running serve (its clients read the token there)",
        ));
    }
    Ok(())
}

/// What makes a file not this user's own: another owner.
#[cfg(unix)]
pub(super) fn not_ours(meta: &std::fs::Metadata) -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    let euid = rustix::process::geteuid().as_raw();
    (meta.uid() != euid).then(|| format!("is owned by uid {}, not by you (uid {euid})", meta.uid()))
}

#[cfg(not(unix))]
pub(super) fn not_ours(_: &std::fs::Metadata) -> Option<String> {
    None
}

/// Links to the new file other than its temp name and the path (none, unless someone linked
/// it in the moment it existed).
#[cfg(unix)]
fn links(meta: &std::fs::Metadata) -> u64 {
    std::os::unix::fs::MetadataExt::nlink(meta)
}

#[cfg(not(unix))]
fn links(_: &std::fs::Metadata) -> u64 {
    1
}

/// The new file, checked on its descriptor: a regular file of ours with its one link.
fn check_new(file: &File) -> std::io::Result<()> {
    let meta = file.metadata()?;
    let why = if !meta.is_file() {
        Some("is not a regular file".to_string())
    } else if links(&meta) != 1 {
        Some(format!("has {} links", links(&meta)))
    } else {
        not_ours(&meta)
    };
    match why {
        Some(why) => Err(std::io::Error::other(format!(
            "the file just created {why}"
        ))),
        None => Ok(()),
    }
}

/// A shared lock: enough to make another serve's exclusive `try_lock` fail, and on Windows,
/// where locks are mandatory, it still lets the SDKs read the file.
fn lock(file: &File) -> std::io::Result<()> {
    file.try_lock_shared().map_err(|e| match e {
        std::fs::TryLockError::Error(e) => e,
        std::fs::TryLockError::WouldBlock => std::io::Error::other("the new file is locked"),
    })
}

#[cfg(unix)]
fn is_link(e: &std::io::Error) -> bool {
    e.raw_os_error() == Some(libc::ELOOP)
}

#[cfg(not(unix))]
fn is_link(_: &std::io::Error) -> bool {
    false
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    /// Another user who made every temp name the writer would try (`.token.xacct-cred-tmp`,
    /// then `.1` … `.100`) kept root's `serve --token-file` from starting.
    #[test]
    fn temp_names_made_first_by_someone_else_do_not_stop_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token");
        let prefix = dir.path().join(".token.xacct-cred-tmp");
        std::fs::write(&prefix, "").unwrap();
        for n in 1..=100 {
            std::fs::write(format!("{}.{n}", prefix.display()), "").unwrap();
        }
        let token = Token::generate().unwrap();
        let file = TokenFile::claim(&path)
            .and_then(|c| c.publish(&token))
            .unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), token.expose());
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            102,
            "no temp file left"
        );
        drop(file);
    }

    #[test]
    fn an_old_token_file_is_replaced_never_written_through() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token");
        let other = dir.path().join("other-link");
        let old = "a".repeat(64);
        std::fs::write(&path, &old).unwrap();
        std::fs::hard_link(&path, &other).unwrap();
        let token = Token::generate().unwrap();
        let file = TokenFile::claim(&path)
            .and_then(|c| c.publish(&token))
            .unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), token.expose());
        assert_eq!(std::fs::read_to_string(&other).unwrap(), old, "a new inode");
        drop(file);
        assert!(!path.exists());
    }
}
