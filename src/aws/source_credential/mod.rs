//! The source credential: the identity that calls AssumeRole.
//!
//! Profiles go through aws-config's own profile provider, so whatever a source profile
//! resolves to there (static keys, SSO, web identity, another credential_process, another
//! role) works here too. The instance role is fetched step by step with aws-config's IMDSv2
//! client so that a failure can say which step failed (token PUT, role name, credentials).
//! Never called on the cache-hit path.

mod failure;
mod kept_reply;

use failure::Verdict;

use crate::env::Environment;
use crate::error::{Error, Result, key_id_tail};
use crate::plan::{Plan, SourceSpec};
use aws_config::imds;

use super::caller::SourceCredential;
use aws_config::provider_config::ProviderConfig;
use aws_credential_types::Credentials;
use aws_credential_types::provider::ProvideCredentials;
use aws_credential_types::provider::error::CredentialsError;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_types::region::Region;
use std::time::Duration;

pub async fn resolve(plan: &Plan, env: &Environment) -> Result<SourceCredential> {
    let provider_config =
        ProviderConfig::default().with_region(Some(Region::new(plan.region.clone())));
    let credentials = match &plan.source {
        SourceSpec::Profile { name, .. } => {
            let provider = aws_config::profile::ProfileFileCredentialsProvider::builder()
                .profile_name(name)
                .configure(&provider_config)
                .build();
            provider
                .provide_credentials()
                .await
                .map_err(|e| profile_error(name, &e))?
        }
        SourceSpec::StaticKeys { name, .. } => static_keys(name, env).await?,
        SourceSpec::Stored { name, .. } => {
            let (store, key) = super::stored_key::open(name, env)?;
            return Ok(super::stored_key::credential(name, &store, &key));
        }
        SourceSpec::Environment { .. } => {
            let provider = aws_config::environment::EnvironmentVariableCredentialsProvider::new();
            provider.provide_credentials().await.map_err(|e| {
                Error::source(format!(
                    "credential_source = Environment, but the environment holds no usable keys: {}",
                    crate::error::causes(&e)
                ))
                .hint("Export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary keys) in the environment that runs xacct-cred.")
            })?
        }
        SourceSpec::Ec2InstanceMetadata { endpoint } => {
            instance_role(&provider_config, env, endpoint.as_deref()).await?
        }
        SourceSpec::EcsContainer { .. } => {
            let kept = kept_reply::KeptReply::default();
            let provider = aws_config::ecs::EcsCredentialsProvider::builder()
                .configure(&provider_config.clone().with_http_client(kept.client()))
                .build();
            provider
                .provide_credentials()
                .await
                .map_err(|e| ecs_error(&e, kept.take()))?
        }
    };
    let description = format!(
        "{} (access key {})",
        plan.source.describe(),
        key_id_tail(credentials.access_key_id())
    );
    Ok(SourceCredential {
        credentials,
        description,
    })
}

/// A profile's own keys, read from the files now (the plan holds only the key id).
async fn static_keys(name: &str, env: &Environment) -> Result<Credentials> {
    let files = aws_runtime::env_config::file::EnvConfigFiles::default();
    let fs = aws_types::os_shim_internal::Fs::real();
    let profiles = aws_config::profile::load(&fs, &env.to_aws_env(), &files, None)
        .await
        .map_err(|e| {
            Error::source(format!(
                "could not read the static keys of profile {name}: {}",
                crate::error::causes(&e)
            ))
        })?;
    let key = |k: &str| {
        profiles
            .get_profile(name)
            .and_then(|p| p.get(k))
            .map(str::trim)
            .filter(|v| !v.is_empty())
    };
    let (Some(id), Some(secret)) = (key("aws_access_key_id"), key("aws_secret_access_key")) else {
        return Err(Error::source(format!(
            "profile {name} no longer holds aws_access_key_id and aws_secret_access_key"
        ))
        .hint("The config files changed while xacct-cred ran; run it again."));
    };
    let token = key("aws_session_token").map(str::to_string);
    Ok(Credentials::new(
        id,
        secret,
        token,
        None,
        "ProfileStaticKeys",
    ))
}

fn profile_error(name: &str, e: &CredentialsError) -> Error {
    let detail = crate::error::causes(e).to_string();
    let verdict = failure::of_credentials_error(e);
    let hint = if matches!(e, CredentialsError::CredentialsNotLoaded(_)) {
        format!(
            "Give profile {name} aws_access_key_id and aws_secret_access_key (in ~/.aws/credentials), or a role, SSO or credential_process that resolves."
        )
    } else if verdict == Verdict::Transient {
        format!(
            "This may pass (a service that did not answer, or failed): retry shortly. If it persists, check profile {name} on its own: aws sts get-caller-identity --profile {name}"
        )
    } else {
        format!("Check profile {name} on its own: aws sts get-caller-identity --profile {name}")
    };
    Error::new(
        verdict.kind(),
        format!("could not get credentials from source_profile {name}: {detail}"),
    )
    .hint(hint)
}

fn ecs_error(e: &CredentialsError, reply: Option<crate::aws::error_body::Reading>) -> Error {
    let verdict = failure::of_credentials_error(e);
    let detail = crate::error::causes(e);
    // aws-config keeps only the status of a non-success reply; its body (code and message) was
    // kept by our client.
    let status = detail
        .split_once("Non-success status from HTTP credential provider: ")
        .and_then(|(_, rest)| failure::status_in(rest));
    let status = match (status, reply) {
        (Some(s), Some(r)) if r.status == Some(s) && (r.code.is_some() || r.message.is_some()) => {
            format!(" ({})", r.describe())
        }
        (Some(s), _) => format!(" (HTTP {s})"),
        (None, _) => String::new(),
    };
    let hint = if verdict == Verdict::Transient {
        "The container credentials endpoint failed or did not answer; this may pass, retry shortly. If it persists, check the ECS/EKS agent."
    } else {
        "Inside ECS/EKS the agent sets AWS_CONTAINER_CREDENTIALS_RELATIVE_URI or AWS_CONTAINER_CREDENTIALS_FULL_URI; check that the task has a task role and that the variable reaches this process."
    };
    Error::new(
        verdict.kind(),
        format!(
            "credential_source = EcsContainer, but the container credentials endpoint gave no credentials{status}: {detail}"
        ),
    )
    .hint(hint)
}

const IMDS_ROLE_PATH: &str = "/latest/meta-data/iam/security-credentials/";
const HOP_LIMIT_HINT: &str = "If this runs in a container on EC2, the token PUT's reply dies at the instance's metadata hop limit of 1: raise it (aws ec2 modify-instance-metadata-options --instance-id ID --http-put-response-hop-limit 2 --http-tokens required).";

/// The instance role's credentials through IMDSv2, one step at a time.
async fn instance_role(
    provider_config: &ProviderConfig,
    env: &Environment,
    endpoint: Option<&str>,
) -> Result<Credentials> {
    if env.flag("AWS_EC2_METADATA_DISABLED") {
        return Err(Error::source(
            "credential_source = Ec2InstanceMetadata, but AWS_EC2_METADATA_DISABLED is set",
        )
        .hint("Unset AWS_EC2_METADATA_DISABLED, or use a source_profile instead."));
    }
    let where_ = endpoint.unwrap_or("http://169.254.169.254");
    let client = imds::Client::builder()
        .configure(provider_config)
        .connect_timeout(Duration::from_secs(1))
        .read_timeout(Duration::from_secs(1))
        .operation_timeout(Duration::from_secs(6))
        .max_attempts(3)
        .build();
    let role_list = client
        .get(IMDS_ROLE_PATH)
        .await
        .map_err(|e| imds_error(&e, where_, "role name", IMDS_ROLE_PATH))?;
    let role: &str = role_list.as_ref().lines().next().unwrap_or("").trim();
    if role.is_empty() {
        return Err(Error::source(format!("instance metadata at {where_} lists no IAM role (GET {IMDS_ROLE_PATH} was empty)"))
            .hint("Attach an instance profile with the role that may assume the target role (EC2 console → Actions → Security → Modify IAM role)."));
    }
    let path = format!("{IMDS_ROLE_PATH}{role}");
    let document = client
        .get(&path)
        .await
        .map_err(|e| imds_error(&e, where_, "credentials", &path))?;
    parse_imds_credentials(document.as_ref()).map_err(|why| {
        Error::source(format!(
            "instance metadata at {where_} returned unusable credentials for role {role}: {why}"
        ))
        .hint("Retry in a few seconds; if it persists, detach and re-attach the instance profile.")
    })
}

fn imds_error(e: &imds::client::error::ImdsError, where_: &str, step: &str, path: &str) -> Error {
    use aws_sdk_sts::error::SdkError;
    use imds::client::error::{ImdsError, TokenError};
    let verdict = failure::of_imds(e, step == "credentials");
    let transient_hint = "An IMDS-side problem that may pass; retry shortly (a still-valid cached session is used meanwhile).";
    match e {
        ImdsError::FailedToLoadToken(t) => {
            let reply = std::error::Error::source(e)
                .and_then(|s| s.downcast_ref::<SdkError<TokenError, HttpResponse>>())
                .and_then(|s| s.raw_response())
                .filter(|r| !r.status().is_success())
                .map(|r| format!(" with {}", reply_detail(r)))
                .unwrap_or_default();
            // An error status says it all; the SDK's own reading of it ("did not contain a TTL
            // header") would only mislead.
            let what = if reply.is_empty() {
                format!(
                    "instance metadata (IMDSv2) at {where_}: the token request (PUT /latest/api/token) failed: {}",
                    crate::error::causes(e)
                )
            } else {
                format!(
                    "instance metadata (IMDSv2) at {where_}: the token request (PUT /latest/api/token) failed{reply}"
                )
            };
            let hint = if t.is_dispatch_failure() {
                format!(
                    "Nothing answered: this is not an EC2 instance, the endpoint is wrong, or IMDS is turned off. {HOP_LIMIT_HINT}"
                )
            } else if verdict == Verdict::Transient && !reply.is_empty() {
                transient_hint.to_string()
            } else if verdict == Verdict::Transient {
                format!("IMDS did not answer the token request in time. {HOP_LIMIT_HINT}")
            } else {
                "IMDS refused the token request; check that instance metadata is enabled for this instance.".to_string()
            };
            Error::new(verdict.kind(), what).hint(hint)
        }
        ImdsError::ErrorResponse(r) => {
            let status = r.response().status().as_u16();
            let what = format!(
                "instance metadata at {where_}: the {step} request (GET {path}) got {}",
                reply_detail(r.response())
            );
            let hint = match (status, step) {
                (404, "role name") => "This instance has no IAM role: attach an instance profile whose role may assume the target role.".to_string(),
                (404, _) => "The instance profile changed while reading it; retry.".to_string(),
                (401, _) => "IMDS rejected the session token; retry, and check that nothing rewrites the X-aws-ec2-metadata-token header.".to_string(),
                _ if verdict == Verdict::Transient => transient_hint.to_string(),
                _ => "Retry; if it persists, check the instance's metadata options.".to_string(),
            };
            Error::new(verdict.kind(), what).hint(hint)
        }
        other => Error::new(
            verdict.kind(),
            format!(
                "instance metadata at {where_}: the {step} request (GET {path}) failed: {}",
                crate::error::causes(other)
            ),
        )
        .hint(format!(
            "Check that this runs on EC2 with metadata enabled. {HOP_LIMIT_HINT}"
        )),
    }
}

/// `HTTP 500`, with the body's error code and message when it has them (IMDS's own error pages
/// are HTML, and say no more than the status).
fn reply_detail(r: &HttpResponse) -> String {
    let status = r.status().as_u16();
    let reading = crate::aws::error_body::read(Some(status), r.body().bytes().unwrap_or(&[]));
    match (reading.code, reading.message) {
        (Some(c), Some(m)) => format!("HTTP {status}, {c}: {m}"),
        (Some(c), None) => format!("HTTP {status}, {c}"),
        (None, Some(m)) => format!("HTTP {status}: {m}"),
        (None, None) => format!("HTTP {status}"),
    }
}

pub(crate) fn parse_imds_credentials(document: &str) -> std::result::Result<Credentials, String> {
    let v: serde_json::Value =
        serde_json::from_str(document).map_err(|_| "the document is not JSON".to_string())?;
    let field = |k: &str| v.get(k).and_then(|x| x.as_str()).filter(|s| !s.is_empty());
    if let Some(code) = field("Code").filter(|c| *c != "Success") {
        return Err(format!("Code {code}: {}", field("Message").unwrap_or("")));
    }
    let (Some(id), Some(secret), Some(token)) = (
        field("AccessKeyId"),
        field("SecretAccessKey"),
        field("Token"),
    ) else {
        return Err("AccessKeyId, SecretAccessKey or Token is missing".into());
    };
    let expiry = field("Expiration")
        .and_then(crate::credentials::parse_expiration)
        .map(std::time::SystemTime::from);
    Ok(Credentials::new(
        id,
        secret,
        Some(token.to_string()),
        expiry,
        "ImdsCredentials",
    ))
}
