//! AssumeRole, and STS's failures turned into errors a person can act on.
//!
//! The STS client is built by hand (never from the SDK's default config loading, which costs
//! ~11 ms and may probe IMDS for a region) with bounded timeouts and retries, so that a dead
//! endpoint fails in seconds and throttling is retried with jittered backoff. An error the SDK
//! cannot classify is read from its raw reply (status, and the body's code and message only),
//! so it is explained as a parsed one would be.

use super::caller::SourceCredential;
use super::error_body;
use crate::credentials::{Secret, SessionCredentials};
use crate::error::{Error, Kind, Result};
use crate::plan::Plan;
use aws_runtime::retries::classifiers::{THROTTLING_ERRORS, TRANSIENT_ERRORS};
use aws_sdk_sts::config::{BehaviorVersion, Region};
use aws_sdk_sts::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_types::retry::RetryConfig;
use aws_smithy_types::timeout::TimeoutConfig;
use std::time::Duration;

/// Attempts per STS call, and the bounds that keep a dead endpoint's failure under ~10 s.
pub const MAX_ATTEMPTS: u32 = 3;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
const READ_TIMEOUT: Duration = Duration::from_secs(4);
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(5);
const OPERATION_TIMEOUT: Duration = Duration::from_secs(10);

pub fn client(plan: &Plan, source: &SourceCredential) -> aws_sdk_sts::Client {
    let mut config = aws_sdk_sts::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(plan.region.clone()))
        .use_fips(plan.use_fips)
        .use_dual_stack(plan.use_dual_stack)
        .credentials_provider(source.credentials.clone())
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(CONNECT_TIMEOUT)
                .read_timeout(READ_TIMEOUT)
                .operation_attempt_timeout(ATTEMPT_TIMEOUT)
                .operation_timeout(OPERATION_TIMEOUT)
                .build(),
        )
        .retry_config(
            RetryConfig::standard()
                .with_max_attempts(MAX_ATTEMPTS)
                .with_initial_backoff(Duration::from_millis(300))
                .with_max_backoff(Duration::from_secs(3)),
        );
    config.set_endpoint_url(plan.sts_endpoint.clone());
    aws_sdk_sts::Client::from_conf(config.build())
}

/// What AssumeRole returned.
#[derive(Debug, Clone)]
pub struct Assumed {
    pub credentials: SessionCredentials,
    /// `arn:aws:sts::ACCOUNT:assumed-role/NAME/SESSION`
    pub assumed_role_arn: Option<String>,
}

/// Calls AssumeRole as the plan says.
pub async fn assume_role(
    plan: &Plan,
    source: &SourceCredential,
    token_code: Option<String>,
) -> Result<Assumed> {
    let client = client(plan, source);
    let role = &plan.role;
    let sent = client
        .assume_role()
        .role_arn(&role.role_arn.arn)
        .role_session_name(role.session_name.to_string())
        .duration_seconds(role.duration_seconds as i32)
        .set_external_id(role.external_id.as_deref().map(str::to_string))
        // The serial goes only with a code: a role assumed from an MFA session sends neither.
        .set_serial_number(
            role.mfa_serial
                .as_deref()
                .filter(|_| token_code.is_some())
                .map(str::to_string),
        )
        .set_token_code(token_code)
        .send()
        .await;
    let output = match sent {
        Ok(o) => o,
        Err(e) => {
            let said = what_sts_said(&e);
            let caller = if said.code == "AccessDenied" {
                caller_arn(&client).await
            } else {
                None
            };
            return Err(explain(&e, &said, plan, source, caller.as_deref()));
        }
    };
    let Some(c) = output.credentials() else {
        return Err(Error::new(
            Kind::StsUnavailable,
            format!(
                "STS answered AssumeRole on {} without credentials",
                role.role_arn.arn
            ),
        )
        .hint("Retry; if it persists, the STS endpoint is not a real STS."));
    };
    let expiration =
        time::OffsetDateTime::from_unix_timestamp(c.expiration().secs()).map_err(|_| {
            Error::new(
                Kind::StsUnavailable,
                "STS returned an expiration time out of range",
            )
            .hint("Retry; if it persists, the STS endpoint is not a real STS.")
        })?;
    Ok(Assumed {
        credentials: SessionCredentials {
            access_key_id: c.access_key_id().to_string(),
            secret_access_key: Secret::new(c.secret_access_key()),
            session_token: Secret::new(c.session_token()),
            expiration,
        },
        assumed_role_arn: output.assumed_role_user().map(|u| u.arn().to_string()),
    })
}

/// The ARN the source credential signs as, if STS will say.
pub async fn caller_arn(client: &aws_sdk_sts::Client) -> Option<String> {
    let out = client.get_caller_identity().send().await.ok()?;
    out.arn().map(str::to_string)
}

fn endpoint(plan: &Plan) -> String {
    plan.sts_endpoint
        .clone()
        .unwrap_or_else(|| format!("the {} regional endpoint", plan.region))
}

/// What STS said: the SDK's reading of the error when it made one, else what the raw reply
/// says (`reply`), so that an error body the SDK cannot parse — moto's extra `<Errors>` level,
/// a proxy's HTML page — is still explained by its status, code and message.
struct StsSaid {
    code: String,
    message: String,
    status: Option<u16>,
    /// Set when the SDK found no code and the raw reply was read instead.
    raw: Option<error_body::Reading>,
}

fn what_sts_said<E: ProvideErrorMetadata>(e: &SdkError<E, HttpResponse>) -> StsSaid {
    let status = http_status(e);
    if let Some(code) = e.code().filter(|c| !c.is_empty()) {
        return StsSaid {
            code: code.to_string(),
            message: e.message().unwrap_or("").trim().to_string(),
            status,
            raw: None,
        };
    }
    let raw = e
        .raw_response()
        .map(|r| error_body::read(status, r.body().bytes().unwrap_or(&[])));
    StsSaid {
        code: raw
            .as_ref()
            .and_then(|r| r.code.clone())
            .unwrap_or_default(),
        message: raw
            .as_ref()
            .and_then(|r| r.message.clone())
            .unwrap_or_default(),
        status,
        raw,
    }
}

/// Turns an AssumeRole failure into what happened and what to do. An error read from the raw
/// reply is explained as a parsed one, and also names the HTTP status.
fn explain<E>(
    e: &SdkError<E, HttpResponse>,
    what: &StsSaid,
    plan: &Plan,
    source: &SourceCredential,
    caller: Option<&str>,
) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let error = explain_code(e, what, plan, source, caller);
    // The code verbatim, as the AWS CLI shows it: it is what people search for.
    let code = Some(what.code.as_str()).filter(|c| !c.is_empty() && !error.what().contains(c));
    let status = what
        .status
        .filter(|s| what.raw.is_some() && !error.what().contains(&format!("HTTP {s}")));
    match (code, status) {
        (Some(code), Some(status)) => error.append(&format!(
            " ({code}, HTTP {status}, read from a reply the SDK could not parse)"
        )),
        (None, Some(status)) => error.append(&format!(
            " (HTTP {status}, read from a reply the SDK could not parse)"
        )),
        (Some(code), None) => error.append(&format!(" ({code})")),
        (None, None) => error,
    }
}

fn explain_code<E>(
    e: &SdkError<E, HttpResponse>,
    what: &StsSaid,
    plan: &Plan,
    source: &SourceCredential,
    caller: Option<&str>,
) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let role = &plan.role.role_arn;
    let for_profile = plan
        .profile
        .as_deref()
        .map(|p| format!(" (profile {p})"))
        .unwrap_or_default();
    let message = what.message.clone();
    let said = if message.is_empty() {
        String::new()
    } else {
        format!(": {message}")
    };
    let code = what.code.as_str();
    let html = what.raw.as_ref().is_some_and(|r| r.html);
    match e {
        SdkError::TimeoutError(_) => {
            return Error::new(Kind::StsUnavailable, format!("STS at {} did not answer AssumeRole on {}{for_profile} within {} s", endpoint(plan), role.arn, OPERATION_TIMEOUT.as_secs()))
                .hint("Check the network, proxy (HTTPS_PROXY) and AWS_ENDPOINT_URL_STS / endpoint_url; xacct-cred retries a few times and then gives up.");
        }
        SdkError::DispatchFailure(_) => {
            return Error::new(Kind::StsUnavailable, format!("could not reach STS at {} for AssumeRole on {}{for_profile}: {}", endpoint(plan), role.arn, crate::error::causes(e)))
                .hint("Check the network, DNS, proxy (HTTPS_PROXY) and any AWS_ENDPOINT_URL_STS / endpoint_url setting.");
        }
        SdkError::ConstructionFailure(_) => {
            return Error::config(format!(
                "could not build the AssumeRole request for {}: {}",
                role.arn,
                crate::error::causes(e)
            ))
            .hint("Check the region and the STS endpoint URL.");
        }
        SdkError::ResponseError(_) => {
            let reply = what
                .raw
                .as_ref()
                .map(|r| format!(" ({})", r.describe()))
                .unwrap_or_default();
            return Error::new(Kind::StsUnavailable, format!("STS at {} sent a reply to AssumeRole that could not be read{reply}: {}", endpoint(plan), crate::error::causes(e)))
                .hint("Retry; if it persists, check that the endpoint is really STS (a proxy or captive portal may be answering).");
        }
        _ => {}
    }
    match code {
        "AccessDenied" if message.contains("MultiFactorAuthentication") => Error::new(Kind::Sts, format!("AssumeRole on {}{for_profile} was denied because the MFA code was not accepted (AccessDenied){said}", role.arn))
            .hint(format!("Use the current code of the device {} (codes last 30 s and each works once), and check that mfa_serial is that device's ARN.", plan.role.mfa_serial.as_deref().unwrap_or("named by mfa_serial"))),
        "AccessDenied" => {
            let who = caller.map(str::to_string).unwrap_or_else(|| source.description.clone());
            let mut conditions = Vec::new();
            if plan.role.external_id.is_some() { conditions.push("the ExternalId it requires matches external_id"); }
            if plan.role.mfa_serial.is_some() { conditions.push("its MFA condition is met"); }
            if conditions.is_empty() { conditions.push("any ExternalId or MFA condition it has is met (set external_id / mfa_serial)"); }
            Error::new(Kind::Sts, format!("AssumeRole on {}{for_profile} was denied for {who} (AccessDenied){said}", role.arn)).hint(format!(
                "STS does not say which side refused, so check both: (1) in the caller's account, {who} needs an IAM policy allowing sts:AssumeRole on {}; (2) in account {}, the trust policy of role {} must trust that principal (or its account root), and {}.",
                role.arn, role.account_id, role.name, conditions.join(" and ")
            ))
        }
        "InvalidClientTokenId" | "SignatureDoesNotMatch" | "IncompleteSignature" | "MissingAuthenticationToken" | "UnrecognizedClientException" | "InvalidAccessKeyId" => {
            Error::new(Kind::Sts, format!("STS rejected the source credentials, {} ({code}{said})", source.description))
                .hint("Those keys are wrong, deactivated or deleted (or, for temporary keys, their session token is missing). Check them with: aws sts get-caller-identity, and rotate them in IAM if needed.")
        }
        "ExpiredToken" | "ExpiredTokenException" | "TokenRefreshRequired" => Error::new(Kind::Sts, format!("the source credentials, {}, have expired ({code})", source.description))
            .hint("Renew them (e.g. aws sso login, or new temporary keys) and run again."),
        "RegionDisabledException" => Error::new(Kind::Sts, format!("STS is not activated in region {} for the caller's account{said}", plan.region))
            .hint("Activate the region in IAM → Account settings → STS endpoints, or use another region (--region or region = in the profile)."),
        "ValidationError" if message.contains("DurationSeconds") || message.contains("MaxSessionDuration") => {
            Error::new(Kind::Sts, format!("STS refused a {} s session for {}{said}", plan.role.duration_seconds, role.arn))
                .hint(format!("Lower duration_seconds (or --duration-seconds), or raise the role's maximum session duration in account {}.", role.account_id))
        }
        "ValidationError" => Error::new(Kind::Sts, format!("STS rejected the AssumeRole request for {}{for_profile}{said}", role.arn))
            .hint("Check role_session_name, external_id, mfa_serial and duration_seconds against the message above."),
        // The SDK retries only the throttling it could read; a code read from the raw reply was not retried.
        c if THROTTLING_ERRORS.contains(&c) && what.raw.is_some() => Error::new(Kind::StsUnavailable, format!("STS throttled AssumeRole on {} ({c}{said})", role.arn))
            .hint("Too many AssumeRole calls from this account; keep the cache on (no --no-cache / --refresh in loops) and retry shortly.").throttled(),
        c if THROTTLING_ERRORS.contains(&c) => Error::new(Kind::StsUnavailable, format!("STS kept throttling AssumeRole on {} after {MAX_ATTEMPTS} attempts{said}", role.arn))
            .hint("Too many AssumeRole calls from this account; keep the cache on (no --no-cache / --refresh in loops) and retry shortly.").throttled(),
        _ => {
            let status = what.status;
            let transient = status.is_some_and(|s| s >= 500 || s == 429 || s == 408)
                || TRANSIENT_ERRORS.contains(&code)
                || matches!(code, "InternalFailure" | "ServiceUnavailable" | "InternalError");
            // Always the status, then the code and message, whichever of them there are.
            let detail = match (&what.raw, status) {
                (Some(r), _) => r.describe(),
                (None, Some(s)) => format!("HTTP {s}, {code}{said}"),
                (None, None) => format!("{code}{said}"),
            };
            let not_sts = "An HTML page is not STS's answer: a proxy or captive portal answered instead. Check HTTPS_PROXY, NO_PROXY and the STS endpoint (AWS_ENDPOINT_URL_STS / endpoint_url).";
            if transient {
                Error::new(Kind::StsUnavailable, format!("STS at {} failed AssumeRole on {}: {detail}", endpoint(plan), role.arn))
                    .hint(if html { format!("{not_sts} Retry shortly.") } else { "An STS-side problem; retry shortly.".to_string() })
            } else {
                Error::new(Kind::Sts, format!("STS at {} refused AssumeRole on {}{for_profile}: {detail}", endpoint(plan), role.arn))
                    .hint(if html { not_sts } else { "Check the role ARN and the profile's settings against the message above." })
            }
        }
    }
}

fn http_status<E>(e: &SdkError<E, HttpResponse>) -> Option<u16> {
    e.raw_response().map(|r| r.status().as_u16())
}
