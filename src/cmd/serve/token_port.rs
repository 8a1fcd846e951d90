//! `serve --token-file`'s address, kept across runs. The clients of an earlier serve keep
//! reading the token file, so whatever token it holds next goes to the address they were given:
//! a later serve with the same file listens there again, or publishes nothing — else another
//! user who took the freed port would receive the new, live token.
//!
//! The address is kept beside the token file (`.NAME.xacct-cred-addr`, 0600, never removed), so
//! every spelling of the path and every cache directory finds the same record. It is read like
//! an old token file (no link followed, no FIFO waited on, this user's regular file, small) and
//! replaced atomically.

use super::token_file::{not_ours, open_old};
use crate::disk::private_file;
use crate::error::{Error, Result};
use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

/// The address an earlier serve with this token file gave its clients, if one did.
pub(super) struct TokenPort {
    token_file: PathBuf,
    record: PathBuf,
    earlier: Option<SocketAddr>,
}

impl TokenPort {
    /// Reads the record. `stale_token` says a token file an earlier serve left is there: with
    /// no record beside it, its clients' address is unknown, and nothing may be published.
    pub fn recall(token_file: &Path, stale_token: bool) -> Result<TokenPort> {
        let name = token_file
            .file_name()
            .map_or("token".into(), |n| n.to_string_lossy());
        let record = private_file::parent_of(token_file).join(format!(".{name}.xacct-cred-addr"));
        let mut port = TokenPort {
            token_file: token_file.to_path_buf(),
            record,
            earlier: None,
        };
        port.earlier = port.read()?;
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
        if self.earlier == Some(addr) {
            return Ok(());
        }
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
        format!(
            "Stop what holds that port if it is yours, or use a new --token-file path and give the clients the new variables. If no client of the earlier serve is left, remove {} to forget its address.",
            self.record.display()
        )
    }

    fn refusal(&self, why: String, hint: &str) -> Error {
        Error::config(format!("--token-file {}: {why}", self.token_file.display())).hint(hint)
    }
}
