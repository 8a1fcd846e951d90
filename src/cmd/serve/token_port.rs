//! `serve --token-file`'s address, kept across runs. The clients of an earlier serve keep
//! reading the token file, so whatever token it holds next goes to the address they were given:
//! a later serve with the same file listens there again, or publishes nothing — else another
//! user who took the freed port would receive the new, live token. The address is remembered
//! per token-file path, in a small record in the cache directory.

use crate::cache::{CacheDir, StoreSettings};
use crate::error::{Error, Result};
use sha2::{Digest, Sha256};
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

/// The address an earlier serve with this token file gave its clients, if one did.
pub(super) struct TokenPort {
    dir: CacheDir,
    record: String,
    token_file: PathBuf,
    earlier: Option<SocketAddr>,
}

impl TokenPort {
    pub fn recall(store: &StoreSettings, token_file: &Path) -> Result<TokenPort> {
        let token_file = std::path::absolute(token_file)
            .map_err(|e| Error::config(format!("--token-file {}: {e}", token_file.display())))?;
        let digest = Sha256::digest(token_file.as_os_str().as_encoded_bytes());
        let hex: String = digest[..10].iter().map(|b| format!("{b:02x}")).collect();
        let record = format!("endpoint-{hex}.addr");
        let dir = CacheDir::open(store.locate()?)?;
        let earlier = dir
            .read_record(&record)?
            .and_then(|text| text.lines().next()?.trim().parse().ok());
        Ok(TokenPort {
            dir,
            record,
            token_file,
            earlier,
        })
    }

    /// The port to listen on: the earlier run's, which `flag` (`--port`, 0 when not given) and
    /// `ip` must agree with; `flag` when no serve used this token file before.
    pub fn port(&self, ip: IpAddr, flag: u16) -> Result<u16> {
        match self.earlier {
            None => Ok(flag),
            Some(a) if a.ip() == ip && (flag == 0 || flag == a.port()) => Ok(a.port()),
            Some(a) => Err(self.refusal(format!(
                "an earlier serve gave the clients of this token file the address {a}, and they read each new token from it; serving on {} would send that token to {a}, which another user may hold",
                SocketAddr::new(ip, flag)
            ))),
        }
    }

    /// `bind`'s error when the earlier run's port could not be had again.
    pub fn held(&self, e: Error) -> Error {
        match self.earlier {
            None => e,
            Some(a) => self.refusal(format!(
                "the clients of this token file were given {a} by an earlier serve, and it cannot be listened on again ({}); a token published now would reach whoever holds it",
                e.what()
            )),
        }
    }

    pub fn remember(&self, addr: SocketAddr) -> Result<()> {
        if self.earlier == Some(addr) {
            return Ok(());
        }
        let text = format!("{addr}\n{}\n", self.token_file.display());
        self.dir.write_record(&self.record, &text)
    }

    fn refusal(&self, why: String) -> Error {
        Error::config(format!("--token-file {}: {why}", self.token_file.display())).hint(format!(
            "Stop what holds that port if it is yours, or use a new --token-file path and give the clients the new variables. If no client of the earlier serve is left, remove {} to forget its address.",
            self.dir.path().join(&self.record).display()
        ))
    }
}
