//! setup's change to the config file, pure: the profiles it wants and the file's text in, the
//! new text (or why it refuses) out.
//!
//! Nothing here reads or writes a file, asks a question or looks at the running binary, so its
//! properties — every original line kept in order, the other profiles unchanged, a second run a
//! no-op — are checked on any text by the fuzz target and the property tests
//! (`src/fuzzing/setup.rs`). `setup.rs` does the I/O around it.

use crate::cli::{RoleArgs, SetupArgs};
use crate::config::SharedConfig;
use crate::config::edit::{ConfigText, header};
use crate::env::Environment;
use crate::error::{Error, Result};
use crate::plan::Plan;
use std::path::Path;

/// A profile setup writes, with its keys in the order they are written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wanted {
    pub profile: String,
    pub keys: Vec<(String, String)>,
}

/// The two profiles: the role's settings, then the credential_process profile that runs `exe`.
pub fn wanted(
    args: &SetupArgs,
    name: &str,
    role_arn: String,
    source: (&str, String),
    role_profile: &str,
    exe: &str,
) -> [Wanted; 2] {
    let role = &args.role;
    let mut role_keys = vec![
        ("role_arn".to_string(), role_arn),
        (source.0.to_string(), source.1),
    ];
    let optional = [
        ("role_session_name", role.role_session_name.clone()),
        ("external_id", role.external_id.clone()),
        (
            "duration_seconds",
            role.duration_seconds.map(|d| d.to_string()),
        ),
        ("mfa_serial", role.mfa_serial.clone()),
        ("region", role.region.clone()),
    ];
    role_keys.extend(
        optional
            .into_iter()
            .filter_map(|(k, v)| Some((k.to_string(), v?))),
    );
    let mut process_keys = vec![(
        "credential_process".to_string(),
        format!("{exe} --profile {role_profile}"),
    )];
    if let Some(region) = &role.region {
        process_keys.push(("region".into(), region.clone()));
    }
    [
        Wanted {
            profile: role_profile.to_string(),
            keys: role_keys,
        },
        Wanted {
            profile: name.to_string(),
            keys: process_keys,
        },
    ]
}

/// The file after setup, and a line per profile added or replaced (none: already set up).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edited {
    pub text: String,
    pub changed: Vec<String>,
}

/// Adds each wanted profile, keeps one that already matches, replaces a different one only
/// with `force`; `config_path` only names the file in the refusal.
pub fn apply(original: &str, wanted: &[Wanted], force: bool, config_path: &Path) -> Result<Edited> {
    let mut file = ConfigText::new(original);
    let mut changed = Vec::new();
    for Wanted { profile, keys } in wanted {
        match file.keys(profile) {
            None => {
                file.append(profile, keys);
                changed.push(format!("added [{}]", header(profile)));
            }
            Some(existing) if same(&existing, keys) => {}
            Some(existing) if force => {
                file.replace(profile, keys);
                changed.push(format!(
                    "replaced [{}] (it had: {})",
                    header(profile),
                    describe(&existing)
                ));
            }
            Some(existing) => {
                return Err(Error::config(format!(
                    "{} already defines [{}] differently ({}); nothing was written",
                    config_path.display(),
                    header(profile),
                    describe(&existing)
                ))
                .hint("Pick another --name / --role-profile, or pass --force to replace it (a backup is made first)."));
            }
        }
    }
    Ok(Edited {
        text: file.text(),
        changed,
    })
}

/// Reads the new text exactly as the default command will, and builds the role profile's plan:
/// setup writes nothing that would not work.
pub fn validate(
    text: &str,
    credentials: &str,
    role_profile: &str,
    env: &Environment,
) -> Result<()> {
    let parsed = SharedConfig::from_strings(text, credentials)?;
    Plan::build(
        &parsed,
        &RoleArgs {
            profile: Some(role_profile.to_string()),
            ..RoleArgs::default()
        },
        env,
    )
    .map(drop)
}

fn same(existing: &[(String, String)], wanted: &[(String, String)]) -> bool {
    let mut a = existing.to_vec();
    let mut b = wanted.to_vec();
    a.sort();
    b.sort();
    a == b
}

fn describe(keys: &[(String, String)]) -> String {
    keys.iter()
        .map(|(k, v)| {
            let k_lower = k.to_ascii_lowercase();
            if k_lower.contains("secret") || k_lower.contains("token") {
                format!("{k} = …")
            } else {
                format!("{k} = {v}")
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}
