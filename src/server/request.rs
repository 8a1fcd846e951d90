//! The endpoint's answer to one request, decided before any I/O: [`decide`] takes the head hyper
//! parsed (method, target, version, headers) and says which refusal it gets or which served
//! profile it asks for; [`reply`] renders a status and a JSON body.
//!
//! Pure (no I/O, no clock, no panic on any input), so it is fuzzed alone (src/fuzzing/endpoint_request.rs).
//! The order of the checks is the guarantee: a request without the exact token gets 401 before
//! its method or path is looked at. Strict on purpose: the clients are the AWS SDKs and CLIs,
//! which send a bare `GET`; a body, a second `Authorization` or `Host` is refused.

use super::token::Token;
use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{self, HeaderValue};
use hyper::{HeaderMap, Method, Response, StatusCode, Uri, Version};
use std::net::IpAddr;

/// At most this many bytes of request head (the SDKs send about 200); hyper enforces it (431).
pub const MAX_HEAD_BYTES: usize = 8 * 1024;
/// At most this many header lines.
pub const MAX_HEADERS: usize = 32;

/// What the endpoint looks at in a request: its head, as hyper parsed it.
pub struct Head<'a> {
    pub method: &'a Method,
    pub uri: &'a Uri,
    pub version: Version,
    pub headers: &'a HeaderMap,
}

impl std::fmt::Debug for Head<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The Authorization value is the endpoint's secret: never shown, only whether it came.
        let authorization = self.headers.contains_key(header::AUTHORIZATION);
        f.debug_struct("Head")
            .field("method", self.method)
            .field("path", &self.uri.path())
            .field("version", &self.version)
            .field("host", &self.headers.get(header::HOST))
            .field("authorization", &authorization.then_some("** redacted **"))
            .field("headers", &self.headers.len())
            .finish()
    }
}

/// What to do with a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Answer with the session of the served profile at this index.
    Serve(usize),
    Refuse(Refusal),
}

/// Why a request is refused, each with its status code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Not a request this endpoint accepts: a target that is not a path, HTTP/1.1 without Host,
    /// a Host that is not text.
    Malformed,
    /// A request body (Content-Length other than 0, or Transfer-Encoding): GET takes none.
    Body,
    /// Authorization or Host twice.
    Duplicate,
    /// More than [`MAX_HEADERS`] header lines.
    TooManyHeaders,
    /// Anything but HTTP/1.0 and HTTP/1.1.
    Version,
    /// A Host that is not a loopback name (DNS rebinding).
    Misdirected,
    /// Not exactly this endpoint's token.
    Unauthorized,
    /// Not GET.
    Method,
    /// No profile is served on this path.
    NotFound,
}

impl Refusal {
    pub fn status(self) -> u16 {
        match self {
            Refusal::Malformed | Refusal::Body | Refusal::Duplicate => 400,
            Refusal::TooManyHeaders => 431,
            Refusal::Version => 505,
            Refusal::Misdirected => 421,
            Refusal::Unauthorized => 401,
            Refusal::Method => 405,
            Refusal::NotFound => 404,
        }
    }

    /// The error document for it.
    pub fn body(self) -> String {
        let (code, message) = match self {
            Refusal::Malformed => (
                "BadRequest",
                "not an HTTP/1.1 request this endpoint accepts",
            ),
            Refusal::Body => ("BadRequest", "GET takes no request body"),
            Refusal::Duplicate => ("BadRequest", "a header that must appear once appears twice"),
            Refusal::TooManyHeaders => ("BadRequest", "the request has too many header lines"),
            Refusal::Version => ("BadRequest", "only HTTP/1.0 and HTTP/1.1 are spoken here"),
            Refusal::Misdirected => (
                "MisdirectedRequest",
                "the Host header must name a loopback address",
            ),
            Refusal::Unauthorized => (
                "Unauthorized",
                "the request did not carry this endpoint's token (AWS_CONTAINER_AUTHORIZATION_TOKEN) in its Authorization header",
            ),
            Refusal::Method => ("MethodNotAllowed", "only GET is served"),
            Refusal::NotFound => ("NotFound", "no profile is served on this path"),
        };
        error_body(code, message)
    }
}

/// The decision for one request head; `paths` are the served profiles' paths, in order.
pub fn decide<'p>(
    head: &Head,
    token: &Token,
    paths: impl IntoIterator<Item = &'p str>,
) -> Decision {
    match refusal(head, token) {
        Some(r) => Decision::Refuse(r),
        None => {
            let path = head.uri.path();
            match paths.into_iter().position(|p| p == path) {
                Some(i) => Decision::Serve(i),
                None => Decision::Refuse(Refusal::NotFound),
            }
        }
    }
}

fn refusal(head: &Head, token: &Token) -> Option<Refusal> {
    let headers = head.headers;
    // What makes the request ambiguous or not one at all, whoever sends it.
    if head.version != Version::HTTP_11 && head.version != Version::HTTP_10 {
        return Some(Refusal::Version);
    }
    if headers.len() > MAX_HEADERS {
        return Some(Refusal::TooManyHeaders);
    }
    let no_body = headers
        .get_all(header::CONTENT_LENGTH)
        .iter()
        .all(|v| v.as_bytes() == b"0");
    if !no_body || headers.contains_key(header::TRANSFER_ENCODING) {
        return Some(Refusal::Body);
    }
    let mut hosts = headers.get_all(header::HOST).iter();
    let host = hosts.next();
    let mut auths = headers.get_all(header::AUTHORIZATION).iter();
    let authorization = auths.next();
    if hosts.next().is_some() || auths.next().is_some() {
        return Some(Refusal::Duplicate);
    }
    // Origin form only (`/path?query`): the SDKs send nothing else, and an absolute URI would
    // carry a second, unchecked host name.
    if head.uri.scheme().is_some() || !head.uri.path().starts_with('/') {
        return Some(Refusal::Malformed);
    }
    match host.map(|h| h.to_str()) {
        // RFC 9112 §3.2: a 1.1 request without Host is invalid.
        None if head.version == Version::HTTP_11 => return Some(Refusal::Malformed),
        None => {}
        Some(Err(_)) => return Some(Refusal::Malformed),
        Some(Ok(host)) if !loopback_host(host) => return Some(Refusal::Misdirected),
        Some(Ok(_)) => {}
    }
    // The token, before anything about the method or path is looked at.
    if !token.matches(authorization.map(HeaderValue::as_bytes)) {
        return Some(Refusal::Unauthorized);
    }
    if head.method != Method::GET {
        return Some(Refusal::Method);
    }
    None
}

/// `127.0.0.1:PORT`, `localhost`, `[::1]:PORT` and the like: a loopback name, then nothing
/// or `:` and a port of digits only (nothing else may follow the name).
pub fn loopback_host(host: &str) -> bool {
    let (name, port) = match host.strip_prefix('[') {
        Some(rest) => match rest.split_once(']') {
            Some((name, "")) => (name, Some("")),
            Some((name, after)) => (name, after.strip_prefix(':')),
            None => return false,
        },
        None => host
            .rsplit_once(':')
            .map_or((host, Some("")), |(h, p)| (h, Some(p))),
    };
    let loopback = name.eq_ignore_ascii_case("localhost")
        || name.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback());
    loopback && port.is_some_and(|p| p.bytes().all(|b| b.is_ascii_digit()))
}

/// A whole response with its JSON body. Only a 200 keeps the connection open: a refused
/// client has nothing more to ask on it, and one without the token holds no slot.
pub fn reply(status: u16, body: String) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() =
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if status == 405 {
        headers.insert(header::ALLOW, HeaderValue::from_static("GET"));
    }
    if status != 200 {
        headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

/// The reply to a client that did not send its request head in time, written to the socket
/// directly (hyper has no reply of its own for that).
pub fn timeout_reply() -> Vec<u8> {
    let body = error_body("RequestTimeout", "the request was not sent in time");
    format!(
        "HTTP/1.1 408 Request Timeout\r\nContent-Type: application/json\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// The error body the SDKs understand (`Code`, `Message`; the Rust SDK reads both).
pub fn error_body(code: &str, message: &str) -> String {
    serde_json::json!({ "Code": code, "Message": message }).to_string()
}

#[cfg(test)]
#[path = "request_tests.rs"]
mod tests;
