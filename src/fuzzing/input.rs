//! The fuzz targets' input format: plain text, so the committed seeds are readable and
//! libFuzzer's text mutations (and its dictionary) stay meaningful. Parts are separated by a
//! line `%%`; flags are lines `--flag value` (unknown ones ignored); the environment is
//! `NAME=value` lines.

use super::{Flags, SetupInput};
use crate::plan::RoleInputs;

const SEPARATOR: &str = "\n%%\n";

/// Up to `N` parts of the text (missing ones empty).
fn parts<const N: usize>(bytes: &[u8]) -> [String; N] {
    let text = String::from_utf8_lossy(bytes);
    let mut split = text.splitn(N, SEPARATOR);
    std::array::from_fn(|_| split.next().unwrap_or_default().to_string())
}

fn flags(text: &str) -> (RoleInputs, Vec<(String, String)>) {
    let mut args = RoleInputs::default();
    let mut other = Vec::new();
    for line in text.lines() {
        let (flag, value) = line.split_once(' ').unwrap_or((line, ""));
        let v = Some(value.to_string());
        match flag {
            "--profile" => args.profile = v,
            "--role-arn" => args.role_arn = v,
            "--source-profile" => args.source_profile = v,
            "--credential-source" => {
                args.credential_source = value.parse().ok().and_then(super::credential_source)
            }
            "--role-session-name" => args.role_session_name = v,
            "--external-id" => args.external_id = v,
            "--duration-seconds" => args.duration_seconds = value.parse().ok(),
            "--mfa-serial" => args.mfa_serial = v,
            "--token-code" => args.token_code = v,
            "--region" => args.region = v,
            _ => other.push((flag.to_string(), value.to_string())),
        }
    }
    (args, other)
}

/// config `%%` credentials `%%` flags `%%` environment.
pub fn check_plan_input(bytes: &[u8]) {
    let [config, credentials, flag_text, env] = parts::<4>(bytes);
    let (args, _) = flags(&flag_text);
    let env = env
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    super::check_plan(&config, &credentials, &Flags { args, env });
}

/// config `%%` setup's flags (`--name`, `--role-profile`, `--force`, and the role's flags; a
/// `--credential-source NAME` line instead of `--source-profile`).
pub fn check_setup_input(bytes: &[u8]) {
    let [config, flag_text] = parts::<2>(bytes);
    let (role, other) = flags(&flag_text);
    let get = |name: &str| {
        other
            .iter()
            .rev()
            .find(|(f, _)| f == name)
            .map(|(_, v)| v.clone())
    };
    let cs = flag_text
        .lines()
        .find_map(|l| l.strip_prefix("--credential-source "));
    let input = SetupInput {
        name: get("--name").unwrap_or_else(|| "prod".into()),
        role_profile: get("--role-profile").unwrap_or_else(|| "prod-role".into()),
        role_arn: role.role_arn.clone().unwrap_or_default(),
        credential_source: cs.is_some(),
        source: cs
            .map(str::to_string)
            .or_else(|| role.source_profile.clone())
            .unwrap_or_default(),
        force: get("--force").is_some(),
        // The running binary's path, as setup.rs's self_path makes it: not an argument.
        exe: "/usr/local/bin/xacct-cred".into(),
        role,
    };
    super::check_setup(&config, &input);
}

/// access key id `%%` secret access key `%%` session token.
pub fn check_export_input(bytes: &[u8]) {
    let [id, secret, token] = parts::<3>(bytes);
    super::check_export(&id, &secret, &token);
}

/// A first byte 0: the getSigninToken reply; 2: an error reply, with the status in the next
/// two bytes; else the IMDS credentials document.
pub fn check_reply_input(bytes: &[u8]) {
    match bytes.split_first() {
        Some((0, reply)) => super::check_signin_reply(reply),
        Some((2, [hi, lo, body @ ..])) => {
            super::check_error_reply(Some(u16::from_be_bytes([*hi, *lo])), body)
        }
        Some((_, reply)) => super::check_imds_reply(reply),
        None => {}
    }
}
