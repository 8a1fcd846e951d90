//! AWS query-protocol calls made without an SDK client: `keys rotate`'s IAM CreateAccessKey
//! and DeleteAccessKey, and the GetCallerIdentity that checks a new key. Each is a form POST
//! signed with SigV4 by aws-sigv4 (the SDK's own signer) and sent through `http_client`, so no
//! IAM SDK crate is built for three calls.
//!
//! Errors name the call and what the service said (code and message), never a key's secret.

use super::error_body;
use super::http_client;
use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use std::time::{Duration, SystemTime};

/// A service's endpoint and signing name and region.
pub struct Service {
    pub url: String,
    pub name: &'static str,
    pub region: String,
}

/// Why a call failed: the service's code (empty when nothing answered) and a sentence.
#[derive(Debug)]
pub struct Failed {
    pub code: String,
    pub what: String,
}

const TIMEOUT: Duration = Duration::from_secs(10);

/// Calls `action` with `params`, signed with `credentials`; the reply's body on success.
pub async fn call(
    service: &Service,
    credentials: &Credentials,
    action: &str,
    version: &str,
    params: &[(&str, &str)],
) -> Result<String, Failed> {
    let body = [("Action", action), ("Version", version)]
        .iter()
        .chain(params)
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&");
    let identity = credentials.clone().into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(&service.region)
        .name(service.name)
        .time(SystemTime::now())
        .settings(SigningSettings::default())
        .build()
        .map_err(|e| failed(action, format!("could not sign the request: {e}")))?
        .into();
    let content_type = "application/x-www-form-urlencoded; charset=utf-8";
    let signable = SignableRequest::new(
        "POST",
        &service.url,
        std::iter::once(("content-type", content_type)),
        SignableBody::Bytes(body.as_bytes()),
    )
    .map_err(|e| failed(action, format!("could not sign the request: {e}")))?;
    let (instructions, _) = sign(signable, &params)
        .map_err(|e| failed(action, format!("could not sign the request: {e}")))?
        .into_parts();
    let mut headers = vec![("content-type".to_string(), content_type.to_string())];
    headers.extend(
        instructions
            .headers()
            .map(|(k, v)| (k.to_string(), v.to_string())),
    );
    let reply = http_client::post(&service.url, &headers, body, TIMEOUT)
        .await
        .map_err(|e| failed(action, format!("{} at {}: {e}", service.name, service.url)))?;
    let text = String::from_utf8_lossy(&reply.body).into_owned();
    if reply.is_success() {
        return Ok(text);
    }
    let reading = error_body::read(Some(reply.status), &reply.body);
    Err(Failed {
        code: reading.code.clone().unwrap_or_default(),
        what: format!("{action} failed: {}", reading.describe()),
    })
}

fn failed(action: &str, why: String) -> Failed {
    Failed {
        code: String::new(),
        what: format!("{action} got no answer: {why}"),
    }
}

/// Percent-encodes all but the unreserved characters (RFC 3986), as a form value.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The text of the first `<tag>…</tag>` in an XML reply.
pub fn element<'a>(xml: &'a str, tag: &str) -> Option<&'a str> {
    let open = format!("<{tag}>");
    let start = xml.find(&open)? + open.len();
    let len = xml[start..].find(&format!("</{tag}>"))?;
    Some(xml[start..start + len].trim()).filter(|t| !t.is_empty())
}

#[cfg(test)]
mod tests {
    use super::{element, encode};

    #[test]
    fn form_values_are_percent_encoded() {
        assert_eq!(encode("AKIA1-x_.~"), "AKIA1-x_.~");
        assert_eq!(encode("a b/c=&"), "a%20b%2Fc%3D%26");
    }

    #[test]
    fn elements_are_read_from_a_reply() {
        let xml = "<R><AccessKey><UserName>u</UserName><AccessKeyId>AKIA1</AccessKeyId><Empty></Empty></AccessKey></R>";
        assert_eq!(element(xml, "AccessKeyId"), Some("AKIA1"));
        assert_eq!(element(xml, "Empty"), None);
        assert_eq!(element(xml, "Missing"), None);
    }
}
