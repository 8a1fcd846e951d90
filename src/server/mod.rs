//! The local credential endpoint: the container credentials protocol that the AWS SDKs and
//! CLIs read by themselves (`AWS_CONTAINER_CREDENTIALS_FULL_URI` plus an authorization token),
//! served on a loopback address from the same cache and renewal as `credential_process`.
//!
//! It listens on loopback addresses only. hyper's HTTP/1 server speaks the protocol (keep-alive,
//! heads of at most 8 KiB); [`request`] decides each answer (401 without the exact token before
//! anything else is looked at, 421 for a Host that is not loopback, GET on a served path only);
//! [`connection`] bounds connections in number and time. Secrets leave only in a 200's body to
//! a request that carried the token — never in a log line, an error or a `Debug`. [`sessions`]
//! owns how a request gets its session; [`token`] the token.

mod connection;
mod eviction;
pub mod request;
pub mod sessions;
pub mod token;

use crate::credentials::{SessionCredentials, format_expiration};
use crate::diag::debug;
use crate::error::{Error, Result, key_id_tail};
use bytes::Bytes;
use http_body_util::Full;
use hyper::Response;
use request::{Decision, Refusal};
use sessions::ServedProfile;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use token::Token;
use tokio::time::Instant;

/// How long a request waits for its profile's session (a renewal is bounded by the source's
/// 15 s and STS's 10 s; the SDKs' own container-credential timeouts are shorter still).
const ANSWER_TIMEOUT: Duration = Duration::from_secs(20);
/// With `--debug`, the first this many 401s get a line each; then one line at most every
/// [`REFUSED_LOG_EVERY`] (a flood must not fill an undrained stderr and stop the endpoint).
const REFUSED_LOGGED: u64 = 10;
const REFUSED_LOG_EVERY: Duration = Duration::from_secs(10);

/// The `--address` value as a loopback address, or why not.
pub fn loopback_address(text: &str) -> Result<IpAddr> {
    let ip = if text.eq_ignore_ascii_case("localhost") {
        IpAddr::V4(Ipv4Addr::LOCALHOST)
    } else {
        text.trim_matches(['[', ']'])
            .parse::<IpAddr>()
            .map_err(|_| {
                Error::config(format!("--address {text}: not an IP address"))
                    .hint("Use 127.0.0.1 (the default), another 127.x.y.z, or ::1.")
            })?
    };
    if !ip.is_loopback() {
        return Err(Error::config(format!(
            "--address {text}: the credential endpoint listens on loopback addresses only (127.0.0.0/8, ::1)"
        ))
        .hint("It hands the role's credentials to anyone who holds its token, over plain HTTP; on any other address both would cross the network. For a container, run it with --network host and use 127.0.0.1."));
    }
    Ok(ip)
}

/// The URL path a profile is served on: `/credentials/NAME`, NAME percent-encoded.
pub fn path_for(profile: &str) -> String {
    let mut path = String::from("/credentials/");
    for b in profile.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            path.push(b as char);
        } else {
            path.push_str(&format!("%{b:02X}"));
        }
    }
    path
}

/// A bound endpoint, not yet serving.
pub struct Endpoint {
    listener: std::net::TcpListener,
    pub addr: SocketAddr,
    shared: Arc<Shared>,
}

struct Shared {
    token: Token,
    profiles: Vec<ServedProfile>,
    refused: AtomicU64,
    /// When the last 401 debug line was written.
    refused_logged: Mutex<Option<Instant>>,
}

impl Endpoint {
    /// Binds `ip:port` (port 0: a free one); `ip` must already be a loopback address.
    pub fn bind(
        ip: IpAddr,
        port: u16,
        token: Token,
        profiles: Vec<ServedProfile>,
    ) -> Result<Endpoint> {
        if !ip.is_loopback() {
            return Err(loopback_address(&ip.to_string()).unwrap_err());
        }
        let listener = std::net::TcpListener::bind((ip, port)).map_err(|e| {
            let addr = SocketAddr::new(ip, port);
            if e.kind() == std::io::ErrorKind::AddrInUse {
                // The token proves a client to us, not us to a client: whoever holds the port
                // gets the requests of clients set up for it, and may answer them.
                return Error::config(format!(
                    "could not listen on {addr}: another process holds the port, possibly another user's; clients set up for it would send it their token and take whatever credentials it answers"
                ))
                .hint("Leave --port out (a free port each run), or find the holder (ss -ltnp 'sport = :PORT', lsof -i :PORT) and point the clients at a port of yours.");
            }
            Error::config(format!("could not listen on {addr}: {e}"))
                .hint("Choose another --port, or leave --port out for a free one.")
        })?;
        let addr = listener
            .local_addr()
            .map_err(|e| Error::config(format!("could not read the endpoint's address: {e}")))?;
        listener
            .set_nonblocking(true)
            .map_err(|e| Error::config(format!("could not set up the endpoint's socket: {e}")))?;
        Ok(Endpoint {
            listener,
            addr,
            shared: Arc::new(Shared {
                token,
                profiles,
                refused: AtomicU64::new(0),
                refused_logged: Mutex::new(None),
            }),
        })
    }

    pub fn token(&self) -> &Token {
        &self.shared.token
    }

    pub fn address(&self) -> SocketAddr {
        self.addr
    }

    /// `(profile, full URI)` for each served profile.
    pub fn urls(&self) -> Vec<(String, String)> {
        let host = match self.addr {
            SocketAddr::V4(a) => format!("{}:{}", a.ip(), a.port()),
            SocketAddr::V6(a) => format!("[{}]:{}", a.ip(), a.port()),
        };
        let urls = self.shared.profiles.iter();
        urls.map(|p| (p.name.clone(), format!("http://{host}{}", p.path)))
            .collect()
    }

    /// Starts serving on the current tokio runtime; serving stops when the runtime does.
    /// Returns a handle that reports how many requests were refused for lack of the token.
    pub fn start(self) -> Result<RefusedCount> {
        let listener = tokio::net::TcpListener::from_std(self.listener)
            .map_err(|e| Error::config(format!("could not set up the endpoint's socket: {e}")))?;
        let shared = self.shared.clone();
        debug(|| format!("credential endpoint listening on {}", self.addr));
        tokio::spawn(connection::accept_loop(listener, shared));
        Ok(RefusedCount(self.shared))
    }
}

/// How many requests the endpoint refused with 401.
pub struct RefusedCount(Arc<Shared>);

impl RefusedCount {
    pub fn get(&self) -> u64 {
        self.0.refused.load(Ordering::Relaxed)
    }
}

/// The reply to one request: [`request::decide`], then the profile's session for a 200.
async fn respond<B>(req: &hyper::Request<B>, shared: &Shared) -> Response<Full<Bytes>> {
    let head = request::Head {
        method: req.method(),
        uri: req.uri(),
        version: req.version(),
        headers: req.headers(),
    };
    let paths = shared.profiles.iter().map(|p| p.path.as_str());
    let profile = match request::decide(&head, &shared.token, paths) {
        Decision::Serve(i) => &shared.profiles[i],
        Decision::Refuse(refusal) => {
            if refusal == Refusal::Unauthorized {
                refused(&head, shared);
            }
            return request::reply(refusal.status(), refusal.body());
        }
    };
    let Ok(answer) = tokio::time::timeout(ANSWER_TIMEOUT, profile.credentials()).await else {
        // A renewal that hangs (a stuck source) must not hold this connection's slot for ever.
        return request::reply(
            503,
            request::error_body(
                "CredentialsUnavailable",
                &format!(
                    "the session for {} did not come within {} s",
                    profile.name,
                    ANSWER_TIMEOUT.as_secs()
                ),
            ),
        );
    };
    match answer {
        Ok(creds) => {
            debug(|| {
                format!(
                    "served {} ({})",
                    profile.name,
                    key_id_tail(&creds.access_key_id)
                )
            });
            request::reply(200, container_json(&creds, &profile.role_arn))
        }
        Err(e) => {
            crate::diag::say(&format!("{}: {e}", profile.name));
            let status = if e.kind().is_transient() { 503 } else { 500 };
            request::reply(
                status,
                request::error_body("CredentialsUnavailable", e.what()),
            )
        }
    }
}

/// Counts a 401 and, with `--debug`, says so: the first [`REFUSED_LOGGED`], then one line at
/// most every [`REFUSED_LOG_EVERY`] (the total comes at shutdown).
fn refused(head: &request::Head, shared: &Shared) {
    let n = shared.refused.fetch_add(1, Ordering::Relaxed) + 1;
    let now = Instant::now();
    let lock = shared.refused_logged.lock();
    let mut last = lock.unwrap_or_else(PoisonError::into_inner);
    if n > REFUSED_LOGGED && last.is_some_and(|at| now < at + REFUSED_LOG_EVERY) {
        return;
    }
    *last = Some(now);
    drop(last);
    debug(|| {
        let authorization = head.headers.contains_key(hyper::header::AUTHORIZATION);
        let what = if authorization { "a wrong" } else { "no" };
        let more = match n >= REFUSED_LOGGED {
            true => format!("; from here on one line every {REFUSED_LOG_EVERY:?} at most"),
            false => String::new(),
        };
        let path = printable(head.uri.path());
        format!(
            "401 for {} {path}: {what} Authorization token ({n} refused so far{more})",
            head.method
        )
    });
}

/// For a log line: at most the first 96 bytes of `text` (a client chooses it and may make it
/// 8 KiB), each byte that is not visible ASCII percent-encoded (a control character or a
/// right-to-left override would change what the terminal shows).
fn printable(text: &str) -> String {
    const SHOWN: usize = 96;
    let mut out = String::with_capacity(SHOWN * 3 + 3);
    for b in text.bytes().take(SHOWN) {
        if b.is_ascii_graphic() {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    if text.len() > SHOWN {
        out.push('…');
    }
    out
}

/// The container credentials document.
fn container_json(creds: &SessionCredentials, role_arn: &str) -> String {
    serde_json::json!({
        "AccessKeyId": creds.access_key_id,
        "SecretAccessKey": creds.secret_access_key.expose(),
        "Token": creds.session_token.expose(),
        "Expiration": format_expiration(creds.expiration),
        "RoleArn": role_arn,
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_logged_path_is_short_and_shows_no_control_character() {
        assert_eq!(printable("/a\u{1b}[2J"), "/a%1B[2J");
        assert_eq!(printable(&"/x".repeat(4000)).len(), 96 + "…".len());
    }

    #[test]
    fn only_loopback_addresses_are_accepted() {
        assert!(loopback_address("127.0.0.1").is_ok());
        assert!(loopback_address("127.8.9.10").is_ok());
        assert!(loopback_address("::1").is_ok());
        assert!(loopback_address("[::1]").is_ok());
        assert!(loopback_address("localhost").is_ok());
        for bad in [
            "0.0.0.0",
            "::",
            "192.168.1.10",
            "169.254.170.2",
            "10.0.0.1",
            "example.com",
        ] {
            let e = loopback_address(bad).unwrap_err();
            assert!(e.what().contains(bad), "{e}");
        }
    }

    #[test]
    fn paths_encode_every_odd_byte() {
        assert_eq!(
            path_for("prod-readonly_1.x"),
            "/credentials/prod-readonly_1.x"
        );
        assert_eq!(path_for("a b/c%"), "/credentials/a%20b%2Fc%25");
    }
}
