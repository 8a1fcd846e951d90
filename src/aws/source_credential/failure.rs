//! Whether a failure to get the source credential may pass by itself: *transient*
//! (`Kind::SourceUnavailable`: no answer, timeout, throttling, 5xx, a source credential_process
//! that exited non-zero), which lets a still-valid cached session be served, or a *refusal*
//! (`Kind::Source`: 403/404, a rejected token, a denial, missing keys, bad configuration).
//! The verdict walks the error's causes to the first that decides (the SDK's error types, the
//! connector's, I/O, or aws-config's wording, pinned by tests); none decides: a refusal.

use crate::aws::error_body;
use crate::error::Kind;
use aws_config::imds::client::error::{ImdsError, TokenError};
use aws_credential_types::provider::error::CredentialsError;
use aws_runtime::retries::classifiers::{THROTTLING_ERRORS, TRANSIENT_ERRORS};
use aws_sdk_sts::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::ConnectorError;
use std::error::Error as StdError;

/// What a failure of the source means for a still-valid cached session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// May pass: serve a still-valid cached session.
    Transient,
    /// Will not pass by retrying: fail.
    Refusal,
}

impl Verdict {
    pub fn kind(self) -> Kind {
        match self {
            Verdict::Transient => Kind::SourceUnavailable,
            Verdict::Refusal => Kind::Source,
        }
    }
}

/// An HTTP status from IMDS, the ECS endpoint or an AWS service: server errors, throttling and
/// request timeouts may pass; everything else (400, 401, 403, 404…) is an answer.
pub fn of_status(status: u16) -> Verdict {
    if status >= 500 || status == 429 || status == 408 {
        Verdict::Transient
    } else {
        Verdict::Refusal
    }
}

/// A failure from aws-config's providers (a source profile's chain, the ECS provider).
pub fn of_credentials_error(e: &CredentialsError) -> Verdict {
    let mut next: Option<&(dyn StdError + 'static)> = Some(e);
    while let Some(layer) = next {
        if let Some(v) = of_layer(layer) {
            return v;
        }
        next = layer.source();
    }
    Verdict::Refusal
}

/// An IMDS client failure. `credentials_step` is true for the GET of the role's credentials,
/// where a 404 means the instance profile changed between two requests.
pub fn of_imds(e: &ImdsError, credentials_step: bool) -> Verdict {
    match e {
        ImdsError::FailedToLoadToken(_) => e
            .source()
            .and_then(|s| s.downcast_ref::<SdkError<TokenError, HttpResponse>>())
            .map(of_token_request)
            .unwrap_or(Verdict::Transient),
        ImdsError::ErrorResponse(r) => match r.response().status().as_u16() {
            404 if credentials_step => Verdict::Transient,
            status => of_status(status),
        },
        // Timeouts and replies that broke off.
        ImdsError::IoError(_) => Verdict::Transient,
        // A connection that failed after the token (the connector's own error), or a reply
        // that is not UTF-8 (a malformed document).
        other => {
            if other.to_string().contains("invalid UTF-8")
                || causes_text(other).contains("invalid UTF-8")
            {
                Verdict::Refusal
            } else {
                Verdict::Transient
            }
        }
    }
}

fn of_token_request(e: &SdkError<TokenError, HttpResponse>) -> Verdict {
    match e {
        SdkError::ServiceError(_) => e
            .raw_response()
            .map(|r| of_status(r.status().as_u16()))
            .unwrap_or(Verdict::Refusal),
        SdkError::ConstructionFailure(_) => Verdict::Refusal,
        _ => Verdict::Transient,
    }
}

/// The first layer of a cause chain that decides, if this one does.
fn of_layer(layer: &(dyn StdError + 'static)) -> Option<Verdict> {
    if let Some(c) = layer.downcast_ref::<CredentialsError>() {
        // The other variants decide nothing by themselves: "not loaded" wraps IMDS's
        // communication errors, "provider error" wraps everything.
        return matches!(c, CredentialsError::ProviderTimedOut(_)).then_some(Verdict::Transient);
    }
    if let Some(i) = layer.downcast_ref::<ImdsError>() {
        return Some(of_imds(i, false));
    }
    macro_rules! sdk_errors {
        ($($t:ty),* $(,)?) => {$(
            if let Some(s) = layer.downcast_ref::<SdkError<$t, HttpResponse>>() {
                return Some(of_sdk(s));
            }
        )*};
    }
    sdk_errors!(
        aws_sdk_sts::operation::assume_role::AssumeRoleError,
        aws_sdk_sts::operation::assume_role_with_web_identity::AssumeRoleWithWebIdentityError,
        aws_sdk_sso::operation::get_role_credentials::GetRoleCredentialsError,
        aws_sdk_ssooidc::operation::create_token::CreateTokenError,
    );
    if let Some(s) = layer.downcast_ref::<SdkError<CredentialsError, HttpResponse>>() {
        // The ECS provider's dispatch failures and timeouts.
        return Some(match s {
            SdkError::ServiceError(c) => of_credentials_error(c.err()),
            SdkError::ConstructionFailure(_) => Verdict::Refusal,
            _ => Verdict::Transient,
        });
    }
    if let Some(c) = layer.downcast_ref::<ConnectorError>() {
        return Some(if c.is_user() {
            Verdict::Refusal
        } else {
            Verdict::Transient
        });
    }
    if let Some(io) = layer.downcast_ref::<std::io::Error>() {
        use std::io::ErrorKind::*;
        return Some(match io.kind() {
            TimedOut | ConnectionRefused | ConnectionReset | ConnectionAborted | Interrupted
            | WouldBlock | BrokenPipe | UnexpectedEof => Verdict::Transient,
            _ => Verdict::Refusal,
        });
    }
    of_wording(&layer.to_string())
}

/// An SDK call aws-config made for the chain (SSO, web identity, a chained role).
fn of_sdk<E: ProvideErrorMetadata>(e: &SdkError<E, HttpResponse>) -> Verdict {
    match e {
        SdkError::ConstructionFailure(_) => Verdict::Refusal,
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            Verdict::Transient
        }
        _ => {
            let status = e.raw_response().map(|r| r.status().as_u16());
            let code = e.code().map(str::to_string).or_else(|| {
                e.raw_response()
                    .and_then(|r| error_body::read(status, r.body().bytes().unwrap_or(&[])).code)
            });
            let code = code.as_deref().unwrap_or("");
            let transient_code = THROTTLING_ERRORS.contains(&code)
                || TRANSIENT_ERRORS.contains(&code)
                || matches!(
                    code,
                    "IDPCommunicationError"
                        | "InternalFailure"
                        | "InternalError"
                        | "ServiceUnavailable"
                );
            if transient_code || status.is_some_and(|s| of_status(s) == Verdict::Transient) {
                Verdict::Transient
            } else {
                Verdict::Refusal
            }
        }
    }
}

/// What aws-config only says in words: a source credential_process's exit, the ECS provider's
/// status.
fn of_wording(text: &str) -> Option<Verdict> {
    if let Some(rest) = text
        .split_once("external process exited with code ")
        .map(|p| p.1)
    {
        let code: Option<i32> = rest
            .strip_prefix("exit status: ")
            .and_then(|r| r.split(|c: char| !c.is_ascii_digit()).next())
            .and_then(|d| d.parse().ok());
        let nested = text.contains("Stderr: xacct-cred:");
        return Some(match code {
            // The shell's "not found" and "cannot run": a configuration error.
            Some(126 | 127) => Verdict::Refusal,
            // A nested xacct-cred that refused (configuration, STS's refusal, MFA).
            Some(2 | 4 | 7) if nested => Verdict::Refusal,
            // Anything else a helper may exit with (a vault or SSO helper that cannot reach
            // its server), or a signal: it may pass.
            _ => Verdict::Transient,
        });
    }
    if text.contains("Error retrieving credentials from external process") {
        // It could not be started, or printed something that is not a credential document.
        return Some(Verdict::Refusal);
    }
    if let Some(rest) = text
        .split_once("Non-success status from HTTP credential provider: ")
        .map(|p| p.1)
    {
        return status_in(rest).map(of_status);
    }
    None
}

/// The first three-digit number in `text` (`StatusCode(503)`, `503`).
pub fn status_in(text: &str) -> Option<u16> {
    text.split(|c: char| !c.is_ascii_digit())
        .find(|d| d.len() == 3)
        .and_then(|d| d.parse().ok())
}

fn causes_text(e: &(dyn StdError + 'static)) -> String {
    crate::error::causes(e)
}

#[cfg(test)]
#[path = "failure_tests.rs"]
mod tests;
