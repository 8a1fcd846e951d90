//! The process environment, read once, in one place.
//!
//! Every AWS variable xacct-cred reads goes through [`Environment`], so tests hand the plan a
//! made-up environment instead of mutating the real one. The variables xacct-cred itself
//! defines are named here once; those that set a flag are read by clap beside it (`cli.rs`, so
//! `--help` and the man page show them), and docs/REFERENCE.md (generated from them) lists them.

use std::collections::HashMap;

/// Variables that xacct-cred defines (clap shows each beside its flag; docs/REFERENCE.md lists them).
pub const CACHE_DIR: &str = "XACCT_CRED_CACHE_DIR";
pub const REFRESH_WINDOW: &str = "XACCT_CRED_REFRESH_WINDOW";
pub const LOCK_TIMEOUT: &str = "XACCT_CRED_LOCK_TIMEOUT";
pub const BLOCKING_MARGIN: &str = "XACCT_CRED_BLOCKING_MARGIN";
pub const BACKGROUND_REFRESH: &str = "XACCT_CRED_BACKGROUND_REFRESH";
pub const TOKEN_CODE: &str = "XACCT_CRED_TOKEN_CODE";
pub const DEBUG: &str = "XACCT_CRED_DEBUG";
pub const CHAIN: &str = "XACCT_CRED_CHAIN";
pub const KEYS_BACKEND: &str = "XACCT_CRED_KEYS_BACKEND";
pub const KEYS_FILE: &str = "XACCT_CRED_KEYS_FILE";
pub const FILE_PASSPHRASE: &str = "XACCT_CRED_FILE_PASSPHRASE";
/// Set by a server (serve, exec --server) in its own environment, a value of its own: what its
/// source helpers start carries it (see `leftovers`).
pub const SERVER_MARK: &str = "XACCT_CRED_SERVER_MARK";

/// A snapshot of the environment variables that are valid UTF-8.
#[derive(Debug, Clone, Default)]
pub struct Environment {
    vars: HashMap<String, String>,
}

impl Environment {
    pub fn from_process() -> Self {
        let vars = std::env::vars_os()
            .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
            .collect();
        Environment { vars }
    }

    #[cfg(any(test, feature = "fuzzing"))]
    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        Environment {
            vars: pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        }
    }

    /// The value, if set and not empty (AWS tools treat an empty variable as unset).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// `true`/`1`, case-insensitively, as the AWS SDKs read boolean variables.
    pub fn flag(&self, name: &str) -> bool {
        self.get(name)
            .is_some_and(|v| v.eq_ignore_ascii_case("true") || v == "1")
    }

    /// The same variables in the form the aws-config profile loader takes.
    pub fn to_aws_env(&self) -> aws_types::os_shim_internal::Env {
        aws_types::os_shim_internal::Env::from(self.vars.clone())
    }

    pub fn home(&self) -> Option<&str> {
        self.get("HOME").or_else(|| self.get("USERPROFILE"))
    }

    /// The key store these variables name, as the cache key tells stored sources apart: the
    /// backend, and the file store's path (two key files may hold two users' keys).
    pub fn key_store_named(&self) -> Option<String> {
        match (self.get(KEYS_BACKEND), self.get(KEYS_FILE)) {
            (None, None) => None,
            (b, None) => b.map(str::to_string),
            (b, Some(file)) => Some(format!("{} {file}", b.unwrap_or("file"))),
        }
    }
}
