//! The credential endpoint's request handling: any bytes → a request head or a refusal, never a
//! panic; what it returns is taken from the head itself, and its `Debug` never shows the token.

use crate::server::http::{MAX_HEAD_BYTES, Reject, parse_request};

pub fn check_request(head: &[u8]) {
    let parsed = parse_request(head);
    if head.len() > MAX_HEAD_BYTES {
        assert!(
            matches!(parsed, Err(Reject::TooLarge)),
            "an oversized head must be refused as too large"
        );
        return;
    }
    let Ok(request) = parsed else {
        return;
    };
    let text = String::from_utf8_lossy(head);
    let first_line = text.split("\r\n").next().unwrap_or_default();
    assert!(first_line.starts_with(request.method), "{request:?}");
    assert!(first_line.contains(request.path), "{request:?}");
    assert!(
        !request.path.contains('?'),
        "the query is not part of the path"
    );
    if let Some(auth) = request.authorization {
        assert!(
            auth.is_empty() || head.windows(auth.len()).any(|w| w == auth),
            "the Authorization value comes from the head"
        );
        // Debug never depends on the Authorization value: the same request with another
        // value shows exactly the same.
        let shown = format!("{request:?}");
        let other = crate::server::http::Request {
            authorization: Some(b"another value"),
            ..request
        };
        assert_eq!(shown, format!("{other:?}"), "Debug shows the token");
    }
}
