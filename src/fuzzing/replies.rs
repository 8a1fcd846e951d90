//! The replies xacct-cred parses itself: the IMDS credentials document, the federation
//! endpoint's getSigninToken reply, and any error reply (`reply::read`, for STS, IMDS, ECS and
//! SSO bodies the SDK could not classify). Any bytes → credentials (or a token) taken from the
//! document, or a reason that never quotes a secret; never a panic. (The ECS container
//! endpoint's credentials document is parsed by aws-config's provider, not here.)

use crate::aws::source_credential::parse_imds_credentials;
use crate::cmd::console::signin_token;

pub fn check_imds_reply(bytes: &[u8]) {
    let Ok(doc) = std::str::from_utf8(bytes) else {
        return; // The IMDS client hands over text only.
    };
    let v: Option<serde_json::Value> = serde_json::from_str(doc).ok();
    let field = |k: &str| {
        v.as_ref()
            .and_then(|v| v.get(k)?.as_str())
            .filter(|s| !s.is_empty())
    };
    match parse_imds_credentials(doc) {
        Ok(c) => {
            assert_eq!(Some(c.access_key_id()), field("AccessKeyId"));
            assert_eq!(Some(c.secret_access_key()), field("SecretAccessKey"));
            assert_eq!(c.session_token(), field("Token"));
            assert!(field("Code").is_none_or(|code| code == "Success"));
        }
        Err(why) => {
            // The reason is fixed words, or the Code and Message IMDS filled: never a key.
            let fixed = [
                "the document is not JSON",
                "AccessKeyId, SecretAccessKey or Token is missing",
            ];
            let refused = field("Code")
                .map(|code| format!("Code {code}: {}", field("Message").unwrap_or("")));
            assert!(
                fixed.contains(&why.as_str()) || refused.as_deref() == Some(why.as_str()),
                "unexpected reason: {why}"
            );
        }
    }
}

pub fn check_signin_reply(bytes: &[u8]) {
    let token = signin_token(bytes);
    let v: Option<serde_json::Value> = serde_json::from_slice(bytes).ok();
    let want = v
        .as_ref()
        .and_then(|v| v.get("SigninToken")?.as_str().map(str::to_string));
    assert_eq!(token, want);
}

/// An error reply's code and message: one short word, and one bounded line without control
/// characters or token-shaped runs (a body may echo a request that carried a token).
pub fn check_error_reply(status: Option<u16>, body: &[u8]) {
    let r = crate::aws::error_body::read(status, body);
    if let Some(code) = &r.code {
        assert!(!code.is_empty() && code.len() <= 64, "code {code:?}");
        assert!(
            code.chars()
                .all(|c| c.is_ascii_alphanumeric() || "._:-".contains(c))
        );
    }
    if let Some(m) = &r.message {
        assert!(
            !m.is_empty() && m.chars().count() <= 301,
            "message of {}",
            m.len()
        );
        assert!(!m.chars().any(char::is_control), "{m:?}");
        assert!(
            m.split(' ').all(|w| w.chars().count() <= 120),
            "a token-shaped run: {m:?}"
        );
    }
    let shown = r.describe();
    assert!(!shown.chars().any(char::is_control), "{shown:?}");
}
