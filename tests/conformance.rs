//! Issue 11 through the real binary: the config read as the AWS tools read it (one test per
//! fix of the differential suite), and the cache key on the endpoint actually used.
#![cfg(unix)]

mod support;

use support::fake;
use support::*;

/// The hosts a run's AssumeRole tried to reach through `HTTPS_PROXY` (the fake proxy refuses
/// every tunnel, so nothing leaves 127.0.0.1).
fn tunnelled_hosts(s: &Scenario, args: &[&str]) -> Vec<String> {
    let proxy = fake::http_proxy();
    let mut c = s.command(args);
    c.env("HTTPS_PROXY", proxy.url());
    let out = Outcome::from(c.output().unwrap());
    assert_ne!(
        out.code,
        Some(0),
        "the proxy refuses the tunnel, so the run fails"
    );
    let mut hosts: Vec<String> = proxy
        .requests()
        .iter()
        .filter(|r| r.method == "CONNECT")
        .map(|r| r.path.clone())
        .collect();
    hosts.dedup();
    hosts
}

fn role_config(region: &str, extra: &str) -> String {
    format!(
        "[profile prod]\nrole_arn = {ROLE_ARN}\nsource_profile = dev\nregion = {region}\n{extra}\n"
    )
}

fn with_dev_keys() -> Scenario {
    let s = Scenario::new();
    s.credentials(&format!(
        "[dev]\naws_access_key_id = {DEV_KEY_ID}\naws_secret_access_key = {DEV_SECRET}\n"
    ));
    s
}

#[test]
fn fips_and_dual_stack_settings_pick_the_sdks_sts_hosts() {
    type Case = (
        &'static str,
        Option<(&'static str, &'static str)>,
        &'static str,
    );
    let cases: [Case; 5] = [
        ("", None, "sts.us-west-2.amazonaws.com:443"),
        (
            "use_fips_endpoint = true",
            None,
            "sts-fips.us-west-2.amazonaws.com:443",
        ),
        (
            "",
            Some(("AWS_USE_FIPS_ENDPOINT", "true")),
            "sts-fips.us-west-2.amazonaws.com:443",
        ),
        (
            "use_dualstack_endpoint = true",
            None,
            "sts.us-west-2.api.aws:443",
        ),
        (
            "",
            Some(("AWS_USE_DUALSTACK_ENDPOINT", "true")),
            "sts.us-west-2.api.aws:443",
        ),
    ];
    for (extra, var, host) in cases {
        let mut s = with_dev_keys();
        s.config(&role_config("us-west-2", extra));
        if let Some((k, v)) = var {
            s.set(k, v);
        }
        let hosts = tunnelled_hosts(&s, &["--profile", "prod", "--no-cache"]);
        assert_eq!(hosts, [host], "{extra} {var:?}");
    }
}

#[test]
fn aws_endpoint_url_beats_the_services_section_and_a_missing_section_is_refused() {
    let good = fake::sts();
    let mut s = with_dev_keys();
    s.config(&role_config(
        "eu-west-1",
        "services = local\n[services local]\nsts =\n  endpoint_url = http://127.0.0.1:9\n",
    ));
    s.set("AWS_ENDPOINT_URL", &good.url());
    s.run(&["--profile", "prod"]).ok();
    assert_eq!(good.count("AssumeRole"), 1);

    s.config(&role_config("eu-west-1", "services = nope\n"));
    s.run(&["--profile", "prod"]).failed(2).stderr_has(&[
        "services = nope",
        "[services nope]",
        "does not exist",
    ]);
    assert_eq!(good.count("AssumeRole"), 1, "nothing sent");
}

#[test]
fn aws_ignore_configured_endpoint_urls_false_wins_over_the_profile() {
    let good = fake::sts();
    let mut s = with_dev_keys();
    s.config(&role_config(
        "eu-west-1",
        &format!(
            "endpoint_url = {}\nignore_configured_endpoint_urls = true",
            good.url()
        ),
    ));
    s.set("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "false");
    s.run(&["--profile", "prod"]).ok();
    assert_eq!(good.count("AssumeRole"), 1);
}

#[test]
fn aws_default_profile_and_an_implicit_default_role_are_used() {
    let sts = fake::sts();
    let mut s = Scenario::with_role(&sts, "role_session_name = from-prod");
    s.set("AWS_DEFAULT_PROFILE", "prod");
    s.run(&[]).ok();
    assert_eq!(
        sts.last("AssumeRole").params()["RoleSessionName"],
        "from-prod"
    );

    // Nothing named: [default], if it holds a role.
    s.unset("AWS_DEFAULT_PROFILE");
    s.config(&format!(
        "[default]\nrole_arn = {ROLE_ARN}\nsource_profile = dev\nrole_session_name = from-default\n"
    ));
    s.run(&[]).ok();
    assert_eq!(
        sts.last("AssumeRole").params()["RoleSessionName"],
        "from-default"
    );

    // A [default] without a role is still "no role to assume".
    s.config("[default]\nregion = eu-west-1\n");
    s.run(&[]).failed(2).stderr_has(&["no role to assume"]);
    assert_eq!(sts.count("AssumeRole"), 2);
}
