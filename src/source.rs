//! The source credential: the identity that calls AssumeRole.
//!
//! Profiles go through aws-config's own profile provider, so whatever a source profile
//! resolves to there (static keys, SSO, web identity, another credential_process, another
//! role) works here too. The instance role is fetched step by step with aws-config's IMDSv2
//! client so that a failure can say which step failed (token PUT, role name, credentials).
//! Never called on the cache-hit path.

use crate::env::Environment;
use crate::error::{Error, Result, key_id_tail};
use crate::plan::{Plan, SourceSpec};
use aws_config::imds;
use aws_config::provider_config::ProviderConfig;
use aws_credential_types::Credentials;
use aws_credential_types::provider::ProvideCredentials;
use aws_credential_types::provider::error::CredentialsError;
use aws_types::region::Region;
use std::time::Duration;

/// The credentials that will sign AssumeRole, and how messages should name them.
#[derive(Debug, Clone)]
pub struct SourceCredential {
    pub credentials: Credentials,
    pub description: String,
}

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
            let provider = aws_config::ecs::EcsCredentialsProvider::builder()
                .configure(&provider_config)
                .build();
            provider.provide_credentials().await.map_err(|e| {
                Error::source(format!(
                    "credential_source = EcsContainer, but the container credentials endpoint gave no credentials: {}",
                    crate::error::causes(&e)
                ))
                .hint("Inside ECS/EKS the agent sets AWS_CONTAINER_CREDENTIALS_RELATIVE_URI or AWS_CONTAINER_CREDENTIALS_FULL_URI; check that the task has a task role and that the variable reaches this process.")
            })?
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

fn profile_error(name: &str, e: &CredentialsError) -> Error {
    let detail = crate::error::causes(e).to_string();
    let hint = if matches!(e, CredentialsError::CredentialsNotLoaded(_)) {
        format!(
            "Give profile {name} aws_access_key_id and aws_secret_access_key (in ~/.aws/credentials), or a role, SSO or credential_process that resolves."
        )
    } else {
        format!("Check profile {name} on its own: aws sts get-caller-identity --profile {name}")
    };
    Error::source(format!(
        "could not get credentials from source_profile {name}: {detail}"
    ))
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
    use imds::client::error::ImdsError;
    match e {
        ImdsError::FailedToLoadToken(t) => {
            let what = format!(
                "instance metadata (IMDSv2) at {where_}: the token request (PUT /latest/api/token) failed: {}",
                crate::error::causes(e)
            );
            let hint = if t.is_dispatch_failure() {
                format!(
                    "Nothing answered: this is not an EC2 instance, the endpoint is wrong, or IMDS is turned off. {HOP_LIMIT_HINT}"
                )
            } else {
                "IMDS refused the token request; check that instance metadata is enabled for this instance.".to_string()
            };
            Error::source(what).hint(hint)
        }
        ImdsError::ErrorResponse(r) => {
            let status = r.response().status().as_u16();
            let what = format!(
                "instance metadata at {where_}: the {step} request (GET {path}) got HTTP {status}"
            );
            let hint = match (status, step) {
                (404, "role name") => "This instance has no IAM role: attach an instance profile whose role may assume the target role.".to_string(),
                (404, _) => "The instance profile changed while reading it; retry.".to_string(),
                (401, _) => "IMDS rejected the session token; retry, and check that nothing rewrites the X-aws-ec2-metadata-token header.".to_string(),
                _ => "Retry; if it persists, check the instance's metadata options.".to_string(),
            };
            Error::source(what).hint(hint)
        }
        other => Error::source(format!(
            "instance metadata at {where_}: the {step} request (GET {path}) failed: {}",
            crate::error::causes(other)
        ))
        .hint(format!(
            "Check that this runs on EC2 with metadata enabled. {HOP_LIMIT_HINT}"
        )),
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
