//! setup's change to the config file, pure: the profiles it wants and the file's text in, the
//! new text (or why it refuses) out.
//!
//! Nothing here reads or writes a file, asks a question or looks at the running binary, so its
//! properties — every original line kept in order, the other profiles unchanged, a second run a
//! no-op — are checked on any text by the fuzz target and the property tests
//! (`src/fuzzing/setup_edit.rs`). `setup.rs` does the I/O around it.

use crate::cli::SetupArgs;
use crate::config::SharedConfig;
use crate::config::ini::{ConfigText, header};
use crate::env::Environment;
use crate::error::{Error, Result};
use crate::plan::Plan;
use crate::plan::RoleInputs;
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
    // The file keeps a value trimmed (`key = value`), so that is what setup wants: a second
    // run then finds exactly what the first one wrote.
    let trimmed = |keys: Vec<(String, String)>| {
        keys.into_iter()
            .map(|(k, v)| (k, v.trim().to_string()))
            .collect()
    };
    [
        Wanted {
            profile: role_profile.to_string(),
            keys: trimmed(role_keys),
        },
        Wanted {
            profile: name.to_string(),
            keys: trimmed(process_keys),
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

/// Reads the new text exactly as the default command will: every profile setup writes must be
/// there with every value as given, and the role profile's plan must build. Setup writes nothing
/// that would not work.
pub fn validate(text: &str, credentials: &str, wanted: &[Wanted], env: &Environment) -> Result<()> {
    for w in wanted {
        if w.profile.is_empty() || !w.profile.chars().all(is_profile_char) {
            return Err(Error::config(format!(
                "\"{}\" is not a profile name the AWS CLI and SDKs read; nothing was written",
                w.profile.escape_debug()
            ))
            .hint("Use letters, digits and _-/.%@:+ in --name and --role-profile (e.g. prod and prod-role)."));
        }
    }
    let parsed = SharedConfig::from_strings(text, credentials)?;
    for w in wanted {
        let Some(profile) = parsed.profile(&w.profile) else {
            return Err(Error::config(format!(
                "the AWS CLI and SDKs would not read [{}] from this file, though setup found a section by that name; nothing was written",
                header(&w.profile)
            ))
            .hint("In the config file every profile but default is written [profile NAME]: fix or remove the section without `profile`, or pass --force."));
        };
        for (k, v) in &w.keys {
            if profile.get(k) != Some(v.as_str()) {
                return Err(Error::config(format!(
                    "the {k} for [{}] would not read back as given (\"{}\"): a line break, or a comment after a space, changes it; nothing was written",
                    header(&w.profile),
                    v.escape_debug()
                ))
                .hint("Pass the value alone, without # or ; comments or line breaks."));
            }
        }
    }
    let role_profile = wanted.first().map_or("", |w| w.profile.as_str());
    Plan::build(
        &parsed,
        &RoleInputs {
            profile: Some(role_profile.to_string()),
            ..RoleInputs::default()
        },
        env,
    )
    .map(drop)
}

/// What aws-config accepts in a profile name (its `validate_identifier`); others it ignores.
fn is_profile_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "_-/.%@:+".contains(c)
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

#[cfg(test)]
mod tests {
    //! Found by the setup_edit fuzz target's properties (src/fuzzing/setup_edit.rs), run by hand on
    //! inputs of its format before the 10-minute run.
    use super::*;

    const ARN: &str = "arn:aws:iam::111111111111:role/r";

    fn wanted_for(
        name: &str,
        role_profile: &str,
        session: Option<&str>,
        region: Option<&str>,
    ) -> [Wanted; 2] {
        let args = SetupArgs {
            name: None,
            role_profile: None,
            role: RoleInputs {
                role_session_name: session.map(str::to_string),
                region: region.map(str::to_string),
                ..RoleInputs::default()
            },
            force: false,
            no_doctor: true,
            source_in_store: false,
            store: Default::default(),
        };
        wanted(
            &args,
            name,
            ARN.into(),
            ("source_profile", "default".into()),
            role_profile,
            "/bin/xacct-cred",
        )
    }

    fn setup(original: &str, w: &[Wanted]) -> Result<Edited> {
        let edited = apply(original, w, false, Path::new("config"))?;
        validate(&edited.text, "", w, &Environment::default())?;
        Ok(edited)
    }

    /// `[profile a b]` is ignored by aws-config: setup reported success for a profile the AWS
    /// CLI could not find.
    #[test]
    fn a_profile_name_aws_config_ignores_is_refused() {
        let err = setup("[default]\n", &wanted_for("a b", "prod-role", None, None)).unwrap_err();
        assert!(
            err.what().contains("\"a b\" is not a profile name"),
            "{err}"
        );
        assert!(setup("[default]\n", &wanted_for("prod", "r]x", None, None)).is_err());
    }

    /// `--region "eu-west-1 # c"` was written as is, and aws-config reads `eu-west-1`.
    #[test]
    fn a_value_that_would_not_read_back_as_given_is_refused() {
        let err = setup(
            "[default]\n",
            &wanted_for("prod", "prod-role", None, Some("eu-west-1 # c")),
        )
        .unwrap_err();
        assert!(
            err.what()
                .contains("the region for [profile prod-role] would not read back"),
            "{err}"
        );
    }

    /// `--role-session-name " sp"` was written as `=  sp`, read back as `sp`, and the same setup
    /// again refused: "already defines [profile prod-role] differently".
    #[test]
    fn the_same_setup_twice_with_padded_values_changes_nothing() {
        let w = wanted_for("prod", "prod-role", Some("  sp  "), None);
        let first = setup("[default]\n", &w).unwrap();
        let second = setup(&first.text, &w).unwrap();
        assert_eq!((second.text, second.changed.len()), (first.text, 0));
    }
}
