//! `xacct-cred setup`: writes the role profile and the credential_process profile into the
//! user's config file, keeping every other line and comment, after a backup; idempotent; never
//! replaces a different definition without `--force`. Then runs the doctor on the new profile.

use crate::cli::{RoleArgs, SetupArgs};
use crate::config::{SharedConfig, file_paths};
use crate::env::Environment;
use crate::error::{Error, Result};
use crate::plan::Plan;
use std::path::Path;

pub fn run(args: &SetupArgs, env: &Environment) -> Result<()> {
    if args.role.profile.is_some() || args.role.token_code.is_some() {
        return Err(Error::config("setup takes --name (and --role-profile), not --profile or --token-code")
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
        (None, Some(s)) => ("credential_source", s.clone()),
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
    let mut process_keys = vec![(
        "credential_process".to_string(),
        format!("{} --profile {role_profile}", self_path()?),
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
        write_with_backup(&config_path, &original, &file.text())?;
        for c in &changed {
            eprintln!("xacct-cred: {c} in {}", config_path.display());
        }
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

/// The running binary's absolute path, quoted if it has spaces (botocore's splitter and the
/// SDKs' `sh -c` both honour double quotes).
fn self_path() -> Result<String> {
    let exe = std::env::current_exe()
        .and_then(|p| p.canonicalize())
        .map_err(|e| Error::config(format!("could not find the path of xacct-cred itself: {e}")))?;
    let s = exe.display().to_string();
    Ok(if s.contains(' ') {
        format!("\"{s}\"")
    } else {
        s
    })
}

fn header(profile: &str) -> String {
    if profile == "default" {
        "default".into()
    } else {
        format!("profile {profile}")
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
            if k.contains("secret") {
                format!("{k} = …")
            } else {
                format!("{k} = {v}")
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn write_with_backup(path: &Path, original: &str, text: &str) -> Result<()> {
    let fail = |e: std::io::Error| {
        Error::config(format!("could not write {}: {e}", path.display()))
            .hint("Check the file's permissions; nothing was changed.")
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(fail)?;
    }
    if path.exists() {
        let stamp = time::OffsetDateTime::now_utc().unix_timestamp();
        let backup = path.with_file_name(format!(
            "{}.bak-{stamp}",
            path.file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("config")
        ));
        std::fs::write(&backup, original).map_err(fail)?;
        eprintln!(
            "xacct-cred: backed up {} to {}",
            path.display(),
            backup.display()
        );
    }
    let tmp = path.with_file_name(format!(
        ".{}.xacct-cred-tmp",
        path.file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("config")
    ));
    std::fs::write(&tmp, text).map_err(fail)?;
    if let Ok(meta) = std::fs::metadata(path) {
        let _ = std::fs::set_permissions(&tmp, meta.permissions());
    }
    std::fs::rename(&tmp, path).map_err(fail)
}

/// The config file as lines, edited in place: sections found by their headers, everything else
/// (comments, blank lines, other sections, sub-properties) kept byte for byte.
struct ConfigText {
    lines: Vec<String>,
}

impl ConfigText {
    fn new(text: &str) -> Self {
        ConfigText {
            lines: text.lines().map(str::to_string).collect(),
        }
    }

    fn text(&self) -> String {
        let mut t = self.lines.join("\n");
        t.push('\n');
        t
    }

    fn section_name(line: &str) -> Option<String> {
        let l = line.trim();
        let inner = l.strip_prefix('[')?.split(']').next()?.trim();
        let name = inner
            .strip_prefix("profile")
            .filter(|rest| rest.starts_with(char::is_whitespace))
            .map(str::trim)
            .unwrap_or(inner);
        Some(name.to_string())
    }

    /// Lines [start, end) of a profile's section, trailing blank and comment lines excluded.
    fn span(&self, profile: &str) -> Option<(usize, usize)> {
        let start = self
            .lines
            .iter()
            .position(|l| Self::section_name(l).as_deref() == Some(profile))?;
        let mut end = self.lines[start + 1..]
            .iter()
            .position(|l| Self::section_name(l).is_some())
            .map_or(self.lines.len(), |i| start + 1 + i);
        while end > start + 1 && {
            let t = self.lines[end - 1].trim();
            t.is_empty() || t.starts_with('#') || t.starts_with(';')
        } {
            end -= 1;
        }
        Some((start, end))
    }

    /// The section's top-level `key = value` pairs.
    fn keys(&self, profile: &str) -> Option<Vec<(String, String)>> {
        let (start, end) = self.span(profile)?;
        Some(
            self.lines[start + 1..end]
                .iter()
                .filter(|l| !l.starts_with(char::is_whitespace))
                .filter_map(|l| {
                    let (k, v) = l.split_once('=')?;
                    let k = k.trim();
                    (!k.is_empty() && !k.starts_with('#') && !k.starts_with(';'))
                        .then(|| (k.to_string(), v.trim().to_string()))
                })
                .collect(),
        )
    }

    fn stanza(profile: &str, keys: &[(String, String)]) -> Vec<String> {
        let mut v = vec![format!("[{}]", header(profile))];
        v.extend(keys.iter().map(|(k, val)| format!("{k} = {val}")));
        v
    }

    fn append(&mut self, profile: &str, keys: &[(String, String)]) {
        while self.lines.last().is_some_and(|l| l.trim().is_empty()) {
            self.lines.pop();
        }
        if !self.lines.is_empty() {
            self.lines.push(String::new());
        }
        self.lines.extend(Self::stanza(profile, keys));
    }

    fn replace(&mut self, profile: &str, keys: &[(String, String)]) {
        if let Some((start, end)) = self.span(profile) {
            self.lines.splice(start..end, Self::stanza(profile, keys));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "# my settings\n[default]\nregion = eu-west-1 # home\n\n[profile dev]\nregion = us-east-1\ns3 =\n  addressing_style = path\n\n# the next one is old\n[profile old]\nrole_arn = x\n";

    #[test]
    fn finds_sections_and_keys_and_keeps_everything_else() {
        let mut f = ConfigText::new(FILE);
        assert_eq!(
            f.keys("dev").unwrap(),
            vec![
                ("region".to_string(), "us-east-1".to_string()),
                ("s3".to_string(), String::new())
            ]
        );
        assert!(f.keys("nope").is_none());
        f.append("new", &[("a".into(), "1".into())]);
        assert!(f.text().starts_with(FILE.trim_end()));
        assert!(f.text().ends_with("\n\n[profile new]\na = 1\n"));
        f.replace("old", &[("role_arn".into(), "y".into())]);
        assert!(
            f.text()
                .contains("# the next one is old\n[profile old]\nrole_arn = y\n")
        );
        f.replace("dev", &[("region".into(), "ap-south-1".into())]);
        assert!(
            f.text()
                .contains("[profile dev]\nregion = ap-south-1\n\n# the next one is old"),
            "{}",
            f.text()
        );
    }
}
