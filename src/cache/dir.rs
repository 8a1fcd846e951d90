//! The cache directory: refusing an unsafe one, and reading, writing and removing entries.
//!
//! Readers never lock: an entry is only ever replaced by `rename(2)` of a fully written and
//! fsynced temp file, so a reader sees the old entry or the new one, never a torn one. A garbage
//! entry is a miss; an entry that is a symlink, not the user's own, or readable by others is
//! refused, because that is an attack or a mistake, not wear.
//!
//! Removal (`cache clear`) waits briefly for a renewal in flight (the key's lock), and a renewal
//! writes only over the entry it read ([`CacheDir::write_over`]), so one that outlasts the wait
//! does not bring a removed entry back.

use super::entry::CacheEntry;
use super::platform::{self, unsafe_entry, unusable};
use crate::disk::private_file;
use crate::error::{Error, Result};
use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

const MAX_ENTRY_BYTES: u64 = 64 * 1024;
/// How long removing an entry waits for a renewal of it in flight to finish.
const REMOVE_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// Which file held an entry when it was looked at (`None`: there was none). An entry is only
/// ever replaced by a new file, so a different answer later means it was removed or replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EntryFile(Option<(u64, u64, i64)>);

/// The cache directory, checked and ready.
#[derive(Debug, Clone)]
pub struct CacheDir {
    path: PathBuf,
}

impl CacheDir {
    /// Opens the directory, creating it 0700 if missing, and refuses an unsafe one. As root,
    /// first the path itself: a directory another user can write to on the way (a `sudo -E`
    /// HOME, a cache under /tmp) would let them swap in a link between the checks and the
    /// writes, and have root write, delete or block where they choose.
    pub fn open(path: PathBuf) -> Result<CacheDir> {
        crate::disk::path_walk::refuse_others_paths_as_root(
            &path,
            "xacct-cred does not use the cache directory",
            "Another user could redirect what root writes there. Run as the user whose HOME it is (sudo -u USER, or sudo without -E), set XACCT_CRED_CACHE_DIR to a directory of root's (e.g. /root/.cache/xacct-cred), or pass --no-cache.",
        )
        .map_err(|e| {
            let hint = e.hint_text().unwrap_or_default().to_string();
            Error::cache(e.what()).hint(hint)
        })?;
        match fs::symlink_metadata(&path) {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                platform::private_dir_builder().create(&path).map_err(|e| {
                    let why = unusable(&path, &format!("it could not be created ({e})"));
                    let hint = why.hint_text().unwrap_or_default().to_string();
                    Error::cache_io(&e, why.what()).hint(hint)
                })?
            }
            Err(e) => return Err(unusable(&path, &e.to_string())),
        }
        let meta = fs::symlink_metadata(&path).map_err(|e| unusable(&path, &e.to_string()))?;
        if meta.file_type().is_symlink() {
            return Err(unusable(
                &path,
                "it is a symbolic link, which another user could have planted",
            ));
        }
        if !meta.is_dir() {
            return Err(unusable(&path, "it is not a directory"));
        }
        platform::check_dir(&path, &meta)?;
        Ok(CacheDir { path })
    }

    /// Opens the directory only if it exists (for `cache list`/`clear`).
    pub fn open_existing(path: PathBuf) -> Result<Option<CacheDir>> {
        if fs::symlink_metadata(&path).is_err() {
            return Ok(None);
        }
        Self::open(path).map(Some)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn entry_path(&self, key: &str) -> PathBuf {
        self.path.join(format!("{key}.json"))
    }

    pub(super) fn lock_path(&self, key: &str) -> PathBuf {
        self.path.join(format!("{key}.lock"))
    }

    /// The entry for `key`: `Ok(None)` when missing or not a valid entry (a miss),
    /// an error only when the file is unsafe to trust.
    pub fn read(&self, key: &str) -> Result<Option<CacheEntry>> {
        read_entry(&self.entry_path(key))
    }

    /// Which file holds `key`'s entry now. Taken under the key's lock before the entry is read,
    /// for [`CacheDir::write_over`].
    pub fn entry_file(&self, key: &str) -> EntryFile {
        EntryFile(
            fs::symlink_metadata(self.entry_path(key))
                .ok()
                .map(|m| platform::identity(&m)),
        )
    }

    /// Replaces the entry, unless the one that was there (`read`, looked at under the key's
    /// lock) has since been removed or replaced — by `cache clear` while this renewed, which a
    /// renewal must not undo. `Ok(false)`: nothing written.
    pub fn write_over(&self, key: &str, entry: &CacheEntry, read: EntryFile) -> Result<bool> {
        if read.0.is_some() && self.entry_file(key) != read {
            return Ok(false);
        }
        self.write(key, entry).map(|()| true)
    }

    /// Replaces the entry atomically: temp file, fsync, rename, fsync of the directory.
    pub fn write(&self, key: &str, entry: &CacheEntry) -> Result<()> {
        let target = self.entry_path(key);
        let tmp = self
            .path
            .join(format!("{key}.json.{}.tmp", std::process::id()));
        let json = entry.to_json();
        let result = private_file::write_private(&target, &tmp, 0o600, |f| {
            let (head, tail) = json.as_bytes().split_at(json.len() / 2);
            f.write_all(head)?;
            test_hooks::pause_inside_write();
            f.write_all(tail)
        });
        result.map_err(|e| {
            let _ = fs::remove_file(&tmp);
            Error::cache(format!(
                "could not write the cache entry {}: {e}",
                target.display()
            ))
            .hint("Check the disk and the directory's permissions, or pass --no-cache.")
        })
    }

    /// Removes temp files a killed writer of this key left behind. Call with the lock held.
    pub fn remove_stale_temp_files(&self, key: &str) {
        let entry = format!("{key}.json.");
        let backoff = format!("{key}.backoff.");
        for name in self.file_names() {
            if (name.starts_with(&entry) || name.starts_with(&backoff)) && name.ends_with(".tmp") {
                let _ = fs::remove_file(self.path.join(name));
            }
        }
    }

    /// A small record of ours in the directory (`name` is ours, never a key), read as the
    /// entries are: no link followed, this user's regular file, at most a few KiB.
    pub fn read_record(&self, name: &str) -> Result<Option<String>> {
        let path = self.path.join(name);
        let mut file = match platform::open_entry(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(unsafe_entry(&path, &format!("it cannot be opened ({e})"))),
        };
        let meta = file
            .metadata()
            .map_err(|e| unsafe_entry(&path, &e.to_string()))?;
        platform::check_entry(&path, &meta)?;
        let mut text = String::new();
        match meta.is_file() && meta.len() <= 4096 && file.read_to_string(&mut text).is_ok() {
            true => Ok(Some(text)),
            false => Ok(None),
        }
    }

    /// Replaces a small record of ours atomically (see [`CacheDir::read_record`]).
    pub fn write_record(&self, name: &str, text: &str) -> Result<()> {
        let target = self.path.join(name);
        let tmp = self.path.join(format!("{name}.{}.tmp", std::process::id()));
        // One of this process id's is a killed writer's (a serve that was PID 1 in a container
        // before): its leftover must not fail this write.
        let _ = fs::remove_file(&tmp);
        private_file::write_private(&target, &tmp, 0o600, |f| f.write_all(text.as_bytes())).map_err(
            |e| {
                let _ = fs::remove_file(&tmp);
                Error::cache(format!("could not write {}: {e}", target.display()))
                    .hint("Check the disk and the cache directory's permissions.")
            },
        )
    }

    /// Every entry file, parsed (`None` for garbage), sorted by name. Only files named as keys
    /// are (40 hex digits): another program's JSON in a misdirected cache directory is neither
    /// listed nor cleared.
    pub fn entries(&self) -> Vec<(String, Option<CacheEntry>)> {
        let is_key = |k: &str| k.len() == 40 && k.bytes().all(|b| b.is_ascii_hexdigit());
        let mut names: Vec<String> = self
            .file_names()
            .into_iter()
            .filter(|n| n.strip_suffix(".json").is_some_and(is_key))
            .collect();
        names.sort();
        names
            .into_iter()
            .map(|n| {
                let entry = read_entry(&self.path.join(&n)).ok().flatten();
                (n.trim_end_matches(".json").to_string(), entry)
            })
            .collect()
    }

    /// Removes an entry and its temp files (never the lock file: see the lock module), holding
    /// the key's lock if a renewal in flight lets go of it within [`REMOVE_WAIT`].
    pub fn remove(&self, key: &str) -> Result<bool> {
        let _lock = self.lock(key, REMOVE_WAIT).ok();
        self.remove_stale_temp_files(key);
        self.clear_failed_renewal(key);
        match fs::remove_file(self.entry_path(key)) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(Error::cache(format!(
                "could not remove {}: {e}",
                self.entry_path(key).display()
            ))),
        }
    }

    fn file_names(&self) -> Vec<String> {
        fs::read_dir(&self.path)
            .map(|rd| {
                rd.filter_map(|e| e.ok()?.file_name().into_string().ok())
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// A pause in the middle of writing the temp file, so that tests can SIGKILL a writer while its
/// entry is half written. Compiled only into debug builds and `--features test-hooks` (the
/// chaos run's release build); the release binary has none of it.
mod test_hooks {
    #[cfg(any(debug_assertions, feature = "test-hooks"))]
    pub fn pause_inside_write() {
        let ms = std::env::var("XACCT_CRED_TEST_WRITE_DELAY_MS")
            .ok()
            .and_then(|v| v.parse::<u64>().ok());
        if let Some(ms) = ms {
            std::thread::sleep(std::time::Duration::from_millis(ms));
        }
    }

    #[cfg(not(any(debug_assertions, feature = "test-hooks")))]
    pub fn pause_inside_write() {}
}

fn read_entry(path: &Path) -> Result<Option<CacheEntry>> {
    let mut file = match platform::open_entry(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) if platform::is_symlink_refusal(&e) => {
            return Err(unsafe_entry(path, "it is a symbolic link"));
        }
        Err(e) => return Err(unsafe_entry(path, &format!("it cannot be opened ({e})"))),
    };
    let meta = file
        .metadata()
        .map_err(|e| unsafe_entry(path, &e.to_string()))?;
    platform::check_entry(path, &meta)?;
    if !meta.is_file() || meta.len() > MAX_ENTRY_BYTES {
        return Ok(None);
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    if file.read_to_end(&mut bytes).is_err() {
        return Ok(None);
    }
    Ok(CacheEntry::from_json(&bytes))
}
