//! The one error type of xacct-cred: what went wrong, what to do about it, and the exit code.
//!
//! Every failure a user can meet is an [`Error`] whose `what` names the failing step and the
//! profile or role it was for, and whose `hint` says what to do. Messages are written for the
//! stderr of a `credential_process`, which the AWS CLI shows verbatim. They must never contain a
//! secret access key or a session token: build them from ARNs, profile names and key *ids* only.

use std::fmt;

/// What kind of failure this is; decides the exit code and whether a still-valid cache entry
/// may be served instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Flags, profile files or the plan built from them are wrong. Nothing was sent anywhere.
    Config,
    /// The source credential (profile keys, environment, IMDS, ECS) could not be had, and
    /// trying again will not help (no role attached, keys missing, a refusal).
    Source,
    /// The source credential could not be had for a reason that may pass (IMDS or the ECS
    /// endpoint timing out or failing with 5xx, a source credential_process failing…). Like
    /// [`Kind::StsUnavailable`], it lets a still-valid cache entry be served.
    SourceUnavailable,
    /// STS answered and refused (denied, invalid parameters, bad source keys).
    Sts,
    /// STS could not be reached or did not answer usefully (network, timeout, throttling, 5xx).
    /// Lets a still-valid cache entry be served.
    StsUnavailable,
    /// The cache directory or its lock could not be used.
    Cache,
    /// The cache directory cannot take a new file (disk or inodes full, quota, a read-only
    /// file system): not a safety refusal, so the call goes on without the cache.
    CacheUnwritable,
    /// An MFA code was needed and could not be had.
    Mfa,
    /// `exec`: the command does not exist (the shells' 127).
    CommandNotFound,
    /// `exec`: the command exists but cannot be run (the shells' 126).
    CommandNotRunnable,
}

impl Kind {
    /// Exit codes are part of the interface: scripts on build agents branch on them.
    pub fn exit_code(self) -> i32 {
        match self {
            Kind::Config => 2,
            Kind::Source | Kind::SourceUnavailable => 3,
            Kind::Sts => 4,
            Kind::StsUnavailable => 5,
            Kind::Cache | Kind::CacheUnwritable => 6,
            Kind::Mfa => 7,
            Kind::CommandNotFound => 127,
            Kind::CommandNotRunnable => 126,
        }
    }
}

impl Kind {
    /// A failure that may pass by itself: the cached session, if still valid, is served
    /// instead, and renewal is retried later. Refusals (denied, invalid keys, bad parameters)
    /// are never transient.
    pub fn is_transient(self) -> bool {
        matches!(self, Kind::StsUnavailable | Kind::SourceUnavailable)
    }
}

/// A failure with the sentence a person needs to fix it.
#[derive(Debug, Clone)]
pub struct Error {
    kind: Kind,
    what: String,
    hint: Option<String>,
    /// STS said it throttles: a retry soon only adds to it.
    throttled: bool,
}

impl Error {
    pub fn new(kind: Kind, what: impl Into<String>) -> Self {
        Error {
            kind,
            what: what.into(),
            hint: None,
            throttled: false,
        }
    }

    pub fn config(what: impl Into<String>) -> Self {
        Self::new(Kind::Config, what)
    }

    pub fn source(what: impl Into<String>) -> Self {
        Self::new(Kind::Source, what)
    }

    pub fn cache(what: impl Into<String>) -> Self {
        Self::new(Kind::Cache, what)
    }

    /// A cache error from `e`: [`Kind::CacheUnwritable`] when the file system cannot take a new
    /// file (no space or inodes, quota, read-only), else [`Kind::Cache`].
    pub fn cache_io(e: &std::io::Error, what: impl Into<String>) -> Self {
        let full = matches!(
            e.kind(),
            std::io::ErrorKind::StorageFull
                | std::io::ErrorKind::QuotaExceeded
                | std::io::ErrorKind::ReadOnlyFilesystem
        );
        Self::new(
            if full {
                Kind::CacheUnwritable
            } else {
                Kind::Cache
            },
            what,
        )
    }

    /// Adds (or replaces) the advice sentence.
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Adds to the end of the first sentence (what happened), e.g. a status that was read late.
    pub fn append(mut self, more: &str) -> Self {
        self.what.push_str(more);
        self
    }

    /// Marks a throttling reply (see [`Error::is_throttled`]).
    pub fn throttled(mut self) -> Self {
        self.throttled = true;
        self
    }

    /// Whether STS said it throttles: a renewal that retries within the minute only adds load
    /// that every other host of the account shares.
    pub fn is_throttled(&self) -> bool {
        self.throttled
    }

    pub fn kind(&self) -> Kind {
        self.kind
    }

    pub fn exit_code(&self) -> i32 {
        self.kind.exit_code()
    }

    pub fn what(&self) -> &str {
        &self.what
    }

    pub fn hint_text(&self) -> Option<&str> {
        self.hint.as_deref()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.what)?;
        if let Some(hint) = &self.hint {
            write!(f, "\n{hint}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Shows an access key id by its last four characters, as aws-vault does in its debug output.
pub fn key_id_tail(access_key_id: &str) -> String {
    let n = access_key_id.chars().count();
    let tail: String = access_key_id.chars().skip(n.saturating_sub(4)).collect();
    format!("…{tail}")
}

/// An error and its causes as one line, `outer: inner: root`, without the Debug dumps that
/// `DisplayErrorContext` appends (too long for a paragraph on stderr).
pub fn causes(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = next {
        let text = err.to_string();
        if !text.is_empty() && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        next = err.source();
    }
    parts.join(": ")
}
