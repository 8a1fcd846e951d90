//! Config conformance through the real binary: the config read as the AWS tools read it (one test per
//! fix of the differential suite), and the cache key on the endpoint actually used.
#![cfg(unix)]

mod support;

use support::fake;
use support::fake::FakeServer;
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

fn signing_key(sts: &FakeServer) -> String {
    let auth = sts
        .last("AssumeRole")
        .header("authorization")
        .unwrap()
        .to_string();
    let cred = auth.split("Credential=").nth(1).unwrap();
    cred.split('/').next().unwrap().to_string()
}

#[test]
fn static_keys_of_a_source_profile_are_used_directly_as_botocore_does() {
    let sts = fake::sts();
    let mut s = Scenario::new();
    s.set("AWS_ENDPOINT_URL_STS", &sts.url());
    // A role profile with keys naming itself: its own keys sign AssumeRole.
    s.config(&format!(
        "[profile prod]\nrole_arn = {ROLE_ARN}\nsource_profile = prod\nregion = eu-west-1\naws_access_key_id = AKIAOWNEXAMPLE000001\n"
    ));
    s.credentials("[prod]\naws_secret_access_key = own-secret-DO-NOT-PRINT\n");
    s.run(&["--profile", "prod", "--debug"])
        .ok()
        .no_secrets_on_stderr();
    assert_eq!(signing_key(&sts), "AKIAOWNEXAMPLE000001");
    assert_eq!(sts.count("AssumeRole"), 1, "no chaining");

    // A source profile with keys and a role_arn: its keys, no AssumeRole of its role.
    s.config(&format!(
        "[profile prod]\nrole_arn = {ROLE_ARN}\nsource_profile = hop\nregion = eu-west-1\n[profile hop]\nrole_arn = arn:aws:iam::222222222222:role/hop\n"
    ));
    s.credentials(&format!(
        "[hop]\naws_access_key_id = {DEV_KEY_ID}\naws_secret_access_key = {DEV_SECRET}\n"
    ));
    s.run(&["--profile", "prod"]).ok();
    assert_eq!(signing_key(&sts), DEV_KEY_ID);
    assert_eq!(sts.count("AssumeRole"), 2);
    let arns: Vec<String> = sts
        .requests()
        .iter()
        .map(|r| r.params()["RoleArn"].clone())
        .collect();
    assert_eq!(
        arns,
        [ROLE_ARN, ROLE_ARN],
        "the hop's role is never assumed"
    );

    // Without keys, naming itself is still refused.
    s.config(&format!(
        "[profile prod]\nrole_arn = {ROLE_ARN}\nsource_profile = prod\n"
    ));
    s.credentials("");
    s.run(&["--profile", "prod"])
        .failed(2)
        .stderr_has(&["names itself as its source_profile"]);
}

#[test]
fn looping_aws_region_over_17_regions_makes_one_assume_role() {
    let sts = fake::sts();
    let mut s = Scenario::with_role(&sts, "");
    let regions = [
        "us-east-1",
        "us-east-2",
        "us-west-1",
        "us-west-2",
        "ca-central-1",
        "eu-west-1",
        "eu-west-2",
        "eu-west-3",
        "eu-central-1",
        "eu-north-1",
        "ap-south-1",
        "ap-northeast-1",
        "ap-northeast-2",
        "ap-southeast-1",
        "ap-southeast-2",
        "sa-east-1",
        "ap-east-1",
    ];
    for region in regions {
        s.set("AWS_REGION", region);
        s.run(&["--profile", "prod"]).ok();
    }
    assert_eq!(sts.count("AssumeRole"), 1);
    assert_eq!(s.entry_files().len(), 1);
    // Another endpoint is another session.
    let other = fake::sts();
    s.set("AWS_ENDPOINT_URL_STS", &other.url());
    s.run(&["--profile", "prod"]).ok();
    assert_eq!(other.count("AssumeRole"), 1);
    assert_eq!(s.entry_files().len(), 2);
}

#[test]
fn a_key_rotated_two_links_down_the_chain_is_a_new_session() {
    let sts = fake::sts();
    let mut s = Scenario::new();
    s.set("AWS_ENDPOINT_URL_STS", &sts.url());
    s.config(&format!(
        "[profile prod]\nrole_arn = {ROLE_ARN}\nsource_profile = hop\nregion = eu-west-1\n[profile hop]\nrole_arn = arn:aws:iam::111111111111:role/hop\nrole_session_name = hop\nsource_profile = user\n"
    ));
    let user = |key: &str| {
        format!("[user]\naws_access_key_id = {key}\naws_secret_access_key = {DEV_SECRET}\n")
    };
    s.credentials(&user(DEV_KEY_ID));
    s.run(&["--profile", "prod"]).ok();
    assert_eq!(sts.count("AssumeRole"), 2, "the hop, then the role");
    s.run(&["--profile", "prod"]).ok();
    assert_eq!(sts.count("AssumeRole"), 2, "a cache hit");
    s.credentials(&user("AKIAROTATEDEXAMPLE01"));
    s.run(&["--profile", "prod"]).ok();
    assert_eq!(
        sts.count("AssumeRole"),
        4,
        "the rotated key is a new session"
    );
    assert_eq!(s.entry_files().len(), 2);
}

#[test]
fn a_loop_back_to_a_role_profile_with_static_keys_is_refused_as_the_sdks_refuse_it() {
    // prod -> hop -> prod, prod holding keys: botocore, the CLI v2 and aws-config walk the chain
    // from prod and stop at the revisit; only a profile naming itself may use its own keys.
    let sts = fake::sts();
    let mut s = Scenario::new();
    s.set("AWS_ENDPOINT_URL_STS", &sts.url());
    s.config(&format!(
        "[profile prod]\nrole_arn = {ROLE_ARN}\nsource_profile = hop\nregion = eu-west-1\n\
         aws_access_key_id = {DEV_KEY_ID}\naws_secret_access_key = {DEV_SECRET}\n\
         [profile hop]\nrole_arn = arn:aws:iam::222222222222:role/hop\nsource_profile = prod\n"
    ));
    s.run(&["--profile", "prod"])
        .failed(2)
        .stderr_has(&["prod -> hop -> prod", "infinite loop"])
        .no_secrets_on_stderr();
    assert_eq!(sts.count("AssumeRole"), 0, "nothing reached STS");

    // A longer loop that does not pass through prod's keys is refused the same way.
    s.config(&format!(
        "[profile prod]\nrole_arn = {ROLE_ARN}\nsource_profile = hop\nregion = eu-west-1\n\
         [profile hop]\nrole_arn = arn:aws:iam::222222222222:role/hop\nsource_profile = hop2\n\
         [profile hop2]\nrole_arn = arn:aws:iam::222222222222:role/hop2\nsource_profile = hop\n"
    ));
    s.run(&["--profile", "prod"])
        .failed(2)
        .stderr_has(&["prod -> hop -> hop2 -> hop", "infinite loop"]);
    assert_eq!(sts.count("AssumeRole"), 0);
}
