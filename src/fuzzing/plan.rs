//! Arbitrary config text (both files) + arbitrary flags + an environment → a plan or an error,
//! never a panic, never a secret from the input in the error text (nor in the plan's `Debug`).
//!
//! Secrets are made recognisable before the plan is built: every top-level `key = value` line
//! whose key mentions a secret, a token or a password gets [`CANARY`] at the start of its value,
//! and so do the secret environment variables and `--token-code`; the canary is removed from
//! the rest of the input first, so any canary in the output came from a secret.

use crate::config::SharedConfig;
use crate::env::Environment;
use crate::plan::RoleInputs;
use crate::plan::{CredentialSource, Plan};

/// Marks a secret's value; never appears in the input except where a secret was planted.
pub const CANARY: &str = "CaNaRy7Secret";

/// The flags, as plain data a fuzzer or a generator can make.
#[derive(Debug, Clone, Default)]
pub struct Flags {
    pub args: RoleInputs,
    pub env: Vec<(String, String)>,
}

/// The credential source the `n`th way (or none), for generators that only make numbers.
pub fn credential_source(n: u8) -> Option<CredentialSource> {
    let all = CredentialSource::ALL;
    all.get(usize::from(n) % (all.len() + 1)).copied()
}

fn is_secret_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    ["secret", "token", "password"]
        .iter()
        .any(|s| k.contains(s))
}

/// The text with [`CANARY`] planted in every secret's value (and nowhere else).
fn plant(text: &str) -> String {
    let text = text.replace(CANARY, "");
    text.split_inclusive('\n')
        .map(|line| match line.split_once('=') {
            Some((k, v)) if !line.starts_with(char::is_whitespace) && is_secret_key(k) => {
                let ws = v.len() - v.trim_start_matches([' ', '\t']).len();
                format!("{k}={}{CANARY}{}", &v[..ws], &v[ws..])
            }
            _ => line.to_string(),
        })
        .collect()
}

fn scrub(v: &Option<String>) -> Option<String> {
    v.as_ref().map(|s| s.replace(CANARY, ""))
}

pub fn check_plan(config: &str, credentials: &str, flags: &Flags) {
    let config = plant(config);
    let credentials = plant(credentials);
    let a = &flags.args;
    let args = RoleInputs {
        profile: scrub(&a.profile),
        role_arn: scrub(&a.role_arn),
        source_profile: scrub(&a.source_profile),
        credential_source: a.credential_source,
        role_session_name: scrub(&a.role_session_name),
        external_id: scrub(&a.external_id),
        duration_seconds: a.duration_seconds,
        mfa_serial: scrub(&a.mfa_serial),
        token_code: a.token_code.as_ref().map(|t| format!("{CANARY}{t}")),
        region: scrub(&a.region),
    };
    let env = Environment::from_pairs(flags.env.iter().map(|(k, v)| {
        let v = v.replace(CANARY, "");
        let v = if is_secret_key(k) {
            format!("{CANARY}{v}")
        } else {
            v
        };
        (k.replace(CANARY, ""), v)
    }));
    let shown = match SharedConfig::from_strings(&config, &credentials) {
        Err(e) => e.to_string(),
        Ok(parsed) => match Plan::build(&parsed, &args, &env) {
            Err(e) => e.to_string(),
            Ok(plan) => {
                let key = crate::cache::key(&plan);
                assert!(key.len() == 40 && key.bytes().all(|b| b.is_ascii_hexdigit()));
                format!("{plan:?} {key}")
            }
        },
    };
    assert!(
        !shown.contains(CANARY),
        "a secret from the input is shown:\n{shown}\n--- config\n{config}\n--- credentials\n{credentials}"
    );
}
