//! `xacct-cred console`: the AWS console for the role — the switch-role URL, or with
//! `--federated` a signed-in session through the federation endpoint's getSigninToken.
//!
//! The federated URL carries a sign-in token, a secret: it goes to stdout (or the browser,
//! through a private local page: `redirect`) only, never into a message or a command line. The
//! session crosses to the federation endpoint in its query, so that endpoint must be https, or
//! plain http on this machine's loopback (a local test server).

mod redirect;

use crate::InheritedEnv;
use crate::cli::ConsoleArgs;
use crate::credentials::SessionCredentials;
use crate::env::Environment;
use crate::error::{Error, Kind, Result};
use crate::plan::Plan;
use crate::session::{self, Caller};
use std::io::Write;
use std::time::Duration;

pub const FEDERATION_ENDPOINT: &str = "XACCT_CRED_FEDERATION_ENDPOINT";
/// The whole getSigninToken exchange, connecting included.
const FEDERATION_TIMEOUT: Duration = Duration::from_secs(10);

pub fn run(args: &ConsoleArgs, env: &Environment, inherited: &dyn InheritedEnv) -> Result<()> {
    let config = args.role.load_config(env)?;
    let plan = Plan::build(&config, &args.role, env)?;
    let url = if args.federated {
        let (endpoint, from) = match (&args.federation_endpoint, env.get(FEDERATION_ENDPOINT)) {
            (Some(e), _) => (e.clone(), "--federation-endpoint"),
            (None, Some(e)) => (e.to_string(), FEDERATION_ENDPOINT),
            (None, None) => (
                format!(
                    "https://{}/federation",
                    signin_host(&plan.role.role_arn.partition)
                ),
                "the default",
            ),
        };
        check_federation_endpoint(&endpoint, from)?;
        let creds = session::obtain_from_sts(&plan, &args.cache, Caller::Once, env, inherited)?;
        let destination = args
            .destination
            .clone()
            .unwrap_or_else(|| console_home(&plan));
        let url = federated_url(&endpoint, &destination, &creds)?;
        if args.open {
            let page = redirect::write_page(args.cache.store.locate()?, &url)?;
            if !open(page.as_os_str()) {
                let _ = std::fs::remove_file(&page);
                print_unopened(&url);
            }
            return Ok(());
        }
        url
    } else {
        switch_role_url(
            &plan,
            args.display_name.as_deref(),
            args.role_color.as_deref(),
        )?
    };
    if args.open {
        if !open(url.as_ref()) {
            print_unopened(&url);
        }
        return Ok(());
    }
    let _ = std::io::stdout()
        .lock()
        .write_all(format!("{url}\n").as_bytes());
    Ok(())
}

fn signin_host(partition: &str) -> &'static str {
    match partition {
        "aws-cn" => "signin.amazonaws.cn",
        "aws-us-gov" => "signin.amazonaws-us-gov.com",
        _ => "signin.aws.amazon.com",
    }
}

fn console_home(plan: &Plan) -> String {
    match plan.role.role_arn.partition.as_str() {
        "aws-cn" => "https://console.amazonaws.cn/".into(),
        "aws-us-gov" => "https://console.amazonaws-us-gov.com/".into(),
        _ => format!(
            "https://{}.console.aws.amazon.com/console/home?region={}",
            plan.region, plan.region
        ),
    }
}

/// `https://signin…/switchrole?account=…&roleName=…&displayName=…&color=…`
pub fn switch_role_url(
    plan: &Plan,
    display_name: Option<&str>,
    color: Option<&str>,
) -> Result<String> {
    let role = &plan.role.role_arn;
    let role_name = role
        .arn
        .split_once(":role/")
        .map(|(_, n)| n)
        .unwrap_or(&role.name);
    let display = display_name
        .map(str::to_string)
        .or_else(|| plan.profile.clone())
        .unwrap_or_else(|| format!("{}@{}", role.name, role.account_id));
    let mut url = format!(
        "https://{}/switchrole?account={}&roleName={}&displayName={}",
        signin_host(&role.partition),
        role.account_id,
        encode(role_name),
        encode(&display)
    );
    if let Some(c) = color {
        let hex = c.trim_start_matches('#');
        if hex.len() != 6 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(
                Error::config(format!("--color {c} is not a 6-digit hex colour"))
                    .hint("Use e.g. F2B0A9 (the console's pastel red) or 99BCE3 (blue)."),
            );
        }
        url.push_str(&format!("&color={}", hex.to_ascii_uppercase()));
    }
    Ok(url)
}

/// getSigninToken with the session, then the login URL that carries the token.
fn federated_url(endpoint: &str, destination: &str, creds: &SessionCredentials) -> Result<String> {
    let session = serde_json::json!({
        "sessionId": creds.access_key_id,
        "sessionKey": creds.secret_access_key.expose(),
        "sessionToken": creds.session_token.expose(),
    })
    .to_string();
    let token_url = format!(
        "{endpoint}?Action=getSigninToken&Session={}",
        encode(&session)
    );
    let unavailable = |why: String, hint: &str| {
        Error::new(Kind::StsUnavailable, format!("the federation endpoint {endpoint} did not give a sign-in token: {why}"))
            .hint(format!("{hint} Federated sign-in needs credentials from AssumeRole (not an IAM user's keys), and --federation-endpoint must be the partition's …/federation URL."))
    };
    let reply = crate::aws::http_client::get(&token_url, FEDERATION_TIMEOUT)
        .map_err(|e| unavailable(e.to_string(), e.hint()))?;
    if !reply.is_success() {
        return Err(unavailable(
            format!("HTTP {}", reply.status),
            "Check the network.",
        ));
    }
    if std::str::from_utf8(&reply.body).is_err() {
        return Err(unavailable(
            "the reply is not UTF-8".into(),
            "Check the endpoint.",
        ));
    }
    let token = signin_token(&reply.body)
        .ok_or_else(|| Error::new(Kind::Sts, format!("the federation endpoint {endpoint} answered without a SigninToken")).hint("The session may be too old or from role chaining longer than an hour; run with --refresh."))?;
    Ok(format!(
        "{endpoint}?Action=login&Issuer=xacct-cred&Destination={}&SigninToken={}",
        encode(destination),
        encode(&token)
    ))
}

/// The getSigninToken reply's token: `{"SigninToken": "…"}`, anything else `None`.
pub(crate) fn signin_token(body: &[u8]) -> Option<String> {
    serde_json::from_slice::<serde_json::Value>(body)
        .ok()?
        .get("SigninToken")?
        .as_str()
        .map(str::to_string)
}

/// The desktop's opener for a URL or a file.
const OPENER: &[&str] = if cfg!(target_os = "macos") {
    &["open"]
} else if cfg!(windows) {
    &["cmd", "/C", "start", ""]
} else {
    &["xdg-open"]
};

/// Opens a URL without a secret, or the path of a page, in the desktop's browser.
fn open(target: &std::ffi::OsStr) -> bool {
    let Some(opener) = opener() else {
        return false;
    };
    std::process::Command::new(opener)
        .args(&OPENER[1..])
        .arg(target)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The opener to run; none as root. The desktop's opener picks what it runs from the caller's
/// environment (`BROWSER`, `www-browser` on PATH, `DISPLAY`), which `su` without `-` and
/// `sudo -E` hand root from another user: root's own `xdg-open` then ran that user's program
/// as root, or showed the sign-in page on their display. Root is given the URL instead.
fn opener() -> Option<std::path::PathBuf> {
    match crate::config::self_command::running_as_root() {
        true => None,
        false => Some(OPENER[0].into()),
    }
}

fn print_unopened(url: &str) {
    match crate::config::self_command::running_as_root() {
        true => crate::say!(
            "as root, no browser is opened (the desktop's opener would run what the environment names); here is the URL:"
        ),
        false => crate::say!("could not open a browser ({}); here is the URL:", OPENER[0]),
    }
    let _ = std::io::stdout()
        .lock()
        .write_all(format!("{url}\n").as_bytes());
}

/// https anywhere, plain http only to this machine's loopback: the session's key and token go
/// to the endpoint in the query.
fn check_federation_endpoint(endpoint: &str, from: &str) -> Result<()> {
    let refuse = |why: &str| {
        Err(Error::config(format!(
            "the federation endpoint {endpoint} (from {from}) {why}"
        ))
        .hint("Use the partition's https://signin…/federation URL (the default), or plain http only to 127.0.0.1, [::1] or localhost (a local test server)."))
    };
    let (secure, rest) = if let Some(rest) = endpoint.strip_prefix("https://") {
        (true, rest)
    } else if let Some(rest) = endpoint.strip_prefix("http://") {
        (false, rest)
    } else {
        return refuse("is not an https:// URL");
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = match host_port.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => host_port.split(':').next().unwrap_or(""),
    };
    if host.is_empty() {
        return refuse("names no host");
    }
    let loopback = host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    if !secure && !loopback {
        return refuse(
            "is plain http to another host: the session's key and token would cross the network in clear",
        );
    }
    Ok(())
}

/// Percent-encoding of everything but the unreserved characters (RFC 3986).
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
