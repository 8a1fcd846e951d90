//! `xacct-cred setup`: writes the role profile and the credential_process profile into the
//! user's config file, keeping every other line and comment, after a backup; idempotent; never
//! replaces a different definition without `--force`. Then runs the doctor on the new profile.

use crate::cli::{RoleArgs, SetupArgs};
use crate::config::edit::{ConfigText, header, write_with_backup};
use crate::config::{SharedConfig, file_paths};
use crate::env::Environment;
use crate::error::{Error, Result};
use crate::plan::Plan;
use std::path::{Path, PathBuf};

pub fn run(args: &SetupArgs, env: &Environment) -> Result<()> {
    if args.role.profile.is_some() {
        return Err(Error::config("setup takes --name (and --role-profile), not --profile")
            .hint("Example: xacct-cred setup --name prod --role-arn arn:aws:iam::111111111111:role/readonly --source-profile dev"));
    }
    let role = &args.role;
    let name = required(
        args.name.clone(),
        "--name",
        "Name of the profile the AWS CLI will use (e.g. prod): ",
    )?;
    let role_arn = required(
        args.role.role_arn.clone(),
        "--role-arn",
        "Role ARN to assume (arn:aws:iam::ACCOUNT:role/NAME): ",
    )?;
    let source = match (&role.source_profile, &role.credential_source) {
        (Some(p), _) => ("source_profile", p.clone()),
        (None, Some(s)) => ("credential_source", s.name().to_string()),
        (None, None) => (
            "source_profile",
            required(
                None,
                "--source-profile or --credential-source",
                "Profile with the credentials that assume it (e.g. dev): ",
            )?,
        ),
    };
    let role_profile = args
        .role_profile
        .clone()
        .unwrap_or_else(|| format!("{name}-role"));
    if role_profile == name {
        return Err(Error::config("--role-profile must differ from --name")
            .hint("The role's settings and the credential_process live in two profiles."));
    }

    let mut role_keys = vec![
        ("role_arn".to_string(), role_arn),
        (source.0.to_string(), source.1),
    ];
    let optional = [
        ("role_session_name", args.role.role_session_name.clone()),
        ("external_id", args.role.external_id.clone()),
        (
            "duration_seconds",
            args.role.duration_seconds.map(|d| d.to_string()),
        ),
        ("mfa_serial", args.role.mfa_serial.clone()),
        ("region", args.role.region.clone()),
    ];
    role_keys.extend(
        optional
            .into_iter()
            .filter_map(|(k, v)| Some((k.to_string(), v?))),
    );
    let (binary, why_binary) = self_path(env)?;
    let mut process_keys = vec![(
        "credential_process".to_string(),
        format!("{} --profile {role_profile}", quoted(&binary)),
    )];
    if let Some(region) = &role.region {
        process_keys.push(("region".into(), region.clone()));
    }

    let (config_path, credentials_path) = file_paths(env);
    let original = match std::fs::read_to_string(&config_path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => {
            return Err(Error::config(format!(
                "could not read {}: {e}",
                config_path.display()
            )));
        }
    };
    let mut file = ConfigText::new(&original);
    let mut changed = Vec::new();
    for (profile, keys) in [(&role_profile, &role_keys), (&name, &process_keys)] {
        match file.keys(profile) {
            None => {
                file.append(profile, keys);
                changed.push(format!("added [{}]", header(profile)));
            }
            Some(existing) if same(&existing, keys) => {}
            Some(existing) if args.force => {
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

    // Validate the result exactly as the default command will read it, before writing anything.
    let credentials = std::fs::read_to_string(&credentials_path).unwrap_or_default();
    let parsed = SharedConfig::from_strings(&file.text(), &credentials)?;
    Plan::build(
        &parsed,
        &RoleArgs {
            profile: Some(role_profile.clone()),
            ..RoleArgs::default()
        },
        env,
    )?;

    if changed.is_empty() {
        eprintln!(
            "xacct-cred: [{}] and [{}] in {} are already set up; nothing changed.",
            header(&name),
            header(&role_profile),
            config_path.display()
        );
    } else {
        let written = write_with_backup(&config_path, &original, &file.text())?;
        let target = if written.target == config_path {
            config_path.display().to_string()
        } else {
            format!(
                "{} (the target of the symlink {}, which stays)",
                written.target.display(),
                config_path.display()
            )
        };
        if let Some(backup) = &written.backup {
            eprintln!("xacct-cred: backed up {target} to {}", backup.display());
        }
        for c in &changed {
            eprintln!("xacct-cred: {c} in {target}");
        }
        eprintln!(
            "xacct-cred: credential_process runs {} ({why_binary})",
            binary.display()
        );
        eprintln!("xacct-cred: use it with: aws sts get-caller-identity --profile {name}");
    }
    if args.no_doctor {
        return Ok(());
    }
    eprintln!();
    crate::cmd::doctor::run(
        &crate::cli::DoctorArgs {
            role: RoleArgs {
                profile: Some(role_profile),
                ..RoleArgs::default()
            },
            store: args.store.clone(),
            json: false,
        },
        env,
    )
}

fn required(value: Option<String>, flag: &str, question: &str) -> Result<String> {
    if let Some(v) = value.filter(|v| !v.trim().is_empty()) {
        return Ok(v);
    }
    match crate::prompt::ask(question) {
        Ok(answer) if !answer.is_empty() => Ok(answer),
        Ok(_) => Err(Error::config(format!("no value given for {flag}"))),
        Err(why) => Err(Error::config(format!("setup needs {flag} (and there is no terminal to ask on: {why})"))
            .hint("Example: xacct-cred setup --name prod --role-arn arn:aws:iam::111111111111:role/readonly --source-profile dev")),
    }
}

/// The path credential_process should run, stable across upgrades, and why it was chosen:
/// the `xacct-cred` found on PATH if it is this very file (e.g. Homebrew's bin/ link, which
/// survives `brew upgrade`), else the path this was run as, made absolute but not resolved
/// through links (a versioned Cellar/nix-store directory goes away on upgrade).
fn self_path(env: &Environment) -> Result<(PathBuf, &'static str)> {
    let exe = std::env::current_exe()
        .map_err(|e| Error::config(format!("could not find the path of xacct-cred itself: {e}")))?;
    let on_path = env
        .get("PATH")
        .into_iter()
        .flat_map(std::env::split_paths)
        .find_map(|dir| {
            let candidate = dir.join(BINARY_NAME);
            (candidate.is_absolute() && same_file(&candidate, &exe)).then_some(candidate)
        });
    if let Some(p) = on_path {
        return Ok((p, "the xacct-cred found on PATH, the same file as this one"));
    }
    let invoked = std::env::args_os().next().map(PathBuf::from);
    match invoked.filter(|p| p.components().count() > 1) {
        Some(p) => {
            let absolute = std::path::absolute(&p).unwrap_or(p);
            let clean: PathBuf = absolute.components().collect();
            Ok((
                clean,
                "the path it was run as; no xacct-cred on PATH is this file",
            ))
        }
        None => Ok((exe, "this binary's own path")),
    }
}

const BINARY_NAME: &str = if cfg!(windows) {
    "xacct-cred.exe"
} else {
    "xacct-cred"
};

/// Whether two paths name the same file (device and inode; links followed).
#[cfg(unix)]
fn same_file(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(a), Ok(b)) => a.is_file() && a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn same_file(a: &Path, b: &Path) -> bool {
    matches!((a.canonicalize(), b.canonicalize()), (Ok(a), Ok(b)) if a == b)
}

/// Quoted if it has spaces (botocore's splitter and the SDKs' `sh -c` both honour double
/// quotes).
fn quoted(path: &Path) -> String {
    let s = path.display().to_string();
    if s.contains(' ') {
        format!("\"{s}\"")
    } else {
        s
    }
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
