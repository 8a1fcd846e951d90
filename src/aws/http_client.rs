//! The one HTTP client for requests made outside an SDK client (`console --federated`'s GET,
//! `keys rotate`'s signed IAM and STS queries):
//! the SDK's own connector, built as the STS client's is, so proxies, `NO_PROXY` and TLS roots
//! behave as for AssumeRole; every call bounded by a connect timeout and a deadline. It must
//! never put a URL or any part of one into an error or a log (the federation URL carries the
//! session's secrets), nor install a tracing subscriber (the connector logs request URIs).

use aws_smithy_async::rt::sleep::TokioSleep;
use aws_smithy_http_client::proxy::ProxyConfig;
use aws_smithy_http_client::{Connector, tls};
use aws_smithy_runtime_api::client::http::{HttpConnector, HttpConnectorSettings};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_types::byte_stream::ByteStream;
use std::fmt;
use std::time::Duration;

/// As the STS client's (aws/sts.rs): a dead address fails in seconds, a slow handshake does not.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// What the server answered. The status is the caller's to judge.
#[derive(Debug)]
pub(crate) struct Response {
    pub status: u16,
    pub body: Vec<u8>,
}

impl Response {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// Why a request got no answer. Never holds the URL (see the module comment).
#[derive(Debug)]
pub(crate) enum HttpError {
    /// The URL does not parse as an absolute http(s) URL.
    InvalidUrl,
    /// No async runtime could be started.
    Runtime(String),
    /// No answer: DNS, refused, TLS, a proxy that refused the tunnel, a closed connection.
    Request(String),
    /// Still connecting (past the connect timeout) or waiting (past the deadline).
    Timeout(String),
    /// The answer's body broke off.
    Body(String),
}

impl HttpError {
    /// What the user can check, for the end of an error paragraph.
    pub fn hint(&self) -> &'static str {
        match self {
            HttpError::InvalidUrl => "Give an absolute http:// or https:// URL.",
            HttpError::Runtime(_) => "The process may be out of threads or file descriptors.",
            HttpError::Request(_) | HttpError::Timeout(_) | HttpError::Body(_) => {
                "Check the network, and HTTPS_PROXY, HTTP_PROXY and NO_PROXY if a proxy is in \
                 the way (xacct-cred reads them as the AWS SDKs do)."
            }
        }
    }
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HttpError::InvalidUrl => write!(f, "the endpoint is not a valid URL"),
            HttpError::Runtime(why) => write!(f, "could not start the async runtime: {why}"),
            HttpError::Request(why) => write!(f, "the request failed: {why}"),
            HttpError::Timeout(why) => write!(f, "timed out: {why}"),
            HttpError::Body(why) => write!(f, "the answer broke off: {why}"),
        }
    }
}

impl std::error::Error for HttpError {}

/// One GET, answered within `timeout` (connecting included) or failed.
///
/// Synchronous: it runs its own current-thread runtime, so callers outside async code (the
/// subcommands) need none. Do not call it from inside a runtime.
pub(crate) fn get(url: &str, timeout: Duration) -> Result<Response, HttpError> {
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        return Err(HttpError::InvalidUrl);
    }
    let request = HttpRequest::get(url).map_err(|_| HttpError::InvalidUrl)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| HttpError::Runtime(e.to_string()))?;
    let exchange = async {
        let connector = connector(timeout);
        let response = connector.call(request).await.map_err(|e| {
            let why = scrub(crate::error::causes(&e), url);
            if e.is_timeout() {
                HttpError::Timeout(why)
            } else {
                HttpError::Request(why)
            }
        })?;
        let status = response.status().as_u16();
        let body = ByteStream::new(response.into_body())
            .collect()
            .await
            .map_err(|e| HttpError::Body(scrub(crate::error::causes(&e), url)))?
            .to_vec();
        Ok(Response { status, body })
    };
    runtime.block_on(async {
        tokio::time::timeout(timeout, exchange)
            .await
            .map_err(|_| HttpError::Timeout(format!("no answer within {timeout:?}")))?
    })
}

/// One POST of `body` with `headers` (a signed AWS query request: `aws::query`), answered
/// within `timeout`, inside the caller's runtime.
pub(crate) async fn post(
    url: &str,
    headers: &[(String, String)],
    body: String,
    timeout: Duration,
) -> Result<Response, HttpError> {
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        return Err(HttpError::InvalidUrl);
    }
    let mut request = HttpRequest::new(aws_smithy_types::body::SdkBody::from(body));
    request.set_uri(url).map_err(|_| HttpError::InvalidUrl)?;
    request
        .set_method("POST")
        .map_err(|_| HttpError::InvalidUrl)?;
    for (name, value) in headers {
        request.headers_mut().insert(name.clone(), value.clone());
    }
    let exchange = async {
        let response = connector(timeout).call(request).await.map_err(|e| {
            let why = scrub(crate::error::causes(&e), url);
            if e.is_timeout() {
                HttpError::Timeout(why)
            } else {
                HttpError::Request(why)
            }
        })?;
        let status = response.status().as_u16();
        let body = ByteStream::new(response.into_body())
            .collect()
            .await
            .map_err(|e| HttpError::Body(scrub(crate::error::causes(&e), url)))?
            .to_vec();
        Ok(Response { status, body })
    };
    tokio::time::timeout(timeout, exchange)
        .await
        .map_err(|_| HttpError::Timeout(format!("no answer within {timeout:?}")))?
}

/// The SDK's default HTTPS connector, as `aws_smithy_runtime::client::http::default_https_client`
/// builds it for behavior versions from 2025-08-07 on (proxies from the environment).
fn connector(timeout: Duration) -> Connector {
    let settings = HttpConnectorSettings::builder()
        .connect_timeout(CONNECT_TIMEOUT.min(timeout))
        .read_timeout(timeout)
        .build();
    sdk_connector(settings)
}

/// The same connector with the settings an SDK operation asks for (for a client handed to
/// aws-config, `source_credential/kept_reply.rs`).
pub(crate) fn sdk_connector(settings: HttpConnectorSettings) -> Connector {
    Connector::builder()
        .connector_settings(settings)
        .sleep_impl(TokioSleep::new())
        .proxy_config(ProxyConfig::from_env())
        .tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::AwsLc,
        ))
        .build()
}

/// Belt and braces for the rule above: should a lower layer ever quote the URL, or just its
/// query (the session), the message gets "…" in its place.
fn scrub(mut text: String, url: &str) -> String {
    text = text.replace(url, "…");
    if let Some((_, query)) = url.split_once('?')
        && !query.is_empty()
    {
        text = text.replace(query, "…");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_never_quotes_the_url_or_its_query() {
        let url = "https://signin.example/federation?Action=getSigninToken&Session=%7Bsecret%7D";
        let quoted = format!("error sending request for url ({url})");
        assert_eq!(scrub(quoted, url), "error sending request for url (…)");
        let query_only = "bad request line: Action=getSigninToken&Session=%7Bsecret%7D".to_string();
        assert_eq!(scrub(query_only, url), "bad request line: …");
    }

    #[test]
    fn a_url_that_is_not_absolute_http_is_refused_before_any_io() {
        for url in ["not a url", "/federation?Session=x", "ftp://host/x"] {
            assert!(
                matches!(get(url, Duration::from_secs(1)), Err(HttpError::InvalidUrl)),
                "{url}"
            );
        }
    }

    #[test]
    fn a_refused_port_fails_fast_with_a_hint_and_without_the_url() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port());
        let Ok(port) = port else { return };
        // The listener is dropped: nothing accepts on the port any more.
        let url = format!("http://127.0.0.1:{port}/federation?Session=secret-session");
        let started = std::time::Instant::now();
        let err = match get(&url, Duration::from_secs(5)) {
            Err(e) => e,
            Ok(r) => panic!("answered {}", r.status),
        };
        assert!(started.elapsed() < Duration::from_secs(3), "{err}");
        assert!(matches!(err, HttpError::Request(_)), "{err:?}");
        let shown = format!("{err} {err:?} {}", err.hint());
        assert!(!shown.contains("secret-session"), "{shown}");
        assert!(shown.contains("HTTPS_PROXY"), "{shown}");
    }
}
