//! `serve --token-file`'s address, kept across runs. The clients of an earlier serve keep
//! reading the token file, so whatever token it holds next goes to the address they were given:
//! a later serve with the same file listens there again, or publishes nothing — else another
//! user who took the freed port would receive the new, live token.
//!
//! The address is kept beside the token file (`.NAME.xacct-cred-addr`, 0600, never removed), so
//! every spelling of the path and every cache directory finds the same record, and a copy in the
//! cache directory under the token file's resolved path, for a directory that is wiped between
//! runs (a systemd `RuntimeDirectory`, a tmpfs). Either one binds the next run; two that differ
//! stop it; a run that cannot write both publishes nothing. The record beside the file is read
//! like an old token file (no link followed, no FIFO waited on, this user's regular file,
//! small); both are replaced atomically.

use super::token_file::{not_ours, open_old};
use crate::cache::{CacheDir, StoreSettings};
use crate::disk::private_file;
use crate::error::{Error, Result};
use sha2::{Digest, Sha256};
use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

/// The address an earlier serve with this token file gave its clients, if one did.
pub(super) struct TokenPort {
    token_file: PathBuf,
    record: PathBuf,
    /// The cache directory and the copies' names there (under the path as spelled and as
    /// resolved).
    cache: CacheDir,
    copies: Vec<String>,
    earlier: Option<SocketAddr>,
}

impl TokenPort {
    /// Reads the record. `stale_token` says a token file an earlier serve left is there: with
    /// no record beside it, its clients' address is unknown, and nothing may be published.
    pub fn recall(
        token_file: &Path,
        stale_token: bool,
        store: &StoreSettings,
    ) -> Result<TokenPort> {
        let name = token_file
            .file_name()
            .map_or("token".into(), |n| n.to_string_lossy());
        let dir = private_file::parent_of(token_file);
        let record = dir.join(format!(".{name}.xacct-cred-addr"));
        // The copies' names: the token file's path as spelled (absolute) and as resolved (links,
        // `..`). Either finds the address: a link another user swaps in on the way changes the
        // one, a new spelling the other.
        let absolute = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
        let resolved = std::fs::canonicalize(dir).unwrap_or_else(|_| absolute.clone());
        let mut names: Vec<String> = [absolute, resolved]
            .iter()
            .map(|d| {
                let digest = Sha256::digest(d.join(&*name).as_os_str().as_encoded_bytes());
                let hex: String = digest[..10].iter().map(|b| format!("{b:02x}")).collect();
                format!("endpoint-{hex}.addr")
            })
            .collect();
        names.dedup();
        let cache = cache_for_copies(token_file, store)?;
        let mut port = TokenPort {
            token_file: token_file.to_path_buf(),
            record,
            cache,
            copies: names,
            earlier: None,
        };
        let beside = port.read()?;
        let copied: Vec<SocketAddr> = port
            .copies
            .iter()
            .filter_map(|n| read_copy(&port.cache, n))
            .collect();
        let mut found = beside.into_iter().chain(copied);
        port.earlier = found.next();
        if let (Some(a), Some(b)) = (port.earlier, found.find(|b| Some(*b) != port.earlier)) {
            return Err(port.refusal(
                format!(
                    "its address records differ ({a}, {b}), so where its clients call is unknown"
                ),
                &port.forget_hint(),
            ));
        }
        if port.earlier.is_none() && stale_token {
            return Err(port.refusal(
                "a token file an earlier serve left is there, but not the address it gave its clients, who would send the next token there".into(),
                "Remove the token file if no client of that serve is left, or use a new --token-file path and give the clients the new variables.",
            ));
        }
        Ok(port)
    }

    fn read(&self) -> Result<Option<SocketAddr>> {
        let unreadable = |why: String| {
            self.refusal(
                format!("the address record {} {why}", self.record.display()),
                "Remove it if it is yours and no client of an earlier serve is left, or use a new --token-file path.",
            )
        };
        let file = match open_old(&self.record) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(unreadable(format!("cannot be opened ({e})"))),
        };
        let meta = file
            .metadata()
            .map_err(|e| unreadable(format!("cannot be examined ({e})")))?;
        if let Some(why) =
            not_ours(&meta).or_else(|| (!meta.is_file()).then(|| "is not a regular file".into()))
        {
            return Err(unreadable(why));
        }
        let mut text = String::new();
        let _ = file.take(512).read_to_string(&mut text);
        match text.lines().next().and_then(|l| l.trim().parse().ok()) {
            Some(addr) => Ok(Some(addr)),
            None => Err(unreadable("holds no address".into())),
        }
    }

    /// The port to listen on: the earlier run's, which `flag` (`--port`, 0 when not given) and
    /// `ip` must agree with; `flag` when no serve used this token file before.
    pub fn port(&self, ip: IpAddr, flag: u16) -> Result<u16> {
        match self.earlier {
            None => Ok(flag),
            Some(a) if a.ip() == ip && (flag == 0 || flag == a.port()) => Ok(a.port()),
            Some(a) => Err(self.refusal(
                format!(
                    "an earlier serve gave the clients of this token file the address {a}, and they read each new token from it; serving on {} would send that token to {a}, which another user may hold",
                    SocketAddr::new(ip, flag)
                ),
                &self.forget_hint(),
            )),
        }
    }

    /// `bind`'s error when the earlier run's port could not be had again.
    pub fn held(&self, e: Error) -> Error {
        match self.earlier {
            None => e,
            Some(a) => self.refusal(
                format!(
                    "the clients of this token file were given {a} by an earlier serve, and it cannot be listened on again ({}); a token published now would reach whoever holds it",
                    e.what()
                ),
                &self.forget_hint(),
            ),
        }
    }

    /// Records `addr` (before the token is published: a token file never exists without it).
    pub fn remember(&self, addr: SocketAddr) -> Result<()> {
        // Each record on its own: one may be missing (a wiped directory, an older version that
        // kept only the one beside the file, a copy that could not be written last time). The
        // copy first: one that cannot be written (a full disk another user caused) stops this
        // run before the record beside the file names an address no client was given.
        let mut written = Vec::new();
        let result = (|| {
            for (dir, name) in self.copies() {
                if read_copy(dir, name) != Some(addr) {
                    let text = format!("{addr}\n{}\n", self.token_file.display());
                    dir.write_record(name, &text)
                        .map_err(|e| self.without_copy(e.what()))?;
                    written.push(name);
                }
            }
            if self.read().ok().flatten() != Some(addr) {
                self.write_beside(addr)?;
            }
            Ok(())
        })();
        // A first run stopped here gave no client this address: what it wrote of it goes, or
        // it would bind every later run to a port another user may then take.
        if result.is_err() && self.earlier.is_none() {
            for name in written {
                let _ = std::fs::remove_file(self.cache.path().join(name));
            }
        }
        result
    }

    /// The refusal when the copy cannot be kept: without it, a token directory wiped between
    /// runs would look like one never served from, and another user who could make the write
    /// fail (fill the disk) would then receive the next token on the old port.
    fn without_copy(&self, why: &str) -> Error {
        self.refusal(
            format!(
                "no copy of its address can be kept in the cache directory ({why}); without it, should the token file's directory be wiped, the next serve would publish its token where its clients do not call"
            ),
            "Make room on the cache directory's disk or make it writable (or set XACCT_CRED_CACHE_DIR, or --cache-dir, to a directory only you can write), then start serve again. Nothing was published.",
        )
    }

    fn write_beside(&self, addr: SocketAddr) -> Result<()> {
        let dir = private_file::parent_of(&self.record);
        let write = || -> std::io::Result<()> {
            let (file, tmp) = private_file::create_random(dir, ".xacct-cred-addr", 0o600)?;
            let text = format!("{addr}\n{}\n", self.token_file.display());
            private_file::commit(file, &tmp, &self.record, |f| f.write_all(text.as_bytes()))
        };
        write().map_err(|e| {
            Error::config(format!(
                "--token-file {}: could not record its address in {}: {e}",
                self.token_file.display(),
                self.record.display()
            ))
            .hint("Choose a --token-file path in a directory you own and can write.")
        })
    }

    fn forget_hint(&self) -> String {
        let copy: String = self
            .copies()
            .map(|(dir, name)| format!(" and {}", dir.path().join(name).display()))
            .collect();
        format!(
            "Stop what holds that port if it is yours, or use a new --token-file path and give the clients the new variables. If no client of the earlier serve is left, remove {}{copy} to forget its address.",
            self.record.display()
        )
    }

    fn copies(&self) -> impl Iterator<Item = (&CacheDir, &String)> {
        self.copies.iter().map(|n| (&self.cache, n))
    }

    fn refusal(&self, why: String, hint: &str) -> Error {
        Error::config(format!("--token-file {}: {why}", self.token_file.display())).hint(hint)
    }
}

/// The cache directory that keeps the copies. Refused when another user could move it away
/// (with the copy, and an empty one would be made in its place: the next serve could not tell
/// that from never having served), and when it cannot be used at all (a read-only disk, no
/// home directory): the copy is what keeps the address when the token file's directory is
/// wiped, and another user who could make it fail (fill the disk) would otherwise choose when.
fn cache_for_copies(token_file: &Path, store: &StoreSettings) -> Result<CacheDir> {
    let unusable = |e: Error| {
        Error::config(format!(
            "--token-file {}: no copy of its address can be kept in the cache directory ({}); without it, should the token file's directory be wiped, the next serve would publish its token where its clients do not call",
            token_file.display(),
            e.what()
        ))
        .hint("Make the cache directory usable (or set XACCT_CRED_CACHE_DIR, or --cache-dir, to a directory only you can write), then start serve again. Nothing was published.")
    };
    let dir = store.locate().map_err(unusable)?;
    crate::disk::path_walk::refuse_others_paths(
        &dir,
        &format!(
            "serve --token-file {} does not keep its address in the cache directory",
            token_file.display()
        ),
        "Another user could move the cache directory away, and with it the copy of the address the token file's clients keep: the next serve would publish its token to a port they may hold. Set XACCT_CRED_CACHE_DIR (or --cache-dir) to a directory only you can write, on a path only you or root can change, or, if no one else should write to the directory named, `chmod go-w` it. Nothing was written.",
    )?;
    CacheDir::open(dir).map_err(unusable)
}

/// The address a copy in the cache directory holds, if it is there and reads.
fn read_copy(dir: &CacheDir, name: &str) -> Option<SocketAddr> {
    let text = dir.read_record(name).ok()??;
    text.lines().next()?.trim().parse().ok()
}
