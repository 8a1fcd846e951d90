//! Unit tests of [`super`]: the decision for each kind of request head, and the replies.

use super::*;

const TOKEN: &str = "0123abcd";
const PATHS: [&str; 2] = ["/credentials/prod", "/credentials/a%20b"];

fn decide_on(method: &str, target: &str, version: Version, headers: &[(&str, &str)]) -> Decision {
    let method = Method::from_bytes(method.as_bytes()).unwrap();
    let uri: Uri = target.parse().unwrap();
    let mut map = HeaderMap::new();
    for (k, v) in headers {
        map.append(
            header::HeaderName::from_bytes(k.as_bytes()).unwrap(),
            HeaderValue::from_str(v).unwrap(),
        );
    }
    let head = Head {
        method: &method,
        uri: &uri,
        version,
        headers: &map,
    };
    decide(&head, &Token::from_text(TOKEN.into()), PATHS)
}

fn get(target: &str, headers: &[(&str, &str)]) -> Decision {
    decide_on("GET", target, Version::HTTP_11, headers)
}

const SDK: [(&str, &str); 4] = [
    ("Host", "127.0.0.1:41234"),
    ("Accept-Encoding", "identity"),
    ("Authorization", TOKEN),
    ("Accept", "application/json"),
];

#[test]
fn what_the_sdks_send_is_served() {
    assert_eq!(get("/credentials/prod", &SDK), Decision::Serve(0));
    assert_eq!(get("/credentials/a%20b?x=1", &SDK), Decision::Serve(1));
    let auth = [("Authorization", TOKEN)];
    assert_eq!(
        decide_on("GET", "/credentials/prod", Version::HTTP_10, &auth),
        Decision::Serve(0)
    );
    let with_zero = [SDK[0], SDK[2], ("Content-Length", "0")];
    assert_eq!(get("/credentials/prod", &with_zero), Decision::Serve(0));
}

#[test]
fn without_the_token_nothing_else_is_looked_at() {
    for auth in [
        None,
        Some(""),
        Some("0123abc"),
        Some("Bearer 0123abcd"),
        Some("0123ABCD"),
    ] {
        let mut headers = vec![("Host", "localhost:1")];
        headers.extend(auth.map(|a| ("Authorization", a)));
        for method in ["GET", "POST", "DELETE"] {
            for target in ["/credentials/prod", "/nothing", "/"] {
                let d = decide_on(method, target, Version::HTTP_11, &headers);
                assert_eq!(
                    d,
                    Decision::Refuse(Refusal::Unauthorized),
                    "{method} {target} {auth:?}"
                );
            }
        }
    }
}

#[test]
fn only_get_on_a_served_path_from_a_loopback_host() {
    let refused = |d: Decision| match d {
        Decision::Refuse(r) => r.status(),
        Decision::Serve(_) => 200,
    };
    for method in ["POST", "PUT", "HEAD", "OPTIONS", "get"] {
        assert_eq!(
            refused(decide_on(
                method,
                "/credentials/prod",
                Version::HTTP_11,
                &SDK
            )),
            405
        );
    }
    assert_eq!(refused(get("/credentials/other", &SDK)), 404);
    assert_eq!(refused(get("/credentials/prod/", &SDK)), 404);
    let host = |h| [("Host", h), ("Authorization", TOKEN)];
    assert_eq!(
        refused(get("/credentials/prod", &host("attacker.example:1"))),
        421
    );
    assert_eq!(
        refused(get("/credentials/prod", &host("127.0.0.1.evil.example"))),
        421
    );
    assert_eq!(refused(get("/credentials/prod", &host("[::1]:9"))), 200);
    let cases: &[(&[(&str, &str)], u16)] = &[
        (&[("Authorization", TOKEN)], 400), // 1.1 without Host
        (&[SDK[0], SDK[2], ("Content-Length", "4")], 400),
        (&[SDK[0], SDK[2], ("Transfer-Encoding", "chunked")], 400),
        (&[SDK[0], SDK[2], ("Authorization", "x")], 400),
        (&[SDK[0], SDK[2], ("Host", "localhost")], 400),
    ];
    for (headers, status) in cases {
        assert_eq!(
            refused(get("/credentials/prod", headers)),
            *status,
            "{headers:?}"
        );
    }
    assert_eq!(refused(get("http://127.0.0.1/credentials/prod", &SDK)), 400);
    assert_eq!(
        refused(decide_on("GET", "/credentials/prod", Version::HTTP_2, &SDK)),
        505
    );
    let mut many = SDK.to_vec();
    let names: Vec<String> = (0..MAX_HEADERS).map(|i| format!("X-{i}")).collect();
    many.extend(names.iter().map(|n| (n.as_str(), "v")));
    assert_eq!(refused(get("/credentials/prod", &many)), 431);
}

#[test]
fn hosts_must_name_loopback() {
    let ok = "127.0.0.1:8080 127.0.0.1 127.0.0.1: localhost:1 LOCALHOST [::1]:9 [::1] [::1]:";
    for ok in ok.split(' ') {
        assert!(loopback_host(ok), "{ok}");
    }
    let bad = "evil.example:8080 192.168.0.1:80 [fe80::1]:1 127.0.0.1.evil.example";
    for bad in bad.split(' ').chain([""]) {
        assert!(!loopback_host(bad), "{bad}");
    }
}

#[test]
fn a_loopback_host_is_followed_by_a_port_or_nothing() {
    let bad = [
        "127.0.0.1:evil.com",
        "127.0.0.1:80evil",
        "127.0.0.1:80:80",
        "localhost:evil.com",
        "localhost: 80",
        "localhost:-1",
        "[::1]evil.com",
        "[::1]:evil.com",
        "[::1]:80]",
        "[::1]]",
        "[::1]:80:80",
        "[::1",
        "::1",
    ];
    for bad in bad {
        assert!(!loopback_host(bad), "{bad}");
    }
    let host = |h| [("Host", h), ("Authorization", TOKEN)];
    for bad in ["127.0.0.1:evil.com", "[::1]evil.com"] {
        let d = get("/credentials/prod", &host(bad));
        assert_eq!(d, Decision::Refuse(Refusal::Misdirected), "{bad}");
    }
}

#[test]
fn the_head_debug_hides_the_token() {
    let (method, uri) = (Method::GET, Uri::from_static("/credentials/prod"));
    let mut headers = HeaderMap::new();
    headers.insert(header::AUTHORIZATION, HeaderValue::from_static(TOKEN));
    let head = Head {
        method: &method,
        uri: &uri,
        version: Version::HTTP_11,
        headers: &headers,
    };
    let shown = format!("{head:?}");
    assert!(!shown.contains(TOKEN), "{shown}");
    assert!(shown.contains("redacted"), "{shown}");
}

#[test]
fn only_a_200_keeps_the_connection_and_every_reply_says_no_store() {
    let r = reply(405, "{}".into());
    assert_eq!(r.status(), 405);
    assert_eq!(r.headers()[header::ALLOW], "GET");
    assert_eq!(r.headers()[header::CONNECTION], "close");
    assert_eq!(r.headers()[header::CACHE_CONTROL], "no-store");
    let ok = reply(200, "{}".into());
    assert!(!ok.headers().contains_key(header::CONNECTION));
    let late = String::from_utf8(timeout_reply()).unwrap();
    assert!(late.starts_with("HTTP/1.1 408 ") && late.contains("Connection: close\r\n"));
}
