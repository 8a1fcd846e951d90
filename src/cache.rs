//! The on-disk session cache: key, lock, atomic write, permissions, refresh window.
//!
//! Layout: one directory (0700, owned by the user, never a symlink), and per cache key a
//! `KEY.json` entry (0600) and a `KEY.lock` file. Readers never lock: an entry is only ever
//! replaced by `rename(2)` of a fully written and fsynced temp file, so a reader sees the old
//! entry or the new one, never a torn one. Writers serialize on an exclusive `flock(2)` of the
//! lock file, which the OS releases when a holder dies. Lock files are never deleted (deleting
//! one under a holder would let a second writer lock a new inode and break single flight).
//!
//! A garbage entry is a miss, repaired by the next write. An entry that is a symlink, or not
//! the user's own, or readable by others, is refused: that is an attack or a mistake, not wear.

use crate::credentials::{Secret, SessionCredentials, format_expiration, parse_expiration};
use crate::env::Environment;
use crate::error::{Error, Result};
use crate::plan::Plan;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::fs::{self, File};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;
use time::OffsetDateTime;

/// The entry format this build writes; any other is a miss.
pub const FORMAT_VERSION: u64 = 1;
/// botocore re-runs credential_process once fewer than 15 minutes remain; one more minute of
/// margin means a session we hand out is never already inside that window.
pub const DEFAULT_REFRESH_WINDOW: Duration = Duration::from_secs(15 * 60 + 60);
pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(30);
/// After a renewal failed for a transient reason, calls within this time serve the still-valid
/// session at once instead of each waiting out STS's timeouts again.
pub const RETRY_BACKOFF: Duration = Duration::from_secs(60);
/// A cached session is never handed out with less than this left, even when STS is down.
pub const MIN_SERVE_LEFT: Duration = Duration::from_secs(10);
const MAX_ENTRY_BYTES: u64 = 64 * 1024;

/// The cache key of a plan: a digest over everything that changes the credentials.
pub fn key(plan: &Plan) -> String {
    let role = &plan.role;
    let mut material = vec![
        "xacct-cred cache key 1".to_string(),
        role.role_arn.arn.clone(),
        role.session_name.clone(),
        role.external_id.clone().unwrap_or_default(),
        role.duration_seconds.to_string(),
        role.mfa_serial.clone().unwrap_or_default(),
        plan.region.clone(),
        plan.sts_endpoint.clone().unwrap_or_default(),
    ];
    material.extend(plan.source.key_material());
    // A JSON array keeps field boundaries unambiguous ("a","bc" ≠ "ab","c").
    let digest = Sha256::digest(Value::from(material).to_string().as_bytes());
    digest[..20].iter().map(|b| format!("{b:02x}")).collect()
}

/// A cache file's contents: the credentials and what they are for (never secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheEntry {
    pub credentials: SessionCredentials,
    pub role_arn: String,
    pub profile: Option<String>,
    pub source: String,
    pub created_at: OffsetDateTime,
}

impl CacheEntry {
    pub fn new(plan: &Plan, credentials: SessionCredentials, now: OffsetDateTime) -> Self {
        CacheEntry {
            credentials,
            role_arn: plan.role.role_arn.arn.clone(),
            profile: plan.profile.clone(),
            source: plan.source.describe(),
            created_at: now,
        }
    }

    fn to_json(&self) -> String {
        let c = &self.credentials;
        json!({
            "version": FORMAT_VERSION,
            "role_arn": self.role_arn,
            "profile": self.profile,
            "source": self.source,
            "created_at": format_expiration(self.created_at),
            "credentials": {
                "AccessKeyId": c.access_key_id,
                "SecretAccessKey": c.secret_access_key.expose(),
                "SessionToken": c.session_token.expose(),
                "Expiration": format_expiration(c.expiration),
            }
        })
        .to_string()
    }

    /// `None` for anything but a complete entry of this format version.
    fn from_json(bytes: &[u8]) -> Option<CacheEntry> {
        let v: Value = serde_json::from_slice(bytes).ok()?;
        if v.get("version")?.as_u64()? != FORMAT_VERSION {
            return None;
        }
        let text = |v: &Value, k: &str| {
            v.get(k)?
                .as_str()
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        let c = v.get("credentials")?;
        Some(CacheEntry {
            credentials: SessionCredentials {
                access_key_id: text(c, "AccessKeyId")?,
                secret_access_key: Secret::new(text(c, "SecretAccessKey")?),
                session_token: Secret::new(text(c, "SessionToken")?),
                expiration: parse_expiration(&text(c, "Expiration")?)?,
            },
            role_arn: text(&v, "role_arn")?,
            profile: text(&v, "profile"),
            source: text(&v, "source").unwrap_or_default(),
            created_at: parse_expiration(&text(&v, "created_at")?)?,
        })
    }

    /// Time left before expiry (negative once expired).
    pub fn time_left(&self, now: OffsetDateTime) -> time::Duration {
        self.credentials.expiration - now
    }

    /// Fresh: more than the refresh window left (pass the [`effective_window`]).
    pub fn is_fresh(&self, now: OffsetDateTime, window: Duration) -> bool {
        self.time_left(now) > window
    }

    /// Still usable at all, e.g. when a refresh failed.
    pub fn is_servable(&self, now: OffsetDateTime) -> bool {
        self.time_left(now) > MIN_SERVE_LEFT
    }
}

/// The window applied to sessions of the requested duration. A session that is not longer than
/// the window could never be fresh, which would mean one STS call per invocation; such sessions
/// are instead reused until a third of their duration remains (five minutes of 900 s).
pub fn effective_window(window: Duration, duration: Duration) -> Duration {
    if duration > window {
        window
    } else {
        duration / 3
    }
}

/// Said by the call that creates such a session, never by the hits that reuse it.
pub fn short_session_note(window: Duration, duration: Duration) -> Option<String> {
    (duration <= window).then(|| {
        format!(
            "xacct-cred: note: {} s sessions are shorter than the {} s refresh window, so this one is reused until {} s remain; set duration_seconds above {} (or --refresh-window) to change that.",
            duration.as_secs(),
            window.as_secs(),
            effective_window(window, duration).as_secs(),
            window.as_secs()
        )
    })
}

/// The refresh window from the flag, else XACCT_CRED_REFRESH_WINDOW, else the default.
pub fn refresh_window(flag: Option<u64>, env: &Environment) -> Result<Duration> {
    seconds_setting(
        flag,
        env,
        crate::env::REFRESH_WINDOW,
        DEFAULT_REFRESH_WINDOW,
    )
}

pub fn lock_timeout(env: &Environment) -> Result<Duration> {
    seconds_setting(None, env, crate::env::LOCK_TIMEOUT, DEFAULT_LOCK_TIMEOUT)
}

fn seconds_setting(
    flag: Option<u64>,
    env: &Environment,
    var: &str,
    default: Duration,
) -> Result<Duration> {
    match (flag, env.get(var)) {
        (Some(s), _) => Ok(Duration::from_secs(s)),
        (None, Some(text)) => text
            .trim()
            .parse::<u64>()
            .map(Duration::from_secs)
            .map_err(|_| {
                Error::config(format!("{var}={text} is not a whole number of seconds")).hint(
                    format!("Unset {var} or set it to e.g. {}.", default.as_secs()),
                )
            }),
        (None, None) => Ok(default),
    }
}

/// The cache directory, checked and ready.
#[derive(Debug, Clone)]
pub struct CacheDir {
    path: PathBuf,
}

/// Where the cache lives: XACCT_CRED_CACHE_DIR, else the per-user cache directory.
pub fn locate(env: &Environment) -> Result<PathBuf> {
    if let Some(dir) = env.get(crate::env::CACHE_DIR) {
        return Ok(PathBuf::from(dir));
    }
    directories::ProjectDirs::from("", "", "xacct-cred")
        .map(|d| d.cache_dir().to_path_buf())
        .ok_or_else(|| {
            Error::cache("could not find a per-user cache directory (no home directory)").hint(
                format!(
                    "Set {} to a directory only you can write, or pass --no-cache.",
                    crate::env::CACHE_DIR
                ),
            )
        })
}

impl CacheDir {
    /// Opens the directory, creating it 0700 if missing, and refuses an unsafe one.
    pub fn open(path: PathBuf) -> Result<CacheDir> {
        match fs::symlink_metadata(&path) {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => create_private_dir(&path)?,
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
        private::check_dir(&path, &meta)?;
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

    fn lock_path(&self, key: &str) -> PathBuf {
        self.path.join(format!("{key}.lock"))
    }

    /// The entry for `key`: `Ok(None)` when missing or not a valid entry (a miss),
    /// an error only when the file is unsafe to trust.
    pub fn read(&self, key: &str) -> Result<Option<CacheEntry>> {
        read_entry(&self.entry_path(key))
    }

    /// Replaces the entry atomically: temp file, fsync, rename, fsync of the directory.
    pub fn write(&self, key: &str, entry: &CacheEntry) -> Result<()> {
        let target = self.entry_path(key);
        let tmp = self
            .path
            .join(format!("{key}.json.{}.tmp", std::process::id()));
        let result = (|| -> std::io::Result<()> {
            let mut f = private::create_new(&tmp)?;
            f.write_all(entry.to_json().as_bytes())?;
            f.sync_all()?;
            drop(f);
            fs::rename(&tmp, &target)?;
            private::sync_dir(&self.path)
        })();
        result.map_err(|e| {
            let _ = fs::remove_file(&tmp);
            Error::cache(format!(
                "could not write the cache entry {}: {e}",
                target.display()
            ))
            .hint("Check the disk and the directory's permissions, or pass --no-cache.")
        })
    }

    /// Takes the exclusive per-key lock, waiting at most `timeout` for another process.
    pub fn lock(&self, key: &str, timeout: Duration) -> Result<KeyLock> {
        let path = self.lock_path(key);
        let file = private::open_lock(&path).map_err(|e| {
            Error::cache(format!(
                "could not open the lock file {}: {e}",
                path.display()
            ))
            .hint("Check the cache directory's permissions, or pass --no-cache.")
        })?;
        match fs4::FileExt::try_lock(&file) {
            Ok(()) => {
                return Ok(KeyLock {
                    _file: file,
                    waited: false,
                });
            }
            Err(fs4::TryLockError::WouldBlock) => {}
            Err(fs4::TryLockError::Error(e)) => return Err(lock_failed(&path, &e.to_string())),
        }
        // Block in a helper thread so that the wait is bounded yet wakes the moment the holder
        // lets go (polling would add up to a poll interval to each of fifty waiters).
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let locked = fs4::FileExt::lock(&file).map(|()| file);
            let _ = tx.send(locked);
        });
        match rx.recv_timeout(timeout) {
            Ok(Ok(file)) => Ok(KeyLock { _file: file, waited: true }),
            Ok(Err(e)) => Err(lock_failed(&path, &e.to_string())),
            Err(_) => Err(Error::cache(format!(
                "gave up after {} s waiting for another xacct-cred that is refreshing this session (lock {})",
                timeout.as_secs(),
                path.display()
            ))
            .hint(format!(
                "That process may be waiting for an MFA code or a slow STS. The lock is released when it exits; raise {} to wait longer.",
                crate::env::LOCK_TIMEOUT
            ))),
        }
    }

    /// Records that renewing `key` failed just now; see [`RETRY_BACKOFF`].
    pub fn note_failed_renewal(&self, key: &str, now: OffsetDateTime) {
        let until = now + RETRY_BACKOFF;
        let path = self.backoff_path(key);
        let _ = fs::remove_file(&path);
        if let Ok(mut f) = private::create_new(&path) {
            let _ = f.write_all(format_expiration(until).as_bytes());
        }
    }

    /// Whether a renewal of `key` failed less than [`RETRY_BACKOFF`] ago.
    pub fn renewal_backing_off(&self, key: &str, now: OffsetDateTime) -> bool {
        let Ok(mut f) = private::open_entry(&self.backoff_path(key)) else {
            return false;
        };
        let mut text = String::new();
        let _ = f.read_to_string(&mut text);
        parse_expiration(text.trim())
            .is_some_and(|until| now < until && until - now <= RETRY_BACKOFF)
    }

    pub fn clear_failed_renewal(&self, key: &str) {
        let _ = fs::remove_file(self.backoff_path(key));
    }

    fn backoff_path(&self, key: &str) -> PathBuf {
        self.path.join(format!("{key}.backoff"))
    }

    /// Removes temp files a killed writer of this key left behind. Call with the lock held.
    pub fn remove_stale_temp_files(&self, key: &str) {
        let prefix = format!("{key}.json.");
        for name in self.file_names() {
            if name.starts_with(&prefix) && name.ends_with(".tmp") {
                let _ = fs::remove_file(self.path.join(name));
            }
        }
    }

    /// Every entry file, parsed (`None` for garbage), sorted by name.
    pub fn entries(&self) -> Vec<(String, Option<CacheEntry>)> {
        let mut names: Vec<String> = self
            .file_names()
            .into_iter()
            .filter(|n| n.ends_with(".json"))
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

    /// Removes an entry and its temp files (never the lock file: see the module comment).
    pub fn remove(&self, key: &str) -> Result<bool> {
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

/// Held while refreshing one key; dropping it closes the file, which releases the lock.
pub struct KeyLock {
    _file: File,
    /// Whether another process held it first (it may have refreshed the entry meanwhile).
    pub waited: bool,
}

fn read_entry(path: &Path) -> Result<Option<CacheEntry>> {
    let mut file = match private::open_entry(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) if private::is_symlink_refusal(&e) => {
            return Err(unsafe_entry(path, "it is a symbolic link"));
        }
        Err(e) => return Err(unsafe_entry(path, &format!("it cannot be opened ({e})"))),
    };
    let meta = file
        .metadata()
        .map_err(|e| unsafe_entry(path, &e.to_string()))?;
    private::check_entry(path, &meta)?;
    if !meta.is_file() || meta.len() > MAX_ENTRY_BYTES {
        return Ok(None);
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    if file.read_to_end(&mut bytes).is_err() {
        return Ok(None);
    }
    Ok(CacheEntry::from_json(&bytes))
}

fn create_private_dir(path: &Path) -> Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(path)
        .map_err(|e| unusable(path, &format!("it could not be created ({e})")))
}

fn unusable(path: &Path, why: &str) -> Error {
    Error::cache(format!("refusing to use the cache directory {}: {why}", path.display())).hint(format!(
        "Use a directory only you own and can write (chmod 700), e.g. unset {} to use the default, or pass --no-cache.",
        crate::env::CACHE_DIR
    ))
}

fn unsafe_entry(path: &Path, why: &str) -> Error {
    Error::cache(format!(
        "refusing to read the cache entry {}: {why}",
        path.display()
    ))
    .hint("Delete it (xacct-cred cache clear) and check who else can write to the cache directory.")
}

fn lock_failed(path: &Path, why: &str) -> Error {
    Error::cache(format!("could not lock {}: {why}", path.display()))
        .hint("The cache directory must be on a local file system that supports flock; otherwise pass --no-cache.")
}

#[cfg(unix)]
mod private {
    //! Unix: modes, owners, O_NOFOLLOW.
    use super::{Error, Path, unsafe_entry, unusable};
    use std::fs::{File, Metadata, OpenOptions};
    use std::os::unix::fs::{MetadataExt, OpenOptionsExt};

    fn euid() -> u32 {
        // SAFETY: geteuid has no preconditions and cannot fail.
        unsafe { libc::geteuid() }
    }

    pub fn check_dir(path: &Path, meta: &Metadata) -> Result<(), Error> {
        if meta.uid() != euid() {
            return Err(unusable(
                path,
                &format!(
                    "it is owned by uid {}, not by you (uid {})",
                    meta.uid(),
                    euid()
                ),
            ));
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
        if meta.uid() != euid() {
            return Err(unsafe_entry(
                path,
                &format!("it is owned by uid {}, not by you", meta.uid()),
            ));
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

    pub fn create_new(path: &Path) -> std::io::Result<File> {
        OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW)
            .open(path)
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

    pub fn sync_dir(path: &Path) -> std::io::Result<()> {
        File::open(path)?.sync_all()
    }
}

#[cfg(not(unix))]
mod private {
    //! Elsewhere: the per-user profile directory's ACLs protect the cache.
    use super::{Error, Path};
    use std::fs::{File, Metadata, OpenOptions};

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
    pub fn create_new(path: &Path) -> std::io::Result<File> {
        OpenOptions::new().write(true).create_new(true).open(path)
    }
    pub fn open_lock(path: &Path) -> std::io::Result<File> {
        OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
    }
    pub fn sync_dir(_: &Path) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    //! The window and expiry rules with an injected clock: no test sleeps.
    use super::*;

    fn entry_expiring_in(now: OffsetDateTime, secs: i64) -> CacheEntry {
        CacheEntry {
            credentials: SessionCredentials {
                access_key_id: "ASIA".into(),
                secret_access_key: Secret::new("s"),
                session_token: Secret::new("t"),
                expiration: now + time::Duration::seconds(secs),
            },
            role_arn: "arn:aws:iam::111111111111:role/r".into(),
            profile: Some("p".into()),
            source: "source_profile dev".into(),
            created_at: now - time::Duration::seconds(60),
        }
    }

    const W: Duration = DEFAULT_REFRESH_WINDOW;

    #[test]
    fn fresh_means_more_than_the_window_left() {
        let now = OffsetDateTime::UNIX_EPOCH + time::Duration::days(20_000);
        let win = effective_window(W, Duration::from_secs(3600));
        assert_eq!(win, W);
        assert!(entry_expiring_in(now, 961).is_fresh(now, win));
        assert!(!entry_expiring_in(now, 960).is_fresh(now, win));
        // The same entry, 2 seconds later by the clock, is stale.
        assert!(!entry_expiring_in(now, 961).is_fresh(now + time::Duration::seconds(2), win));
        assert!(!entry_expiring_in(now, -5).is_fresh(now, win));
    }

    #[test]
    fn servable_needs_a_margin_and_never_serves_expired() {
        let now = OffsetDateTime::UNIX_EPOCH + time::Duration::days(20_000);
        assert!(entry_expiring_in(now, 600).is_servable(now));
        assert!(!entry_expiring_in(now, 10).is_servable(now));
        assert!(!entry_expiring_in(now, -1).is_servable(now));
    }

    #[test]
    fn short_sessions_get_a_third_of_their_duration_as_window() {
        assert_eq!(
            effective_window(W, Duration::from_secs(900)),
            Duration::from_secs(300)
        );
        assert_eq!(
            effective_window(W, Duration::from_secs(960)),
            Duration::from_secs(320)
        );
        assert_eq!(effective_window(W, Duration::from_secs(961)), W);
        assert!(
            short_session_note(W, Duration::from_secs(900))
                .unwrap()
                .contains("300 s remain")
        );
        assert!(short_session_note(W, Duration::from_secs(3600)).is_none());
    }

    #[test]
    fn entries_round_trip_and_reject_other_versions() {
        let now = OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
        let e = entry_expiring_in(now, 3600);
        assert_eq!(
            CacheEntry::from_json(e.to_json().as_bytes()),
            Some(e.clone())
        );
        let other = e.to_json().replace("\"version\":1", "\"version\":2");
        assert_eq!(CacheEntry::from_json(other.as_bytes()), None);
    }

    #[test]
    fn settings_parse_from_flag_then_variable() {
        let env = Environment::from_pairs([(crate::env::REFRESH_WINDOW, "120")]);
        assert_eq!(
            refresh_window(Some(30), &env).unwrap(),
            Duration::from_secs(30)
        );
        assert_eq!(
            refresh_window(None, &env).unwrap(),
            Duration::from_secs(120)
        );
        assert_eq!(refresh_window(None, &Environment::default()).unwrap(), W);
        let bad = Environment::from_pairs([(crate::env::REFRESH_WINDOW, "2m")]);
        assert!(refresh_window(None, &bad).is_err());
    }
}
