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
        // Debug shows the method, path and host, never the Authorization value (unless the same
        // bytes are also in one of those, which Debug may then show as what they are there).
        let shown = format!("{request:?}");
        let auth = String::from_utf8_lossy(auth);
        let elsewhere = [request.method, request.path, request.host.unwrap_or_default()]
            .iter()
            .any(|part| format!("{part:?}").contains(&*auth) || part.contains(&*auth));
        if auth.len() >= 8 && !elsewhere {
            assert!(!shown.contains(&*auth), "Debug shows the token: {shown}");
        }
    }
}
