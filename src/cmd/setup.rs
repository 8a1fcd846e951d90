//! `xacct-cred setup`: writes the role profile and the credential_process profile into the
//! user's config file, keeping every other line and comment, after a backup (none of a text
//! holding a secret); idempotent; never replaces a different definition without `--force`.
//! Then runs the doctor on the new profile.

pub(crate) mod edit;

use crate::cli::SetupArgs;
use crate::config::ini::{ConfigText, header};
use crate::config::lines::{holds_secret_line, set_key};
use crate::config::self_command::{keys_export_command, quoted, self_path};
use crate::config::{SharedConfig, file_paths_to_edit};
use crate::disk::path_walk::{refuse_others_reads_as_root, refuse_paths_others_control_as_root};
use crate::disk::replace::{replace_without_backup, write_with_backup};
use crate::disk::user_text;
use crate::env::Environment;
use crate::error::{Error, Result};
use crate::plan::RoleInputs;

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

    let (binary, why_binary) = self_path(env)?;
    let wanted = edit::wanted(
        args,
        &name,
        role_arn,
        source.clone(),
        &role_profile,
        &quoted(&binary),
    );

    let (config_path, credentials_path) = file_paths_to_edit(env)?;
    refuse_paths_others_control_as_root(&config_path)?;
    // Setup reads the credentials file, and its doctor step runs what it says (a
    // credential_process): as root, only a file no other user can fill.
    refuse_others_reads_as_root(
        &credentials_path,
        "xacct-cred does not read",
        "Another user could choose what root reads, and a credential_process there would run as root. Run the command as the user whose files these are (e.g. sudo -u USER xacct-cred …), or point AWS_SHARED_CREDENTIALS_FILE at a file of root's. Nothing was changed.",
    )?;
    let original = user_text::read(&config_path)?;
    let credentials = user_text::read(&credentials_path)?;
    let edit::Edited { text, mut changed } =
        edit::apply(&original, &wanted, args.force, &config_path)?;
    let text = match args.source_in_store {
        true => {
            let line = keys_export_command(&quoted(&binary), &source.1);
            let with = store_source(&text, &credentials, (source.0, &source.1), &line)?;
            if with != text {
                changed.push(format!(
                    "set credential_process = {line} in [{}]",
                    header(&source.1)
                ));
            }
            with
        }
        false => text,
    };
    // Validate the result exactly as the default command will read it, before writing anything.
    edit::validate(&text, &credentials, &wanted, env).map_err(|e| {
        // A file that does not parse: said again with its name (the check parses texts).
        let named = (config_path.as_path(), original.as_str());
        SharedConfig::from_named_strings(named, (&credentials_path, &credentials))
            .err()
            .unwrap_or(e)
    })?;

    if changed.is_empty() {
        crate::say!(
            "[{}] and [{}] in {} are already set up; nothing changed.",
            header(&name),
            header(&role_profile),
            config_path.display()
        );
    } else {
        // A backup of a text holding a secret would be one more copy of it on disk.
        let secret = holds_secret_line(&original);
        let written = match secret {
            true => replace_without_backup(&config_path, &original, &text)?,
            false => write_with_backup(&config_path, &original, &text)?,
        };
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
            crate::say!("backed up {target} to {}", backup.display());
        }
        if secret {
            crate::say!(
                "made no backup of {target}: it holds a secret key or session token line, and a backup would be one more copy of it (xacct-cred keys import PROFILE moves a key into the key store)"
            );
        }
        for c in &changed {
            crate::say!("{c} in {target}");
        }
        crate::say!(
            "credential_process runs {} ({why_binary})",
            binary.display()
        );
        crate::say!("use it with: aws sts get-caller-identity --profile {name}");
    }
    if args.no_doctor {
        return Ok(());
    }
    crate::diag::blank();
    crate::diagnosis::run(
        &crate::cli::DoctorArgs {
            role: RoleInputs {
                profile: Some(role_profile),
                ..RoleInputs::default()
            },
            store: args.store.clone(),
            json: false,
        },
        env,
    )
}

/// `text` with the source profile serving its stored keys (`--source-in-store`): refused for a
/// `credential_source`, and while the files still hold keys for it (they would win).
fn store_source(text: &str, credentials: &str, source: (&str, &str), line: &str) -> Result<String> {
    let (kind, profile) = source;
    if kind != "source_profile" {
        return Err(Error::config("--source-in-store needs --source-profile")
            .hint("Stored keys belong to a profile: xacct-cred keys add PROFILE, then setup … --source-profile PROFILE --source-in-store."));
    }
    let has_keys = |keys: Option<Vec<(String, String)>>| {
        keys.unwrap_or_default()
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("aws_access_key_id"))
    };
    let in_credentials = has_keys(ConfigText::new(credentials).keys(profile));
    if in_credentials || has_keys(ConfigText::new(text).keys(profile)) {
        return Err(Error::config(format!(
            "--source-in-store: the files still hold keys for profile {profile}; nothing was written"
        ))
        .hint(format!("Move them into the key store first: xacct-cred keys import {profile}")));
    }
    let edited = set_key(text, &header(profile), profile, "credential_process", line);
    // Already there: keep the text byte for byte (a second run changes nothing).
    let current = ConfigText::new(text).keys(profile).unwrap_or_default();
    let present = current
        .iter()
        .any(|(k, v)| k == "credential_process" && v == line);
    Ok(if present { text.to_string() } else { edited })
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
