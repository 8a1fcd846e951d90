//! The HTTP client handed to aws-config's container credentials provider, so that a refusal
//! keeps its reason: aws-config turns a non-success reply into "Non-success status … 403" and
//! drops the body, where the endpoint's JSON (`{"code": …, "message": …}`) said why. This is the
//! SDK's own connector (`http_client.rs`); of a non-success reply it keeps only what `error_body::read`
//! reads (status, code, message) and hands the reply on unchanged.
//!
//! It must never keep or look into a successful reply: that body is the credentials.

use crate::aws::error_body::{self, Reading};
use aws_smithy_runtime_api::client::http::{
    HttpConnector, HttpConnectorFuture, SharedHttpClient, SharedHttpConnector, http_client_fn,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::byte_stream::ByteStream;
use std::sync::{Arc, Mutex};

/// What the last non-success reply said, shared between the client and the caller.
#[derive(Debug, Clone, Default)]
pub(super) struct KeptReply(Arc<Mutex<Option<Reading>>>);

impl KeptReply {
    /// A client whose error replies land here.
    pub fn client(&self) -> SharedHttpClient {
        let kept = self.clone();
        http_client_fn(move |settings, _| {
            SharedHttpConnector::new(Keeping {
                inner: SharedHttpConnector::new(crate::aws::http_client::sdk_connector(
                    settings.clone(),
                )),
                kept: kept.clone(),
            })
        })
    }

    /// The last error reply's reading, if there was one.
    pub fn take(&self) -> Option<Reading> {
        self.0.lock().ok()?.take()
    }
}

#[derive(Debug)]
struct Keeping {
    inner: SharedHttpConnector,
    kept: KeptReply,
}

impl HttpConnector for Keeping {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let call = self.inner.call(request);
        let kept = self.kept.clone();
        HttpConnectorFuture::new(async move {
            let mut response = call.await?;
            if response.status().is_success() {
                return Ok(response);
            }
            let body = ByteStream::new(response.take_body())
                .collect()
                .await
                .map_err(|e| ConnectorError::io(e.into()))?
                .into_bytes();
            let reading = error_body::read(Some(response.status().as_u16()), &body);
            *response.body_mut() = SdkBody::from(body);
            if let Ok(mut slot) = kept.0.lock() {
                *slot = Some(reading);
            }
            Ok(response)
        })
    }
}
