//! The verdict on every shape of source failure, one table; then the wording the verdict relies
//! on, pinned against aws-config's real credential_process provider.
use super::*;
use Verdict::{Refusal, Transient};
use aws_credential_types::provider::ProvideCredentials;
use aws_sdk_sso::operation::get_role_credentials::GetRoleCredentialsError;
use aws_sdk_sts::operation::assume_role::AssumeRoleError;
use aws_sdk_sts::operation::assume_role_with_web_identity::AssumeRoleWithWebIdentityError as WebIdError;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::error::ErrorMetadata;
use std::io;

fn raw(status: u16, body: &str) -> HttpResponse {
    HttpResponse::new(
        StatusCode::try_from(status).unwrap(),
        SdkBody::from(body.to_string()),
    )
}

fn meta(code: &str) -> ErrorMetadata {
    ErrorMetadata::builder().code(code).message("m").build()
}

fn web_id(status: u16, code: &str) -> CredentialsError {
    let err = WebIdError::generic(meta(code));
    CredentialsError::provider_error(SdkError::service_error(err, raw(status, "")))
}

fn sso(status: u16, code: &str) -> CredentialsError {
    let err = GetRoleCredentialsError::generic(meta(code));
    CredentialsError::provider_error(SdkError::service_error(err, raw(status, "")))
}

/// A chained role's AssumeRole whose reply the SDK could not parse (no code): the raw body.
fn chained_unparsed(status: u16, body: &str) -> CredentialsError {
    let err = AssumeRoleError::generic(ErrorMetadata::builder().build());
    CredentialsError::provider_error(SdkError::service_error(err, raw(status, body)))
}

fn process(status: &str, stderr: &str) -> CredentialsError {
    // As aws-config's CredentialProcessProvider words it, wrapped as its profile chain does.
    CredentialsError::provider_error(CredentialsError::provider_error(format!(
        "Error retrieving credentials: external process exited with code {status}. Stderr: {stderr}"
    )))
}

fn io_err(kind: io::ErrorKind) -> CredentialsError {
    CredentialsError::provider_error(io::Error::new(kind, "x"))
}

#[test]
fn every_shape_of_source_failure_gets_its_verdict() {
    let timeout = || -> Box<dyn StdError + Send + Sync> { "timed out".into() };
    let cases: Vec<(&str, CredentialsError, Verdict)> = vec![
        // aws-config's own variants
        (
            "timed out",
            CredentialsError::provider_timed_out(std::time::Duration::from_secs(5)),
            Transient,
        ),
        (
            "no keys",
            CredentialsError::not_loaded("no credentials in profile"),
            Refusal,
        ),
        (
            "bad config",
            CredentialsError::invalid_configuration("role_arn without a source"),
            Refusal,
        ),
        (
            "unhandled",
            CredentialsError::unhandled("WebIdentityToken was not valid UTF-8"),
            Refusal,
        ),
        (
            "IMDS unreachable, as not-loaded",
            CredentialsError::not_loaded(ConnectorError::io("refused".into())),
            Transient,
        ),
        // web identity (AssumeRoleWithWebIdentity)
        ("web identity 500", web_id(500, "InternalError"), Transient),
        ("web identity 503 no code", web_id(503, ""), Transient),
        (
            "web identity IdP down",
            web_id(400, "IDPCommunicationError"),
            Transient,
        ),
        (
            "web identity throttled",
            web_id(400, "Throttling"),
            Transient,
        ),
        (
            "web identity bad token",
            web_id(400, "InvalidIdentityToken"),
            Refusal,
        ),
        (
            "web identity expired token",
            web_id(400, "ExpiredTokenException"),
            Refusal,
        ),
        ("web identity denied", web_id(403, "AccessDenied"), Refusal),
        (
            "web identity token file missing",
            io_err(io::ErrorKind::NotFound),
            Refusal,
        ),
        (
            "web identity timeout",
            CredentialsError::provider_error(SdkError::<WebIdError, HttpResponse>::timeout_error(
                timeout(),
            )),
            Transient,
        ),
        (
            "web identity unreachable",
            CredentialsError::provider_error(
                SdkError::<WebIdError, HttpResponse>::dispatch_failure(ConnectorError::io(
                    "refused".into(),
                )),
            ),
            Transient,
        ),
        (
            "web identity bad request built",
            CredentialsError::provider_error(
                SdkError::<WebIdError, HttpResponse>::construction_failure("bad region"),
            ),
            Refusal,
        ),
        // SSO (GetRoleCredentials)
        ("sso 500", sso(500, ""), Transient),
        (
            "sso throttled",
            sso(429, "TooManyRequestsException"),
            Transient,
        ),
        (
            "sso token rejected",
            sso(401, "UnauthorizedException"),
            Refusal,
        ),
        ("sso no such role", sso(403, "ForbiddenException"), Refusal),
        (
            "sso not logged in",
            CredentialsError::provider_error(CredentialsError::provider_error(
                "failed to load the cached SSO token",
            )),
            Refusal,
        ),
        // a chained role (source_profile → role_arn) whose reply the SDK could not parse
        (
            "chained 502 html",
            chained_unparsed(502, "<html>bad gateway</html>"),
            Transient,
        ),
        (
            "chained moto denied",
            chained_unparsed(
                403,
                "<ErrorResponse><Errors><Error><Code>AccessDenied</Code></Error></Errors></ErrorResponse>",
            ),
            Refusal,
        ),
        (
            "chained moto throttled",
            chained_unparsed(
                400,
                "<ErrorResponse><Errors><Error><Code>Throttling</Code></Error></Errors></ErrorResponse>",
            ),
            Transient,
        ),
        // a source credential_process
        (
            "helper exit 1",
            process("exit status: 1", "vault: connection refused"),
            Transient,
        ),
        (
            "helper killed",
            process("signal: 9 (SIGKILL)", ""),
            Transient,
        ),
        (
            "helper not found",
            process("exit status: 127", "sh: 1: nope: not found"),
            Refusal,
        ),
        (
            "helper not executable",
            process("exit status: 126", "sh: 1: ./x: Permission denied"),
            Refusal,
        ),
        (
            "helper exit 2 (not ours)",
            process("exit status: 2", "usage: helper"),
            Transient,
        ),
        (
            "nested xacct-cred loop",
            process(
                "exit status: 2",
                "xacct-cred: profile a loops back into itself",
            ),
            Refusal,
        ),
        (
            "nested xacct-cred denied",
            process("exit status: 4", "xacct-cred: AssumeRole on … was denied"),
            Refusal,
        ),
        (
            "nested xacct-cred MFA",
            process("exit status: 7", "xacct-cred: an MFA code is needed"),
            Refusal,
        ),
        (
            "nested xacct-cred STS down",
            process("exit status: 5", "xacct-cred: could not reach STS"),
            Transient,
        ),
        (
            "nested xacct-cred source down",
            process("exit status: 3", "xacct-cred: instance metadata … HTTP 500"),
            Transient,
        ),
        (
            "helper printed garbage",
            CredentialsError::provider_error(
                "Error retrieving credentials from external process, could not parse response: expected value",
            ),
            Refusal,
        ),
        (
            "helper could not start",
            CredentialsError::provider_error(
                "Error retrieving credentials from external process: No such file or directory",
            ),
            Refusal,
        ),
        // the ECS container endpoint
        (
            "ecs 500",
            CredentialsError::provider_error(
                "Non-success status from HTTP credential provider: StatusCode(500)",
            ),
            Transient,
        ),
        (
            "ecs 429",
            CredentialsError::provider_error(
                "Non-success status from HTTP credential provider: StatusCode(429)",
            ),
            Transient,
        ),
        (
            "ecs 403",
            CredentialsError::provider_error(
                "Non-success status from HTTP credential provider: StatusCode(403)",
            ),
            Refusal,
        ),
        (
            "ecs 404",
            CredentialsError::provider_error(
                "Non-success status from HTTP credential provider: StatusCode(404)",
            ),
            Refusal,
        ),
        (
            "ecs timeout",
            CredentialsError::unhandled(SdkError::<CredentialsError, HttpResponse>::timeout_error(
                timeout(),
            )),
            Transient,
        ),
        (
            "ecs unreachable",
            CredentialsError::unhandled(
                SdkError::<CredentialsError, HttpResponse>::dispatch_failure(ConnectorError::io(
                    "refused".into(),
                )),
            ),
            Transient,
        ),
        (
            "ecs malformed",
            CredentialsError::unhandled("invalid JSON credentials: expected value"),
            Refusal,
        ),
        (
            "ecs bad auth token",
            CredentialsError::invalid_configuration("invalid auth token"),
            Refusal,
        ),
        // plain I/O
        (
            "connection reset",
            io_err(io::ErrorKind::ConnectionReset),
            Transient,
        ),
        (
            "permission denied",
            io_err(io::ErrorKind::PermissionDenied),
            Refusal,
        ),
    ];
    let mut wrong = Vec::new();
    for (name, err, want) in &cases {
        let got = of_credentials_error(err);
        if got != *want {
            wrong.push(format!(
                "{name}: got {got:?}, want {want:?} ({})",
                crate::error::causes(err)
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn statuses() {
    for (s, want) in [
        (500, Transient),
        (502, Transient),
        (503, Transient),
        (429, Transient),
        (408, Transient),
        (400, Refusal),
        (401, Refusal),
        (403, Refusal),
        (404, Refusal),
    ] {
        assert_eq!(of_status(s), want, "{s}");
    }
    assert_eq!(status_in("StatusCode(503)"), Some(503));
    assert_eq!(status_in("HTTP 404 Not Found"), Some(404));
    assert_eq!(status_in("no status"), None);
}

/// The wording `of_wording` reads, from aws-config's real provider running real commands.
#[test]
fn the_real_credential_process_provider_is_read_as_the_table_says() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    for (command, want) in [
        ("echo 'vault unreachable' >&2; exit 1", Transient),
        ("kill -9 $$", Transient),
        ("exit 127", Refusal),
        (
            "echo 'xacct-cred: profile a loops back into itself' >&2; exit 2",
            Refusal,
        ),
        (
            "echo 'xacct-cred: could not reach STS' >&2; exit 5",
            Transient,
        ),
        ("echo not-json", Refusal),
    ] {
        let provider =
            aws_config::credential_process::CredentialProcessProvider::new(command.into());
        let err = rt
            .block_on(provider.provide_credentials())
            .expect_err(command);
        let wrapped = CredentialsError::provider_error(err);
        assert_eq!(
            of_credentials_error(&wrapped),
            want,
            "{command}: {}",
            crate::error::causes(&wrapped)
        );
    }
}
