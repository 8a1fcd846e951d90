//! The local credential endpoint: the container credentials protocol that the AWS SDKs and
//! CLIs read by themselves (`AWS_CONTAINER_CREDENTIALS_FULL_URI` plus an authorization token),
//! served on a loopback address from the same cache and renewal as `credential_process`.
//!
//! What it guarantees: it listens on loopback addresses only; a request without the exact
//! token gets 401 before anything else is looked at (so paths cannot be probed), and is
//! counted; only `GET` on a served profile's path is answered; request heads are bounded in
//! bytes, header lines and read time ([`http`]), and connections in number (a new one closes
//! the connection silent longest; if none is silent it waits for a slot); a `Host` that is not a loopback name is refused (DNS rebinding). Secrets
//! leave only in the body of a 200 to a request that carried the token — never in a log line,
//! an error or a `Debug`. [`sessions`] owns how a request gets its session; [`token`] the token.

pub mod http;
pub mod sessions;
pub mod token;

use crate::credentials::{SessionCredentials, format_expiration};
use crate::diag::debug;
use crate::error::{Error, Result, key_id_tail};
use sessions::ServedProfile;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use token::Token;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Semaphore;

/// Connections handled at once. One more arriving closes the one that has been silent longest
/// (connected, no request yet); when none is silent, it waits for a slot.
pub const MAX_CONNECTIONS: usize = 64;
/// The time a client has to send its whole request head (a silent client holds a slot no longer).
pub const READ_TIMEOUT: Duration = Duration::from_secs(5);
/// How often a connection waiting for a slot closes the next silent one.
const EVICT_RETRY: Duration = Duration::from_millis(100);
/// The time a client has to take the reply.
const WRITE_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a request waits for its profile's session (a renewal is bounded by the source's
/// 15 s and STS's 10 s; the SDKs' own container-credential timeouts are shorter still).
const ANSWER_TIMEOUT: Duration = Duration::from_secs(20);

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
        // This process will run a command of its own (exec --server) and renew several
        // profiles at once: a given-up source must not take any of that down with it.
        crate::leftovers::keep_all();
        let listener = std::net::TcpListener::bind((ip, port)).map_err(|e| {
            Error::config(format!(
                "could not listen on {}: {e}",
                SocketAddr::new(ip, port)
            ))
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
            }),
        })
    }

    pub fn token(&self) -> &Token {
        &self.shared.token
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
        tokio::spawn(accept_loop(listener, shared));
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

async fn accept_loop(listener: tokio::net::TcpListener, shared: Arc<Shared>) {
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let silent = Arc::new(Silent::default());
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _peer)) => stream,
            Err(e) => {
                // Out of descriptors, or a connection reset before it was accepted: pause a
                // moment rather than spin.
                debug(|| format!("accept failed: {e}"));
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            }
        };
        // Every slot taken: the connection that has been silent longest gives up its slot
        // (a client that connects and sends nothing must not keep the SDKs out); with none
        // silent, every slot is answering, and this one waits for the first to finish.
        // (Evicted again every 100 ms while waiting: the one signalled may have sent its head
        // at that moment and be answered instead of closed.)
        let slot = loop {
            if let Ok(slot) = slots.clone().try_acquire_owned() {
                break slot;
            }
            silent.evict_oldest();
            let wait = tokio::time::timeout(EVICT_RETRY, slots.clone().acquire_owned()).await;
            match wait {
                Ok(Ok(slot)) => break slot,
                Ok(Err(_)) => return,
                Err(_) => continue,
            }
        };
        // Registered before its task first runs, so that a burst of connections accepted in
        // one go can be evicted before any of them has been polled.
        let (id, close) = silent.enter();
        let (shared, silent) = (shared.clone(), silent.clone());
        tokio::spawn(async move {
            handle(stream, &shared, &silent, id, &close).await;
            drop(slot);
        });
    }
}

/// The connections still waiting for their request head, oldest first, each with the signal
/// that closes it.
#[derive(Default)]
struct Silent {
    waiting: std::sync::Mutex<std::collections::VecDeque<(u64, Arc<tokio::sync::Notify>)>>,
    next: AtomicU64,
}

impl Silent {
    /// (Nothing panics while holding it; were it poisoned, the list is still right.)
    fn lock(
        &self,
    ) -> std::sync::MutexGuard<'_, std::collections::VecDeque<(u64, Arc<tokio::sync::Notify>)>>
    {
        self.waiting
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn enter(&self) -> (u64, Arc<tokio::sync::Notify>) {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let close = Arc::new(tokio::sync::Notify::new());
        self.lock().push_back((id, close.clone()));
        (id, close)
    }

    fn leave(&self, id: u64) {
        self.lock().retain(|(i, _)| *i != id);
    }

    fn evict_oldest(&self) {
        let oldest = self.lock().pop_front();
        if let Some((_, close)) = oldest {
            debug(|| "every connection slot taken: closed the one silent longest".into());
            close.notify_one();
        }
    }
}

async fn handle(
    mut stream: TcpStream,
    shared: &Shared,
    silent: &Silent,
    id: u64,
    close: &tokio::sync::Notify,
) {
    // The head, unless the connection is closed for a newer one first.
    let head = {
        let mut read = std::pin::pin!(tokio::time::timeout(READ_TIMEOUT, read_head(&mut stream)));
        let mut closed = std::pin::pin!(close.notified());
        std::future::poll_fn(|cx| {
            use std::future::Future;
            use std::task::Poll;
            if let Poll::Ready(head) = read.as_mut().poll(cx) {
                return Poll::Ready(Some(head));
            }
            closed.as_mut().poll(cx).map(|()| None)
        })
        .await
    };
    silent.leave(id);
    let Some(head) = head else {
        return;
    };
    let reply = match head {
        Err(_) => http::response(
            408,
            &http::error_body("RequestTimeout", "the request was not sent in time"),
        ),
        Ok(Err(reject)) => rejected(reject),
        Ok(Ok(None)) => return,
        Ok(Ok(Some(head))) => answer(&head, shared).await,
    };
    let _ = tokio::time::timeout(WRITE_TIMEOUT, async {
        stream.write_all(&reply).await?;
        stream.shutdown().await
    })
    .await;
}

/// Reads until the blank line that ends the head; `None` if the client went away first.
async fn read_head(stream: &mut TcpStream) -> std::result::Result<Option<Vec<u8>>, http::Reject> {
    let mut buf = vec![0u8; http::MAX_HEAD_BYTES];
    let mut filled = 0;
    loop {
        if filled == buf.len() {
            return Err(http::Reject::TooLarge);
        }
        match stream.read(&mut buf[filled..]).await {
            Ok(0) | Err(_) => return Ok(None),
            Ok(n) => filled += n,
        }
        if let Some(len) = http::head_len(&buf[..filled]) {
            buf.truncate(len);
            return Ok(Some(buf));
        }
    }
}

fn rejected(reject: http::Reject) -> Vec<u8> {
    let message = match reject {
        http::Reject::Malformed => "not an HTTP/1.1 request this endpoint accepts",
        http::Reject::TooLarge => "the request head is too large",
        http::Reject::Version => "only HTTP/1.0 and HTTP/1.1 are spoken here",
        http::Reject::Body => "GET takes no request body",
        http::Reject::Duplicate => "a header that must appear once appears twice",
    };
    http::response(reject.status(), &http::error_body("BadRequest", message))
}

async fn answer(head: &[u8], shared: &Shared) -> Vec<u8> {
    let request = match http::parse_request(head) {
        Ok(r) => r,
        Err(reject) => return rejected(reject),
    };
    if let Some(host) = request.host
        && !loopback_host(host)
    {
        return http::response(
            421,
            &http::error_body(
                "MisdirectedRequest",
                "the Host header must name a loopback address",
            ),
        );
    }
    if !shared.token.matches(request.authorization) {
        let n = shared.refused.fetch_add(1, Ordering::Relaxed) + 1;
        let what = if request.authorization.is_some() {
            "a wrong"
        } else {
            "no"
        };
        debug(|| {
            format!(
                "401 for {} {}: {what} Authorization token ({n} refused so far)",
                request.method, request.path
            )
        });
        return http::response(
            401,
            &http::error_body(
                "Unauthorized",
                "the request did not carry this endpoint's token (AWS_CONTAINER_AUTHORIZATION_TOKEN) in its Authorization header",
            ),
        );
    }
    if request.method != "GET" {
        return http::response(
            405,
            &http::error_body("MethodNotAllowed", "only GET is served"),
        );
    }
    let Some(profile) = shared.profiles.iter().find(|p| p.path == request.path) else {
        return http::response(
            404,
            &http::error_body("NotFound", "no profile is served on this path"),
        );
    };
    let Ok(answer) = tokio::time::timeout(ANSWER_TIMEOUT, profile.credentials()).await else {
        // A renewal that hangs (a stuck source) must not hold this connection's slot for ever.
        return http::response(
            503,
            &http::error_body(
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
            http::response(200, &container_json(&creds, &profile.role_arn))
        }
        Err(e) => {
            eprintln!("xacct-cred: {}: {e}", profile.name);
            let status = if e.kind().is_transient() { 503 } else { 500 };
            http::response(
                status,
                &http::error_body("CredentialsUnavailable", e.what()),
            )
        }
    }
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

/// `127.0.0.1:PORT`, `localhost`, `[::1]:PORT` and the like.
fn loopback_host(host: &str) -> bool {
    let name = match host.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or(""),
        None => host.rsplit_once(':').map_or(host, |(h, _)| h),
    };
    name.eq_ignore_ascii_case("localhost")
        || name.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn hosts_must_name_loopback() {
        for ok in [
            "127.0.0.1:8080",
            "127.0.0.1",
            "localhost:1",
            "LOCALHOST",
            "[::1]:9",
            "[::1]",
        ] {
            assert!(loopback_host(ok), "{ok}");
        }
        for bad in [
            "evil.example:8080",
            "192.168.0.1:80",
            "[fe80::1]:1",
            "",
            "127.0.0.1.evil.example",
        ] {
            assert!(!loopback_host(bad), "{bad}");
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
