//! The encrypted file backend, for machines without an OS store (headless servers, CI): every
//! item in one file, sealed with a passphrase (`crypt`), under the user's data directory
//! (`~/.local/share/xacct-cred/keys`, a 0700 directory) or where `XACCT_CRED_KEYS_FILE` says.
//!
//! The file is 0600 from its creation, replaced atomically (a temp file in the same directory,
//! renamed over it: `disk::private_file`), and changed only under an exclusive lock beside it, so two writers never
//! lose each other's items. The passphrase comes from `XACCT_CRED_FILE_PASSPHRASE`, else the
//! terminal (asked once per process); it is never written anywhere.

use super::Items;
use super::crypt::{self, Sealer};
use crate::disk::private_file::write_private;
use crate::env::{self, Environment};
use std::cell::{OnceCell, RefCell};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

/// How long a write waits for another process writing the file (a read, seal and rename).
const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(30);

pub struct FileStore {
    path: PathBuf,
    given: Option<String>,
    asked: OnceCell<String>,
    /// The items as last read or written by this process, and the sealer that wrote them
    /// (scrypt runs once per process, not once per item).
    opened: RefCell<Option<(BTreeMap<String, String>, Sealer)>>,
}

impl FileStore {
    pub fn open(env: &Environment) -> Result<FileStore, String> {
        let path = match env.get(env::KEYS_FILE) {
            Some(p) => PathBuf::from(p),
            None => directories::ProjectDirs::from("", "", "xacct-cred")
                .ok_or("no home directory to keep the key file in")?
                .data_dir()
                .join("keys"),
        };
        Ok(FileStore {
            path,
            given: env.get(env::FILE_PASSPHRASE).map(str::to_string),
            asked: OnceCell::new(),
            opened: RefCell::new(None),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn passphrase(&self, new_file: bool) -> Result<&str, String> {
        if let Some(p) = &self.given {
            return Ok(p);
        }
        if let Some(p) = self.asked.get() {
            return Ok(p);
        }
        let shown = self.path.display();
        let ask = |q: &str| {
            crate::prompt::ask_hidden(q).map_err(|why| {
                format!(
                    "the key file {shown} needs its passphrase and there is no terminal to ask on ({why}); set {}",
                    env::FILE_PASSPHRASE
                )
            })
        };
        let p = ask(&format!("Passphrase for the key file {shown}: "))?;
        if p.is_empty() {
            return Err("an empty passphrase protects nothing".into());
        }
        if new_file && ask("The same passphrase again: ")? != p {
            return Err("the two passphrases differ".into());
        }
        Ok(self.asked.get_or_init(|| p))
    }

    /// Every item, by name (empty when there is no file yet), and the sealer to write them
    /// back with; read from the file once per process unless `again`.
    fn read_all(&self, again: bool) -> Result<BTreeMap<String, String>, String> {
        if !again && let Some((items, _)) = self.opened.borrow().as_ref() {
            return Ok(items.clone());
        }
        let dir = parent(&self.path);
        if dir.exists() {
            trusted_dir(dir, &self.path)?;
        }
        let sealed = match read_regular(&self.path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
            Err(e) => return Err(format!("could not read {}: {e}", self.path.display())),
        };
        let (plain, sealer) = crypt::open(self.passphrase(false)?, &sealed)
            .map_err(|why| format!("could not open {}: {why}", self.path.display()))?;
        let items: BTreeMap<String, String> = serde_json::from_slice(&plain)
            .map_err(|_| format!("{} holds no item map", self.path.display()))?;
        *self.opened.borrow_mut() = Some((items.clone(), sealer));
        Ok(items)
    }

    /// Reads, changes and rewrites the file under its lock.
    fn change<T>(&self, f: impl FnOnce(&mut BTreeMap<String, String>) -> T) -> Result<T, String> {
        let fail = |e: std::io::Error| format!("could not write {}: {e}", self.path.display());
        let dir = parent(&self.path);
        // The walk comes before any directory is made: a link another user planted on the way
        // would otherwise have directories created where it points.
        walk(&self.path)?;
        private_dir(dir).map_err(fail)?;
        trusted_dir(dir, &self.path)?;
        // The passphrase is asked before the lock is taken: a prompt must not hold up every
        // other process that writes the file (an MFA session being stored, another `keys add`).
        self.passphrase(!self.path.exists())?;
        let lock = lock_file(&lock_path(&self.path)).map_err(fail)?;
        let started = std::time::Instant::now();
        loop {
            match lock.try_lock() {
                Ok(()) => break,
                Err(std::fs::TryLockError::WouldBlock) if started.elapsed() < LOCK_WAIT => {
                    std::thread::sleep(std::time::Duration::from_millis(50));
                }
                Err(std::fs::TryLockError::WouldBlock) => {
                    return Err(format!(
                        "another xacct-cred has been writing {} for {} s; try again",
                        self.path.display(),
                        LOCK_WAIT.as_secs()
                    ));
                }
                Err(std::fs::TryLockError::Error(e)) => return Err(fail(e)),
            }
        }
        // Under the lock, the file as it is now (another process may have changed it).
        let mut items = self.read_all(true)?;
        let out = f(&mut items);
        let plain = serde_json::to_vec(&items).map_err(|e| e.to_string())?;
        let sealer = match self.opened.borrow_mut().take() {
            Some((_, sealer)) if self.path.exists() => sealer,
            _ => Sealer::new(self.passphrase(true)?)?,
        };
        let sealed = sealer.seal(&plain)?;
        let tmp = dir.join(format!(".keys.{}.tmp", std::process::id()));
        // A temp file a killed writer left (same process id, long ago) goes first.
        let _ = std::fs::remove_file(&tmp);
        write_private(&self.path, &tmp, 0o600, |f| f.write_all(&sealed)).map_err(fail)?;
        *self.opened.borrow_mut() = Some((items, sealer));
        Ok(out)
    }
}

impl Items for FileStore {
    fn get(&self, name: &str) -> Result<Option<Vec<u8>>, String> {
        Ok(self.read_all(false)?.remove(name).map(String::into_bytes))
    }

    fn set(&self, name: &str, bytes: &[u8]) -> Result<(), String> {
        let text = String::from_utf8(bytes.to_vec()).map_err(|_| "an item is not text")?;
        self.change(|items| {
            items.insert(name.to_string(), text);
        })
    }

    fn delete(&self, name: &str) -> Result<bool, String> {
        if !self.path.exists() {
            return Ok(false);
        }
        self.change(|items| items.remove(name).is_some())
    }

    fn names(&self) -> Result<Option<Vec<String>>, String> {
        Ok(Some(self.read_all(false)?.into_keys().collect()))
    }
}

fn parent(path: &Path) -> &Path {
    path.parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// For every user, the key file's path must be one no other user can change: a member of a
/// group that may write to a directory on the way could rename it away between the checks and
/// the write, and have the store sealed into a directory of theirs (then delete it, and with
/// it the only copy of a key just imported or rotated).
fn walk(file: &Path) -> Result<(), String> {
    crate::disk::path_walk::refuse_others_paths(
        file,
        "xacct-cred does not use the key file",
        "Another user could move the key file away, and with it the only copy of a key. Put it in a directory only you can write, on a path only you (or root) can change (set XACCT_CRED_KEYS_FILE), or, if no one else should write to the directory named, chmod go-w it.",
    )
    .map_err(|e| e.to_string())
}

/// The directory of the key file must be the user's alone: owned by the effective user and
/// writable by nobody else (as root, every component root's too), or another user could swap
/// the file or its lock.
fn trusted_dir(dir: &Path, file: &Path) -> Result<(), String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        walk(file)?;
        let m =
            std::fs::metadata(dir).map_err(|e| format!("could not read {}: {e}", dir.display()))?;
        let euid = rustix::process::geteuid().as_raw();
        let mode = m.permissions().mode();
        if m.uid() != euid || mode & 0o022 != 0 {
            return Err(format!(
                "the key file's directory {} is {} (mode {:o}): another user could replace the key file; it must be yours and writable only by you (chmod 700, or set {} to a file in such a directory)",
                dir.display(),
                if m.uid() != euid {
                    format!("owned by uid {}", m.uid())
                } else {
                    "writable by others".to_string()
                },
                mode & 0o7777,
                env::KEYS_FILE
            ));
        }
    }
    #[cfg(not(unix))]
    let _ = (dir, file);
    Ok(())
}

/// Opens without following a link or waiting on a FIFO, and only a regular file.
fn checked_open(options: &mut std::fs::OpenOptions, path: &Path) -> std::io::Result<std::fs::File> {
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(options, libc::O_NOFOLLOW | libc::O_NONBLOCK);
    let file = options.open(path)?;
    if !file.metadata()?.is_file() {
        return Err(std::io::Error::other(
            "it is not a regular file (remove it; xacct-cred makes it again)",
        ));
    }
    Ok(file)
}

fn read_regular(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut bytes = Vec::new();
    checked_open(std::fs::OpenOptions::new().read(true), path)?.read_to_end(&mut bytes)?;
    Ok(bytes)
}

fn lock_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".lock");
    path.with_file_name(name)
}

/// The directory, created 0700 (with any missing parents) if it does not exist.
fn private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// The lock file beside the key file (empty; only locked), 0600 from its creation.
fn lock_file(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    checked_open(&mut options, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store(dir: &Path) -> FileStore {
        let env = Environment::from_pairs([
            (env::KEYS_FILE, dir.join("sub/keys").to_str().unwrap()),
            (env::FILE_PASSPHRASE, "test passphrase"),
        ]);
        FileStore::open(&env).unwrap()
    }

    #[cfg(unix)]
    #[test]
    fn items_are_kept_sealed_in_a_private_file() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let s = store(dir.path());
        assert_eq!(
            s.get("key/a").unwrap(),
            None,
            "no file yet, no passphrase needed"
        );
        s.set("key/a", b"first-secret-value").unwrap();
        s.set("key/b", b"second").unwrap();
        assert_eq!(s.get("key/a").unwrap().unwrap(), b"first-secret-value");
        assert_eq!(s.names().unwrap().unwrap(), ["key/a", "key/b"]);
        assert!(s.delete("key/a").unwrap());
        assert!(!s.delete("key/a").unwrap());
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(s.path()), 0o600);
        assert_eq!(mode(&dir.path().join("sub")), 0o700);
        let raw = std::fs::read(s.path()).unwrap();
        assert!(!raw.windows(6).any(|w| w == b"second"));
        let leftovers: Vec<_> = std::fs::read_dir(dir.path().join("sub"))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(leftovers.len(), 2, "the file and its lock: {leftovers:?}");
        let wrong = FileStore {
            given: Some("wrong".into()),
            ..store(dir.path())
        };
        assert!(
            s.get("key/b").unwrap().is_some(),
            "the same process reads its own cache"
        );
        assert!(
            wrong
                .get("key/b")
                .unwrap_err()
                .contains("passphrase is wrong")
        );
    }

    /// A link or a FIFO where the file or its lock goes, or a directory others may write to:
    /// refused at once, nothing created elsewhere, no hang.
    #[cfg(unix)]
    #[test]
    fn links_fifos_and_shared_directories_are_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("sub");
        std::fs::create_dir_all(&sub).unwrap();
        std::fs::set_permissions(&sub, std::fs::Permissions::from_mode(0o700)).unwrap();
        let elsewhere = dir.path().join("elsewhere");
        std::os::unix::fs::symlink(&elsewhere, sub.join("keys.lock")).unwrap();
        let e = store(dir.path()).set("key/a", b"v").unwrap_err();
        assert!(!elsewhere.exists(), "{e}");
        std::fs::remove_file(sub.join("keys.lock")).unwrap();

        rustix::fs::mkfifoat(
            rustix::fs::CWD,
            sub.join("keys"),
            rustix::fs::Mode::from(0o600),
        )
        .unwrap();
        let e = store(dir.path()).get("key/a").unwrap_err();
        assert!(e.contains("not a regular file"), "{e}");
        std::fs::remove_file(sub.join("keys")).unwrap();

        std::fs::set_permissions(&sub, std::fs::Permissions::from_mode(0o777)).unwrap();
        let e = store(dir.path()).set("key/a", b"v").unwrap_err();
        assert!(e.contains("writable by other"), "{e}");
        assert!(!sub.join("keys").exists());
    }
}
