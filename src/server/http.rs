//! The credential endpoint's HTTP/1.1, both ways: [`parse_request`] turns the bytes of one
//! request head into a [`Request`] or a [`Reject`], and [`response`] renders a reply.
//!
//! The parser is a pure function of its input (no I/O, no allocation beyond the result, no
//! panics on any bytes), so it can be fuzzed alone. It is strict on purpose: the only clients
//! are the AWS SDKs and CLIs, which send a bare `GET` with a handful of headers, so anything
//! unusual — a body, obsolete line folding, bare CR or LF, a second `Authorization` — is
//! refused rather than interpreted. It never sees or returns more than the head; the caller
//! bounds how many bytes and how much time it takes to get one.

/// At most this many bytes of request head (the SDKs send about 200).
pub const MAX_HEAD_BYTES: usize = 8 * 1024;
/// At most this many header lines.
pub const MAX_HEADERS: usize = 32;

/// What the endpoint needs from a request.
#[derive(Clone, PartialEq, Eq)]
pub struct Request<'a> {
    pub method: &'a str,
    /// The path without the query string (the SDKs send none).
    pub path: &'a str,
    /// The `Authorization` header's value, as sent.
    pub authorization: Option<&'a [u8]>,
    /// The `Host` header's value, if any (HTTP/1.0 may omit it).
    pub host: Option<&'a str>,
}

impl std::fmt::Debug for Request<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The Authorization value is the endpoint's secret: never shown, only whether it came.
        f.debug_struct("Request")
            .field("method", &self.method)
            .field("path", &self.path)
            .field(
                "authorization",
                &self.authorization.map(|_| "** redacted **"),
            )
            .field("host", &self.host)
            .finish()
    }
}

/// Why a request head was refused, each with its status code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reject {
    /// Not an HTTP/1.x request head (bad request line, bad header line, bare CR or LF).
    Malformed,
    /// Larger than [`MAX_HEAD_BYTES`], or more than [`MAX_HEADERS`] header lines.
    TooLarge,
    /// HTTP/2 or anything but 1.0 and 1.1.
    Version,
    /// A request body (Content-Length other than 0, or Transfer-Encoding): GET takes none.
    Body,
    /// The same header twice where that would be ambiguous (Authorization, Host).
    Duplicate,
}

impl Reject {
    pub fn status(self) -> u16 {
        match self {
            Reject::Malformed | Reject::Body | Reject::Duplicate => 400,
            Reject::TooLarge => 431,
            Reject::Version => 505,
        }
    }
}

/// The length of the request head in `buf` (through the blank line), once it is all there.
pub fn head_len(buf: &[u8]) -> Option<usize> {
    buf.windows(4).position(|w| w == b"\r\n\r\n").map(|i| i + 4)
}

/// Parses one request head: the request line, the header lines and the blank line.
pub fn parse_request(head: &[u8]) -> Result<Request<'_>, Reject> {
    if head.len() > MAX_HEAD_BYTES {
        return Err(Reject::TooLarge);
    }
    let body = head.strip_suffix(b"\r\n\r\n").ok_or(Reject::Malformed)?;
    let mut lines = crlf_lines(body);
    let request_line = lines.next().ok_or(Reject::Malformed)?;
    let (method, target, version) = request_line_parts(line(request_line)?)?;
    let mut request = Request {
        method,
        path: target.split('?').next().unwrap_or(target),
        authorization: None,
        host: None,
    };
    let mut count = 0;
    for raw in lines {
        count += 1;
        if count > MAX_HEADERS {
            return Err(Reject::TooLarge);
        }
        let text = line(raw)?;
        let (name, value) = header(text)?;
        if name.eq_ignore_ascii_case("authorization") {
            if request.authorization.is_some() {
                return Err(Reject::Duplicate);
            }
            request.authorization = Some(value.as_bytes());
        } else if name.eq_ignore_ascii_case("host") {
            if request.host.is_some() {
                return Err(Reject::Duplicate);
            }
            request.host = Some(value);
        } else if name.eq_ignore_ascii_case("transfer-encoding")
            || (name.eq_ignore_ascii_case("content-length") && value != "0")
        {
            return Err(Reject::Body);
        }
    }
    if version == "HTTP/1.1" && request.host.is_none() {
        return Err(Reject::Malformed); // RFC 9112 §3.2: a 1.1 request without Host is invalid
    }
    Ok(request)
}

/// The lines of the head, split at CRLF only (a bare CR or LF stays inside a line).
fn crlf_lines(body: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = Some(body);
    std::iter::from_fn(move || {
        let r = rest?;
        match r.windows(2).position(|w| w == b"\r\n") {
            Some(i) => {
                rest = Some(&r[i + 2..]);
                Some(&r[..i])
            }
            None => {
                rest = None;
                Some(r)
            }
        }
    })
}

/// One line of the head: only visible ASCII, space or tab — so no bare CR or LF and no NUL —
/// and not starting with white space (obsolete line folding).
fn line(raw: &[u8]) -> Result<&str, Reject> {
    let ok = raw
        .iter()
        .all(|&b| b == b'\t' || (b' '..=b'~').contains(&b));
    if !ok || raw.is_empty() || raw[0] == b' ' || raw[0] == b'\t' {
        return Err(Reject::Malformed);
    }
    std::str::from_utf8(raw).map_err(|_| Reject::Malformed)
}

fn request_line_parts(text: &str) -> Result<(&str, &str, &str), Reject> {
    let mut parts = text.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(Reject::Malformed);
    };
    if method.is_empty() || !method.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(Reject::Malformed);
    }
    if !target.starts_with('/') {
        return Err(Reject::Malformed);
    }
    match version {
        "HTTP/1.1" | "HTTP/1.0" => Ok((method, target, version)),
        v if v.starts_with("HTTP/") => Err(Reject::Version),
        _ => Err(Reject::Malformed),
    }
}

fn header(text: &str) -> Result<(&str, &str), Reject> {
    let (name, value) = text.split_once(':').ok_or(Reject::Malformed)?;
    let token = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
    if name.is_empty() || !name.bytes().all(token) {
        return Err(Reject::Malformed);
    }
    Ok((name, value.trim_matches([' ', '\t'])))
}

/// A whole response: status line, the headers every reply carries, the JSON body. Every
/// connection serves one request (`Connection: close`): the SDKs ask once per refresh.
pub fn response(status: u16, body: &str) -> Vec<u8> {
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        421 => "Misdirected Request",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        505 => "HTTP Version Not Supported",
        _ => "Error",
    };
    let allow = if status == 405 { "Allow: GET\r\n" } else { "" };
    format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nCache-Control: no-store\r\n{allow}Connection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// The error body the SDKs understand (`Code`, `Message`; the Rust SDK reads both).
pub fn error_body(code: &str, message: &str) -> String {
    serde_json::json!({ "Code": code, "Message": message }).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    const BOTOCORE: &[u8] = b"GET /credentials/prod HTTP/1.1\r\nHost: 127.0.0.1:41234\r\nAccept-Encoding: identity\r\nUser-Agent: Botocore/1.43\r\nAuthorization: 0123abcd\r\nAccept: application/json\r\n\r\n";

    #[test]
    fn what_the_sdks_send_parses() {
        let r = parse_request(BOTOCORE).unwrap();
        assert_eq!(r.method, "GET");
        assert_eq!(r.path, "/credentials/prod");
        assert_eq!(r.authorization, Some(&b"0123abcd"[..]));
        assert_eq!(r.host, Some("127.0.0.1:41234"));
        assert_eq!(head_len(BOTOCORE), Some(BOTOCORE.len()));
        let q = b"GET /c?x=1 HTTP/1.0\r\n\r\n";
        assert_eq!(parse_request(q).unwrap().path, "/c");
        assert!(
            !format!("{r:?}").contains("0123abcd"),
            "Debug hides the token"
        );
    }

    #[test]
    fn anything_unusual_is_refused() {
        let cases: &[(&[u8], Reject)] = &[
            (b"GET /c HTTP/1.1\r\n\r\n", Reject::Malformed), // no Host
            (b"GET /c HTTP/1.1\nHost: h\r\n\r\n", Reject::Malformed), // bare LF
            (
                b"GET /c HTTP/1.1\r\nHost: h\r\n folded\r\n\r\n",
                Reject::Malformed,
            ),
            (b"GET /c HTTP/1.1\r\nHost h\r\n\r\n", Reject::Malformed),
            (b"GET /c HTTP/1.1\r\nHo st: h\r\n\r\n", Reject::Malformed),
            (b"GET /c HTTP/1.1\r\nHost: h\0\r\n\r\n", Reject::Malformed),
            (b"GET /c HTTP/1.1\r\nHost: h\rx\r\n\r\n", Reject::Malformed),
            (b"GET  /c HTTP/1.1\r\nHost: h\r\n\r\n", Reject::Malformed),
            (b"get /c HTTP/1.1\r\nHost: h\r\n\r\n", Reject::Malformed),
            (b"GET c HTTP/1.1\r\nHost: h\r\n\r\n", Reject::Malformed),
            (b"GET /c HTTP/2.0\r\nHost: h\r\n\r\n", Reject::Version),
            (b"GET /c FTP/1.1\r\nHost: h\r\n\r\n", Reject::Malformed),
            (
                b"GET /c HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\n",
                Reject::Body,
            ),
            (
                b"GET /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n",
                Reject::Body,
            ),
            (
                b"GET /c HTTP/1.1\r\nHost: h\r\nAuthorization: a\r\nauthorization: b\r\n\r\n",
                Reject::Duplicate,
            ),
            (
                b"GET /c HTTP/1.1\r\nHost: h\r\nHost: i\r\n\r\n",
                Reject::Duplicate,
            ),
            (b"GET /c HTTP/1.1\r\nHost: h\r\n", Reject::Malformed), // no blank line
            (b"", Reject::Malformed),
            (b"\r\n\r\n", Reject::Malformed),
        ];
        for (bytes, want) in cases {
            assert_eq!(
                parse_request(bytes).unwrap_err(),
                *want,
                "{:?}",
                String::from_utf8_lossy(bytes)
            );
        }
        assert!(parse_request(b"GET /c HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n").is_ok());
    }

    #[test]
    fn size_and_header_count_are_bounded() {
        let mut many = b"GET /c HTTP/1.1\r\nHost: h\r\n".to_vec();
        for i in 0..MAX_HEADERS {
            many.extend_from_slice(format!("X-{i}: v\r\n").as_bytes());
        }
        many.extend_from_slice(b"\r\n");
        assert_eq!(parse_request(&many).unwrap_err(), Reject::TooLarge);
        let mut big = b"GET /c HTTP/1.1\r\nHost: h\r\nX: ".to_vec();
        big.resize(MAX_HEAD_BYTES, b'a');
        big.extend_from_slice(b"\r\n\r\n");
        assert_eq!(parse_request(&big).unwrap_err(), Reject::TooLarge);
    }

    #[test]
    fn no_bytes_panic_the_parser() {
        // A cheap stand-in for the fuzzer: every prefix and every single-byte change of a real
        // request, and some noise.
        for n in 0..=BOTOCORE.len() {
            let _ = parse_request(&BOTOCORE[..n]);
        }
        for i in 0..BOTOCORE.len() {
            for b in [0u8, b'\r', b'\n', b' ', b':', 0xff, 0xc3] {
                let mut v = BOTOCORE.to_vec();
                v[i] = b;
                let _ = parse_request(&v);
            }
        }
        let mut x: u32 = 0x9e37_79b9;
        for _ in 0..2000 {
            let v: Vec<u8> = (0..64)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 17;
                    x ^= x << 5;
                    x as u8
                })
                .collect();
            let _ = parse_request(&v);
        }
    }

    #[test]
    fn responses_say_their_length_and_close() {
        let r = String::from_utf8(response(405, "{}")).unwrap();
        assert!(r.starts_with("HTTP/1.1 405 Method Not Allowed\r\n"), "{r}");
        assert!(r.contains("Content-Length: 2\r\n") && r.contains("Allow: GET\r\n"));
        assert!(r.ends_with("Connection: close\r\n\r\n{}"));
    }
}
