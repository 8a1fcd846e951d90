//! A tiny HTTP/1.1 server for tests: one thread per connection, one request per connection
//! (`Connection: close`), every request recorded, replies decided by a closure.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The awsQuery form parameters (STS).
    pub fn params(&self) -> std::collections::HashMap<String, String> {
        super::form(&self.body)
    }

    pub fn action(&self) -> String {
        self.params().get("Action").cloned().unwrap_or_default()
    }
}

pub enum Reply {
    Respond {
        status: u16,
        content_type: &'static str,
        body: String,
        headers: Vec<(&'static str, String)>,
    },
    /// Wait, then reply.
    After(Duration, Box<Reply>),
    /// Read the request, then close without a word.
    Close,
    /// These bytes, as they are, for the whole reply (a proxy relaying its origin's answer).
    Raw(Vec<u8>),
}

impl Reply {
    pub fn xml(status: u16, body: String) -> Reply {
        Reply::Respond {
            status,
            content_type: "text/xml",
            body,
            headers: vec![],
        }
    }
    pub fn json(status: u16, body: String) -> Reply {
        Reply::Respond {
            status,
            content_type: "application/json",
            body,
            headers: vec![],
        }
    }
    pub fn text(status: u16, body: &str) -> Reply {
        Reply::Respond {
            status,
            content_type: "text/plain",
            body: body.to_string(),
            headers: vec![],
        }
    }
}

type Handler = dyn Fn(&Request, usize) -> Reply + Send + Sync;

/// A running fake; stops (and joins its accept loop) when dropped.
pub struct FakeServer {
    port: u16,
    requests: Arc<Mutex<Vec<Request>>>,
    stop: Arc<AtomicBool>,
    accept_loop: Option<JoinHandle<()>>,
}

impl FakeServer {
    /// `handler(request, n)` gets each request and its 0-based index among requests so far.
    pub fn start(handler: impl Fn(&Request, usize) -> Reply + Send + Sync + 'static) -> FakeServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let handler: Arc<Handler> = Arc::new(handler);
        let counter = Arc::new(AtomicUsize::new(0));
        let (reqs, stopping) = (requests.clone(), stop.clone());
        let accept_loop = std::thread::spawn(move || {
            while !stopping.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let (handler, reqs, counter, stopping) = (
                            handler.clone(),
                            reqs.clone(),
                            counter.clone(),
                            stopping.clone(),
                        );
                        std::thread::spawn(move || {
                            serve(stream, &*handler, &reqs, &counter, &stopping)
                        });
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(2)),
                }
            }
        });
        FakeServer {
            port,
            requests,
            stop,
            accept_loop: Some(accept_loop),
        }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn requests(&self) -> Vec<Request> {
        self.requests.lock().unwrap().clone()
    }

    /// How many requests carried this STS Action.
    pub fn count(&self, action: &str) -> usize {
        self.requests()
            .iter()
            .filter(|r| r.action() == action)
            .count()
    }

    pub fn last(&self, action: &str) -> Request {
        self.requests()
            .into_iter()
            .rev()
            .find(|r| r.action() == action)
            .unwrap_or_else(|| panic!("no {action} request"))
    }
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(h) = self.accept_loop.take() {
            let _ = h.join();
        }
    }
}

fn serve(
    stream: TcpStream,
    handler: &Handler,
    reqs: &Mutex<Vec<Request>>,
    counter: &AtomicUsize,
    stopping: &AtomicBool,
) {
    stream.set_read_timeout(Some(Duration::from_secs(10))).ok();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut line = String::new();
    if reader.read_line(&mut line).unwrap_or(0) == 0 {
        return;
    }
    let mut parts = line.split_whitespace();
    let (method, path) = (
        parts.next().unwrap_or("").to_string(),
        parts.next().unwrap_or("").to_string(),
    );
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).unwrap_or(0) == 0 {
            return;
        }
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    let len: usize = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; len];
    if reader.read_exact(&mut body).is_err() {
        return;
    }
    let request = Request {
        method,
        path,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    };
    let n = counter.fetch_add(1, Ordering::SeqCst);
    reqs.lock().unwrap().push(request.clone());
    let mut reply = handler(&request, n);
    let mut stream = stream;
    loop {
        match reply {
            Reply::After(d, next) => {
                // Sleep in slices so a dropped server does not keep a thread for long.
                let until = std::time::Instant::now() + d;
                while std::time::Instant::now() < until && !stopping.load(Ordering::SeqCst) {
                    std::thread::sleep(Duration::from_millis(20));
                }
                reply = *next;
            }
            Reply::Close => return,
            Reply::Raw(bytes) => {
                let _ = stream.write_all(&bytes);
                let _ = stream.flush();
                return;
            }
            Reply::Respond {
                status,
                content_type,
                body,
                headers,
            } => {
                let extra: String = headers
                    .iter()
                    .map(|(k, v)| format!("{k}: {v}\r\n"))
                    .collect();
                let date = if headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("date")) {
                    String::new()
                } else {
                    format!("Date: {}\r\n", http_date(0))
                };
                let head = format!(
                    "HTTP/1.1 {status} X\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n{date}{extra}Connection: close\r\n\r\n",
                    body.len()
                );
                let _ = stream.write_all(head.as_bytes());
                let _ = stream.write_all(body.as_bytes());
                let _ = stream.flush();
                return;
            }
        }
    }
}

/// An HTTP Date header value, `skew_secs` away from now (aws-smithy-types' formatter, the one
/// the SDK itself uses for HTTP dates).
pub fn http_date(skew_secs: i64) -> String {
    let t = time::OffsetDateTime::now_utc() + time::Duration::seconds(skew_secs);
    aws_smithy_types::DateTime::from_secs(t.unix_timestamp())
        .fmt(aws_smithy_types::date_time::Format::HttpDate)
        .expect("a date within the HTTP date range")
}

// ---- a proxy ----

/// An HTTP forward proxy on 127.0.0.1, as `HTTP_PROXY`/`HTTPS_PROXY` name one. It records each
/// request as the client sent it — `path` is the request target: the absolute URL of a proxied
/// `http://` request, or `host:port` of a `CONNECT` — relays absolute-form requests to their
/// origin, and refuses every `CONNECT` with 403 (so no test ever tunnels to the internet).
pub fn http_proxy() -> FakeServer {
    FakeServer::start(|req, _| {
        if req.method == "CONNECT" {
            return Reply::text(403, "no tunnels here");
        }
        relay(req).unwrap_or_else(|| Reply::text(502, "the proxy could not reach the origin"))
    })
}

/// Sends an absolute-form request on to its origin in origin form; the origin's whole answer
/// (the fakes close after one reply), or `None`.
fn relay(req: &Request) -> Option<Reply> {
    let rest = req.path.strip_prefix("http://")?;
    let (authority, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, "/"),
    };
    let mut origin = TcpStream::connect(authority).ok()?;
    origin
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    let mut head = format!("{} {path} HTTP/1.1\r\n", req.method);
    for (k, v) in &req.headers {
        let hop_by_hop =
            k.eq_ignore_ascii_case("connection") || k.to_ascii_lowercase().starts_with("proxy-");
        if !hop_by_hop {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
    }
    head.push_str("Connection: close\r\n\r\n");
    origin.write_all(head.as_bytes()).ok()?;
    origin.write_all(req.body.as_bytes()).ok()?;
    let mut answer = Vec::new();
    origin.read_to_end(&mut answer).ok()?;
    Some(Reply::Raw(answer))
}

// ---- STS ----

/// An AssumeRole reply whose keys are numbered by `n` and expire `expires_in` from now.
pub fn assume_role_ok(req: &Request, n: usize, expires_in: Duration) -> Reply {
    let p = req.params();
    let role = p.get("RoleArn").cloned().unwrap_or_default();
    let session = p.get("RoleSessionName").cloned().unwrap_or_default();
    let account = role.split(':').nth(4).unwrap_or("111111111111").to_string();
    let name = role.rsplit('/').next().unwrap_or("role").to_string();
    let exp = time::OffsetDateTime::now_utc() + expires_in;
    let exp = exp
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    Reply::xml(
        200,
        format!(
            r#"<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult><Credentials><AccessKeyId>ASIAFAKE{n:012}</AccessKeyId><SecretAccessKey>fake-secret-{n}</SecretAccessKey><SessionToken>fake-token-{n}</SessionToken><Expiration>{exp}</Expiration></Credentials><AssumedRoleUser><AssumedRoleId>AROAFAKE:{session}</AssumedRoleId><Arn>arn:aws:sts::{account}:assumed-role/{name}/{session}</Arn></AssumedRoleUser></AssumeRoleResult><ResponseMetadata><RequestId>req-{n}</RequestId></ResponseMetadata></AssumeRoleResponse>"#
        ),
    )
}

pub fn sts_error(status: u16, code: &str, message: &str) -> Reply {
    Reply::xml(
        status,
        format!(
            r#"<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>req-err</RequestId></ErrorResponse>"#
        ),
    )
}

/// An STS error in moto's shape (moto 5.2.5's `_RESTError`, measured in FACTS.md): an extra
/// `<Errors>` level, served as text/html. aws-sdk-sts cannot parse it and reports an
/// "unhandled error" with no code.
pub fn moto_error(status: u16, code: &str, message: &str) -> Reply {
    let message = message
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    Reply::Respond {
        status,
        content_type: "text/html; charset=utf-8",
        body: format!(
            r#"<?xml version="1.0" encoding="utf-8"?>
<ErrorResponse><Errors><Error><Code>{code}</Code><Message>{message}</Message><Type>Sender</Type></Error></Errors></ErrorResponse>"#
        ),
        headers: vec![],
    }
}

/// What a corporate proxy or captive portal answers: an HTML page. The page carries a marker
/// (`PROXY-PAGE-BODY`) that must never reach a message.
pub fn html_page(status: u16) -> Reply {
    Reply::Respond {
        status,
        content_type: "text/html",
        body: format!(
            "<!DOCTYPE html>\n<html><head><title>{status} Blocked</title></head><body><h1>PROXY-PAGE-BODY: this site is blocked by policy</h1><p>Code: 17</p></body></html>"
        ),
        headers: vec![],
    }
}

/// A status and nothing else.
pub fn empty(status: u16) -> Reply {
    Reply::text(status, "")
}

pub fn caller_identity(arn: &str) -> Reply {
    Reply::xml(
        200,
        format!(
            r#"<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>{arn}</Arn><UserId>AIDAFAKE</UserId><Account>222222222222</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>req-gci</RequestId></ResponseMetadata></GetCallerIdentityResponse>"#
        ),
    )
}

/// A well-behaved STS: AssumeRole succeeds with one-hour sessions.
pub fn sts() -> FakeServer {
    sts_with(|req, _| assume_role_ok(req, 0, Duration::from_secs(3600)))
}

/// An STS whose AssumeRole replies come from `assume(request, n)` (n counts AssumeRole calls);
/// GetCallerIdentity always names the dev user.
pub fn sts_with(assume: impl Fn(&Request, usize) -> Reply + Send + Sync + 'static) -> FakeServer {
    let calls = AtomicUsize::new(0);
    FakeServer::start(move |req, _| match req.action().as_str() {
        "AssumeRole" => assume(req, calls.fetch_add(1, Ordering::SeqCst)),
        "GetCallerIdentity" => caller_identity("arn:aws:iam::222222222222:user/asi-dev"),
        _ => sts_error(400, "InvalidAction", "unknown action"),
    })
}

// ---- IMDSv2 and ECS ----

pub const IMDS_TOKEN: &str = "imds-session-token-1";
pub const IMDS_ROLE: &str = "allow-assume-role-readonly-asi-production-bucket";
pub const IMDS_KEY_ID: &str = "ASIAIMDSEXAMPLE00001";

pub fn imds_credentials_json(key_id: &str, secret: &str) -> String {
    let exp = (time::OffsetDateTime::now_utc() + Duration::from_secs(6 * 3600))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    format!(
        r#"{{"Code":"Success","LastUpdated":"2026-01-01T00:00:00Z","Type":"AWS-HMAC","AccessKeyId":"{key_id}","SecretAccessKey":"{secret}","Token":"imds-session-token-value","Expiration":"{exp}"}}"#
    )
}

/// An IMDSv2 that insists on the token: a GET without `X-aws-ec2-metadata-token` gets 401.
pub fn imds() -> FakeServer {
    FakeServer::start(|req, _| imds_reply(req))
}

/// An IMDS whose token PUT never answers, as inside a container behind a hop limit of 1.
pub fn imds_with_silent_token_put() -> FakeServer {
    FakeServer::start(|req, _| {
        if req.method == "PUT" {
            Reply::After(Duration::from_secs(30), Box::new(Reply::text(200, "late")))
        } else {
            imds_reply(req)
        }
    })
}

pub fn imds_reply(req: &Request) -> Reply {
    match (req.method.as_str(), req.path.as_str()) {
        ("PUT", "/latest/api/token") => match req.header("x-aws-ec2-metadata-token-ttl-seconds") {
            Some(ttl) => Reply::Respond {
                status: 200,
                content_type: "text/plain",
                body: IMDS_TOKEN.into(),
                headers: vec![("X-aws-ec2-metadata-token-ttl-seconds", ttl.to_string())],
            },
            None => Reply::text(400, "missing ttl"),
        },
        ("GET", _) if req.header("x-aws-ec2-metadata-token") != Some(IMDS_TOKEN) => {
            Reply::text(401, "token required")
        }
        ("GET", "/latest/meta-data/iam/security-credentials/") => Reply::text(200, IMDS_ROLE),
        ("GET", p) if p == format!("/latest/meta-data/iam/security-credentials/{IMDS_ROLE}") => {
            Reply::json(200, imds_credentials_json(IMDS_KEY_ID, "imds-secret-value"))
        }
        _ => Reply::text(404, "not found"),
    }
}

// ---- switchable faults ----

/// A fault a switchable fake injects from the moment it is set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Work as usual.
    None,
    /// Answer every request with this status (and an HTML page, as IMDS's own errors are).
    Status(u16),
    /// Only the role's credentials GET (IMDS) gets this status; the token and role name work.
    CredentialsStatus(u16),
    /// Accept, read the request, never answer (30 s).
    Hang,
}

/// Turns a switchable fake's fault on and off.
#[derive(Clone)]
pub struct Switch(Arc<Mutex<Fault>>);

impl Switch {
    pub fn set(&self, fault: Fault) {
        *self.0.lock().unwrap() = fault;
    }
    fn get(&self) -> Fault {
        *self.0.lock().unwrap()
    }
}

fn faulty(fault: Fault, req: &Request, ok: impl FnOnce(&Request) -> Reply) -> Reply {
    let page = |s: u16| Reply::Respond {
        status: s,
        content_type: "text/html",
        body: format!(
            "<?xml version=\"1.0\"?>\n<html><head><title>{s} - Error</title></head><body><h1>{s} - Error</h1></body></html>"
        ),
        headers: vec![],
    };
    match fault {
        Fault::None => ok(req),
        Fault::Status(s) => page(s),
        Fault::CredentialsStatus(s)
            if req.method == "GET"
                && req.path
                    == format!("/latest/meta-data/iam/security-credentials/{IMDS_ROLE}") =>
        {
            page(s)
        }
        Fault::CredentialsStatus(_) => ok(req),
        Fault::Hang => Reply::After(Duration::from_secs(30), Box::new(ok(req))),
    }
}

/// The IMDSv2 of [`imds`], with a switch.
pub fn imds_switchable() -> (FakeServer, Switch) {
    let switch = Switch(Arc::new(Mutex::new(Fault::None)));
    let s = switch.clone();
    let server = FakeServer::start(move |req, _| faulty(s.get(), req, imds_reply));
    (server, switch)
}

pub const ECS_AUTH_TOKEN: &str = "ecs-auth-token";
pub const ECS_KEY_ID: &str = "ASIAECSEXAMPLE000001";

/// An ECS container credentials endpoint (authorization `ECS_AUTH_TOKEN`), with a switch.
pub fn ecs_switchable() -> (FakeServer, Switch) {
    let switch = Switch(Arc::new(Mutex::new(Fault::None)));
    let s = switch.clone();
    let server = FakeServer::start(move |req, _| {
        faulty(s.get(), req, |req| {
            if req.header("authorization") == Some(ECS_AUTH_TOKEN) {
                Reply::json(200, imds_credentials_json(ECS_KEY_ID, "ecs-secret-value"))
            } else {
                Reply::text(401, "no")
            }
        })
    });
    (server, switch)
}

// ---- A client for the credential endpoint ----

/// Sends `request` as it is to `addr` (host:port) and returns the server's answer: up to the
/// end of the first whole response (the connection may stay open: keep-alive), else everything
/// it sent before closing or staying silent for `wait`.
pub fn raw_exchange(addr: &str, request: &[u8], wait: Duration) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(wait)).unwrap();
    s.write_all(request).unwrap();
    let answer = read_response_bytes(&mut s, request.starts_with(b"HEAD "));
    String::from_utf8_lossy(&answer).into_owned()
}

/// Reads one response from `s`: through its Content-Length (no body after a HEAD), or to the
/// end of the stream when it has none (or on a read timeout).
pub fn read_response_bytes(s: &mut TcpStream, head_request: bool) -> Vec<u8> {
    let mut answer = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        if let Some(len) = response_len(&answer, head_request)
            && answer.len() >= len
        {
            answer.truncate(len);
            return answer;
        }
        match s.read(&mut chunk) {
            Ok(0) | Err(_) => return answer,
            Ok(n) => answer.extend_from_slice(&chunk[..n]),
        }
    }
}

/// The whole length of the response at the start of `buf`, once its head is there and says it.
fn response_len(buf: &[u8], head_request: bool) -> Option<usize> {
    let end = buf.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    if head_request {
        return Some(end);
    }
    let head = String::from_utf8_lossy(&buf[..end]);
    let length = head.lines().find_map(|l| {
        let (name, value) = l.split_once(':')?;
        name.eq_ignore_ascii_case("content-length")
            .then(|| value.trim().parse::<usize>().ok())?
    })?;
    Some(end + length)
}

/// `GET url` as the SDKs send it, with `Authorization: token` when given: (status, body).
pub fn endpoint_get(url: &str, token: Option<&str>) -> (u16, String) {
    endpoint_request("GET", url, token)
}

pub fn endpoint_request(method: &str, url: &str, token: Option<&str>) -> (u16, String) {
    let rest = url.strip_prefix("http://").expect("an http:// URL");
    let (addr, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let auth = token
        .map(|t| format!("Authorization: {t}\r\n"))
        .unwrap_or_default();
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nAccept: application/json\r\n{auth}\r\n"
    );
    let answer = raw_exchange(addr, req.as_bytes(), Duration::from_secs(30));
    let status = answer
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no HTTP status in {answer:?}"));
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}
