//! STS replies the SDK cannot classify — moto's `<ErrorResponse><Errors><Error>` wrapping, a
//! proxy's HTML page, an empty 500 — still give the HTTP status and, where the body has them,
//! the code and message; an AccessDenied read that way gets the same two-sided explanation as a
//! parsed one; 5xx stays transient (a still-valid cached session is served), refusals do not.
#![cfg(unix)]

mod support;

use std::time::Duration;
use support::fake::{self, Reply, assume_role_ok};
use support::*;

const HOUR: Duration = Duration::from_secs(3600);
const DENIED: &str = "User: arn:aws:iam::222222222222:user/asi-dev is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::111111111111:role/readonly-asi-production-bucket";

/// Every AssumeRole is answered by `reply()`.
fn sts_answering(reply: fn() -> Reply) -> FakeServer {
    fake::sts_with(move |_, _| reply())
}

/// A session with `left` to live in the cache (renewed in the foreground: below any margin for
/// renewing in the background, which is also turned off), and an STS that from now on answers
/// every AssumeRole with `reply()`.
fn cached_then(left: Duration, reply: fn() -> Reply) -> (FakeServer, Scenario) {
    let sts = fake::sts_with(move |req, n| {
        if n == 0 {
            assume_role_ok(req, n, HOUR)
        } else {
            reply()
        }
    });
    let mut s = Scenario::with_role(&sts, "");
    s.set("XACCT_CRED_BACKGROUND_REFRESH", "0");
    s.run(&["--profile", "prod"]).ok();
    s.set_time_left(left);
    (sts, s)
}

#[test]
fn moto_shaped_access_denied_gets_the_two_sided_explanation_and_exit_4() {
    let sts = fake::sts_with(|_, _| fake::moto_error(403, "AccessDenied", DENIED));
    let s = Scenario::with_role(&sts, "external_id = ext-1");
    let out = s.run(&["--profile", "prod"]);
    out.failed(4).stderr_has(&[
        "AssumeRole on arn:aws:iam::111111111111:role/readonly-asi-production-bucket (profile prod) was denied for arn:aws:iam::222222222222:user/asi-dev",
        "is not authorized to perform: sts:AssumeRole",
        "HTTP 403",
        "sts:AssumeRole on arn:aws:iam::111111111111:role/readonly-asi-production-bucket",
        "trust policy",
        "account 111111111111",
        "ExternalId",
    ]);
    assert!(!out.stderr.contains("unhandled error"), "{}", out.stderr);
    assert_eq!(sts.count("AssumeRole"), 1, "a denial is not retried");
    assert_eq!(
        sts.count("GetCallerIdentity"),
        1,
        "the caller's ARN, as for a parsed AccessDenied"
    );
}

#[test]
fn moto_shaped_refusals_and_throttling_keep_their_meaning() {
    // (code, status, exit, what the message must say)
    for (code, status, exit, needle) in [
        (
            "InvalidClientTokenId",
            403,
            4,
            "rejected the source credentials",
        ),
        ("ExpiredToken", 400, 4, "have expired"),
        ("ValidationError", 400, 4, "rejected the AssumeRole request"),
        ("Throttling", 400, 5, "STS throttled AssumeRole"),
        ("SomethingNew", 400, 4, "HTTP 400, SomethingNew: because"),
    ] {
        let sts = fake::sts_with(move |_, _| fake::moto_error(status, code, "because"));
        let s = Scenario::with_role(&sts, "");
        let out = s.run(&["--profile", "prod"]);
        out.failed(exit)
            .stderr_has(&[needle, &format!("HTTP {status}")]);
        assert!(!out.stderr.contains("unhandled error"), "{}", out.stderr);
    }
}

#[test]
fn an_html_403_from_a_proxy_says_so_and_shows_nothing_of_the_page() {
    let sts = sts_answering(|| fake::html_page(403));
    let s = Scenario::with_role(&sts, "");
    let out = s.run(&["--profile", "prod"]);
    out.failed(4).stderr_has(&[
        "refused AssumeRole on arn:aws:iam::111111111111:role/readonly-asi-production-bucket",
        &sts.url(),
        "HTTP 403, an HTML page (a proxy or captive portal?)",
        "HTTPS_PROXY",
    ]);
    assert!(
        !out.stderr.contains("PROXY-PAGE-BODY") && !out.stderr.contains("<h1>"),
        "nothing of the body: {}",
        out.stderr
    );
    assert_eq!(sts.count("GetCallerIdentity"), 0, "not an AccessDenied");
}

#[test]
fn an_html_502_is_transient_and_names_the_status() {
    let sts = sts_answering(|| fake::html_page(502));
    let s = Scenario::with_role(&sts, "");
    let out = s.run(&["--profile", "prod"]);
    out.failed(5)
        .stderr_has(&["HTTP 502, an HTML page (a proxy or captive portal?)"]);
    assert!(!out.stderr.contains("PROXY-PAGE-BODY"), "{}", out.stderr);
    assert_eq!(sts.count("AssumeRole"), 3, "5xx is retried");
}

#[test]
fn an_empty_500_is_transient_and_names_the_status() {
    let sts = sts_answering(|| fake::empty(500));
    let s = Scenario::with_role(&sts, "");
    s.run(&["--profile", "prod"])
        .failed(5)
        .stderr_has(&["HTTP 500 with an empty body", "retry"]);
}

#[test]
fn odd_5xx_replies_with_a_valid_cached_session_serve_it() {
    for reply in [
        (|| fake::html_page(502)) as fn() -> Reply,
        || fake::empty(500),
        || fake::moto_error(503, "ServiceUnavailable", "down"),
    ] {
        let (sts, s) = cached_then(Duration::from_secs(200), reply);
        let before = std::fs::read_to_string(s.entry_file()).unwrap();
        let out = s.run(&["--profile", "prod"]);
        out.ok()
            .stderr_has(&["could not renew", "using the cached one"])
            .no_secrets_on_stderr();
        assert_eq!(out.json()["AccessKeyId"], "ASIAFAKE000000000000");
        assert!(sts.count("AssumeRole") > 1, "a renewal was tried");
        assert_eq!(std::fs::read_to_string(s.entry_file()).unwrap(), before);
    }
}

#[test]
fn odd_replies_never_serve_an_expired_session_and_a_denial_is_not_papered_over() {
    let (_sts, s) = cached_then(Duration::from_secs(200), || {
        fake::moto_error(403, "AccessDenied", DENIED)
    });
    s.run(&["--profile", "prod"])
        .failed(4)
        .stderr_has(&["was denied", "trust policy"]);

    let (_sts, s) = cached_then(Duration::from_secs(5), || fake::html_page(502));
    s.run(&["--profile", "prod"])
        .failed(5)
        .stderr_has(&["HTTP 502"]);
}

#[test]
fn every_sts_refusal_carries_its_aws_error_code_verbatim_parsed_or_not() {
    // People search for the code: `(AccessDenied)` as the AWS CLI prints it, whether the SDK
    // parsed the reply (real STS's shape) or xacct-cred read it raw (moto's).
    type Shape = fn(u16, &str, &str) -> Reply;
    let shapes: [(&str, Shape); 2] = [("STS", fake::sts_error), ("moto", fake::moto_error)];
    for (shape, reply) in shapes {
        for (code, status) in [
            ("AccessDenied", 403),
            ("ValidationError", 400),
            ("RegionDisabledException", 403),
            ("InvalidClientTokenId", 403),
            ("ExpiredToken", 400),
        ] {
            let sts = fake::sts_with(move |_, _| reply(status, code, "because"));
            let s = Scenario::with_role(&sts, "");
            let out = s.run(&["--profile", "prod"]);
            assert_ne!(out.code, Some(0), "{shape} {code}");
            assert!(
                out.stderr.contains(&format!("({code}")),
                "{shape} {code}: the code verbatim in parentheses: {}",
                out.stderr
            );
        }
    }
}

#[test]
fn an_ecs_refusal_carries_the_code_of_its_json_body() {
    let ecs = FakeServer::start(|_, _| {
        fake::Reply::json(
            403,
            r#"{"code":"AccessDeniedException","message":"the task has no role"}"#.into(),
        )
    });
    let sts = fake::sts();
    let mut s = Scenario::with_role(&sts, "");
    s.config(&format!(
        "[profile prod]\nrole_arn = {ROLE_ARN}\ncredential_source = EcsContainer\nregion = eu-west-1\n"
    ));
    s.set(
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        &format!("{}/v2/credentials/abc", ecs.url()),
    );
    s.run(&["--profile", "prod"]).failed(3).stderr_has(&[
        "container credentials endpoint",
        "HTTP 403",
        "AccessDeniedException",
        "the task has no role",
    ]);
    assert_eq!(sts.count("AssumeRole"), 0);
}
