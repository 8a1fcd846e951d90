//! The credential endpoint's request decision (`server::request::decide`) on any bytes, parsed
//! into a head as hyper parses them (httparse): never a panic; a 200 only for GET on a served
//! path with the exact token from a loopback host; without the token the decision depends on
//! neither method nor path; `Debug` of a head never shows the token.

use crate::server::request::{Decision, Head, MAX_HEADERS, Refusal, decide};
use crate::server::token::Token;
use hyper::header::{self, HeaderName, HeaderValue};
use hyper::{HeaderMap, Method, Uri, Version};

const TOKEN: &str = "fuzz-token-0123456789abcdef";
const PATHS: [&str; 2] = ["/credentials/prod", "/credentials/a%20b"];

pub fn check_request(bytes: &[u8]) {
    let mut slots = [httparse::EMPTY_HEADER; 100];
    let mut parsed = httparse::Request::new(&mut slots);
    let Ok(httparse::Status::Complete(_)) = parsed.parse(bytes) else {
        return; // hyper answers 400 (or waits for more) without asking us
    };
    let (Some(method), Some(target), Some(version)) = (parsed.method, parsed.path, parsed.version)
    else {
        return;
    };
    let (Ok(method), Ok(uri)) = (Method::from_bytes(method.as_bytes()), target.parse::<Uri>())
    else {
        return;
    };
    let version = if version == 1 {
        Version::HTTP_11
    } else {
        Version::HTTP_10
    };
    let mut headers = HeaderMap::new();
    for h in parsed.headers.iter() {
        let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(h.name.as_bytes()),
            HeaderValue::from_bytes(h.value),
        ) else {
            return;
        };
        headers.append(name, value);
    }
    check_head(&method, &uri, version, &headers);
}

fn check_head(method: &Method, uri: &Uri, version: Version, headers: &HeaderMap) {
    let token = Token::from_text(TOKEN.into());
    let head = Head {
        method,
        uri,
        version,
        headers,
    };
    let decision = decide(&head, &token, PATHS);
    let auths: Vec<&HeaderValue> = headers.get_all(header::AUTHORIZATION).iter().collect();
    let has_token = auths.len() == 1 && auths[0].as_bytes() == TOKEN.as_bytes();
    if let Decision::Serve(i) = decision {
        assert!(has_token, "served without the token: {head:?}");
        assert_eq!(method, Method::GET, "served a {method}");
        assert_eq!(uri.path(), PATHS[i], "served the wrong profile");
        assert!(headers.len() <= MAX_HEADERS);
        let host = headers.get(header::HOST).map(|h| h.to_str());
        assert!(
            matches!(host, Some(Ok(h)) if crate::server::request::loopback_host(h))
                || (host.is_none() && version == Version::HTTP_10),
            "served to a Host that is not loopback: {head:?}"
        );
    }
    if !has_token {
        // The same head with any other method and path gets the same answer (paths and
        // methods cannot be probed), unless the target itself is not a path.
        let origin_form = uri.scheme().is_none() && uri.path().starts_with('/');
        for (m, p) in [
            (Method::GET, PATHS[0]),
            (Method::POST, "/x"),
            (Method::GET, "/"),
        ] {
            let other = Uri::from_static(p);
            let again = decide(
                &Head {
                    method: &m,
                    uri: &other,
                    ..head
                },
                &token,
                PATHS,
            );
            assert!(
                !matches!(again, Decision::Serve(_)),
                "served without the token"
            );
            if origin_form {
                assert_eq!(again, decision, "{m} {p} vs {head:?}");
            }
        }
    }
    // Debug never depends on the Authorization values: the same text with each replaced (their
    // number kept). The token may still show where the client itself put it (Host, path).
    if headers.contains_key(header::AUTHORIZATION) {
        let mut other = HeaderMap::new();
        for (name, value) in headers {
            let value = if name == header::AUTHORIZATION {
                HeaderValue::from_static("another")
            } else {
                value.clone()
            };
            other.append(name, value);
        }
        assert_eq!(
            format!("{head:?}"),
            format!(
                "{:?}",
                Head {
                    headers: &other,
                    ..head
                }
            )
        );
    }
    // With the exact token, GET on a served path from a loopback host is served unless the
    // head carries a body, too many headers or a second Host.
    let mut with_token = headers.clone();
    with_token.remove(header::AUTHORIZATION);
    with_token.remove(header::HOST);
    with_token.insert(header::HOST, HeaderValue::from_static("127.0.0.1:9"));
    with_token.insert(header::AUTHORIZATION, HeaderValue::from_static(TOKEN));
    let path = Uri::from_static(PATHS[1]);
    let good = Head {
        method: &Method::GET,
        uri: &path,
        headers: &with_token,
        ..head
    };
    let bodyless = !with_token.contains_key(header::TRANSFER_ENCODING)
        && with_token
            .get_all(header::CONTENT_LENGTH)
            .iter()
            .all(|v| v.as_bytes() == b"0");
    match decide(&good, &token, PATHS) {
        Decision::Serve(1) => assert!(bodyless && with_token.len() <= MAX_HEADERS),
        Decision::Refuse(Refusal::Body) => assert!(!bodyless),
        Decision::Refuse(Refusal::TooManyHeaders) => assert!(with_token.len() > MAX_HEADERS),
        other => panic!("{other:?} for {good:?}"),
    }
}
