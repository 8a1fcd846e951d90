//! Where the credentials that call AssumeRole come from: the source spec, and how a profile
//! (or the flags) name it. Pure: parsed profiles and the environment snapshot only; resolving
//! the spec into credentials is `aws::source_credential`'s job, on a cache miss.

use super::RoleInputs;
use super::unknown_profile;
use crate::config::SharedConfig;
use crate::env::Environment;
use crate::error::{Error, Result};

/// The `credential_source` values the AWS CLI documents, spelt as it spells them; the same
/// names parse `--credential-source` (in `cli`) and the profile key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CredentialSource {
    /// AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN.
    Environment,
    /// The EC2 instance role, from IMDSv2.
    Ec2InstanceMetadata,
    /// The task role, from the ECS container credentials endpoint.
    EcsContainer,
}

impl CredentialSource {
    pub const ALL: [CredentialSource; 3] = [
        CredentialSource::Environment,
        CredentialSource::Ec2InstanceMetadata,
        CredentialSource::EcsContainer,
    ];

    pub fn name(self) -> &'static str {
        match self {
            CredentialSource::Environment => "Environment",
            CredentialSource::Ec2InstanceMetadata => "Ec2InstanceMetadata",
            CredentialSource::EcsContainer => "EcsContainer",
        }
    }

    /// A profile's `credential_source` value, exactly as the AWS CLI accepts it.
    fn from_profile(value: &str) -> Option<CredentialSource> {
        Self::ALL.into_iter().find(|k| k.name() == value)
    }

    /// The documented spelling of a value that differs only in case, for the hint.
    fn near(value: &str) -> Option<CredentialSource> {
        Self::ALL
            .into_iter()
            .find(|k| k.name().eq_ignore_ascii_case(value))
    }
}

/// Where the credentials that call AssumeRole come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceSpec {
    /// Whatever that profile resolves to through aws-config (keys, SSO, process, another role).
    Profile {
        name: String,
        /// Non-secret facts that tell apart two identities behind the same profile name:
        /// the files it came from and its access key id or its own role settings.
        identity: Vec<String>,
    },
    /// A profile's own static keys, used directly (botocore's rule): a source profile that
    /// holds aws_access_key_id and aws_secret_access_key, even if it also has role_arn, and a
    /// role profile with keys that names itself as source_profile. The secret is read from
    /// the files when the source is resolved (`source.rs`), never held in the plan.
    StaticKeys { name: String, access_key_id: String },
    /// A profile whose long-term key is in the key store: nothing in the files resolves, or
    /// only `credential_process = xacct-cred keys export NAME` (read from the store, not run).
    /// The store is opened only to resolve it; the plan names it by what the environment names
    /// ([`Environment::key_store_named`]), never by anything read from it.
    Stored {
        name: String,
        backend: Option<String>,
    },
    /// AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN.
    Environment { access_key_id: Option<String> },
    /// The instance role, from IMDSv2.
    Ec2InstanceMetadata { endpoint: Option<String> },
    /// The task role, from the ECS container credentials endpoint.
    EcsContainer { uri: Option<String> },
}

impl SourceSpec {
    /// How messages name this source.
    pub fn describe(&self) -> String {
        match self {
            SourceSpec::Profile { name, .. } | SourceSpec::StaticKeys { name, .. } => {
                format!("source_profile {name}")
            }
            SourceSpec::Stored { name, .. } => format!("source_profile {name} (key store)"),
            SourceSpec::Environment { .. } => "credential_source Environment".into(),
            SourceSpec::Ec2InstanceMetadata { .. } => {
                "credential_source Ec2InstanceMetadata".into()
            }
            SourceSpec::EcsContainer { .. } => "credential_source EcsContainer".into(),
        }
    }

    /// The spec of a named credential source, with the environment facts that identify it.
    fn named(kind: CredentialSource, env: &Environment) -> SourceSpec {
        match kind {
            CredentialSource::Environment => SourceSpec::Environment {
                access_key_id: env.get("AWS_ACCESS_KEY_ID").map(str::to_string),
            },
            CredentialSource::Ec2InstanceMetadata => SourceSpec::Ec2InstanceMetadata {
                endpoint: env
                    .get("AWS_EC2_METADATA_SERVICE_ENDPOINT")
                    .map(str::to_string),
            },
            CredentialSource::EcsContainer => SourceSpec::EcsContainer {
                uri: env
                    .get("AWS_CONTAINER_CREDENTIALS_FULL_URI")
                    .or_else(|| env.get("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"))
                    .map(str::to_string),
            },
        }
    }
}

/// The profile keys whose values tell two identities behind one profile name apart (never a
/// secret: key ids, not keys).
const IDENTITY_KEYS: &[&str] = &[
    "aws_access_key_id",
    "role_arn",
    "source_profile",
    "credential_source",
    "credential_process",
    "sso_session",
    "sso_start_url",
    "sso_account_id",
    "sso_role_name",
    "web_identity_token_file",
];

/// The access key id of a profile that holds both static keys (in either file).
fn static_key_id<'a>(config: &'a SharedConfig, name: &str) -> Option<&'a str> {
    config.get(name, "aws_secret_access_key")?;
    config.get(name, "aws_access_key_id")
}

/// The profile keys with which a profile resolves by itself (in the files or through
/// aws-config); a source profile with none of them takes its key from the key store.
const RESOLVING_KEYS: &[&str] = &[
    "aws_access_key_id",
    "aws_secret_access_key",
    "role_arn",
    "source_profile",
    "credential_source",
    "credential_process",
    "sso_session",
    "sso_start_url",
    "web_identity_token_file",
];

/// Whether profile `name`'s key is to be read from the key store: nothing in it resolves,
/// or its only source is `credential_process = … xacct-cred keys export NAME` (the line
/// `keys add --write-profile` writes for the AWS CLI and SDKs).
fn key_in_store(config: &SharedConfig, name: &str) -> bool {
    RESOLVING_KEYS.iter().all(|k| match config.get(name, k) {
        None => true,
        Some(v) => *k == "credential_process" && runs_keys_export(v, name),
    })
}

/// `PATH/xacct-cred keys export NAME` (the path bare or single-quoted, as setup writes it).
fn runs_keys_export(command: &str, name: &str) -> bool {
    let Some(program) = command
        .trim_end()
        .strip_suffix(&format!(" keys export {name}"))
    else {
        return false;
    };
    let program = program.trim().trim_matches('\'');
    let file = program.rsplit(['/', '\\']).next().unwrap_or(program);
    matches!(file, "xacct-cred" | "xacct-cred.exe")
}

/// Non-secret facts of every profile the source chain goes through: the files, then, per
/// profile from `name` along each `source_profile` link, its name and identity keys. It stops
/// at a profile with static keys (the end of a chain, as botocore resolves it) and at a profile
/// already seen (a loop, which resolving reports).
fn chain_identity(config: &SharedConfig, name: &str, env: &Environment) -> Vec<String> {
    let mut identity = vec![
        config.config_file.display().to_string(),
        config.credentials_file.display().to_string(),
    ];
    let mut seen = std::collections::HashSet::new();
    let mut next = Some(name);
    while let Some(p) = next.filter(|p| seen.insert(*p)) {
        identity.push(format!("[{p}]"));
        for k in IDENTITY_KEYS {
            if let Some(v) = config.get(p, k) {
                identity.push(format!("{k}={v}"));
            }
        }
        // A hop that ends in a named source: what that source resolves to here (the access key
        // id in the environment, the metadata or container endpoint), or two identities behind
        // the same profile text would share an entry.
        if let Some(kind) = config
            .get(p, "credential_source")
            .and_then(CredentialSource::from_profile)
        {
            identity.push(format!("{:?}", SourceSpec::named(kind, env)));
        }
        next = match static_key_id(config, p) {
            Some(_) => None,
            None => config.get(p, "source_profile"),
        };
    }
    identity
}

/// The profiles from the selected one along each `source_profile` link, when that walk comes
/// back to a profile it has passed (`[a, b, a]`), as aws-config's `resolve_chain` and botocore
/// walk it: the selected profile's own keys do not end the chain (its role is assumed), a later
/// profile's do, a profile without role_arn ends it, and a later profile naming itself is not a
/// loop (aws-config reads it as a base profile). Starting the walk at the source instead would
/// end A -> B -> A at A's keys and assume both roles.
fn chain_loop(config: &SharedConfig, top: Option<&str>, source: &str) -> Option<Vec<String>> {
    let mut visited: Vec<&str> = top.into_iter().collect();
    let mut next = source;
    loop {
        if visited.contains(&next) {
            visited.push(next);
            return Some(visited.into_iter().map(str::to_string).collect());
        }
        visited.push(next);
        if static_key_id(config, next).is_some() || config.get(next, "role_arn").is_none() {
            return None;
        }
        match config.get(next, "source_profile") {
            Some(after) if after != next => next = after,
            _ => return None,
        }
    }
}

/// The role's source: `--source-profile` / `--credential-source` if given, else the profile's.
pub(super) fn build(
    config: &SharedConfig,
    args: &RoleInputs,
    env: &Environment,
    profile: Option<&str>,
) -> Result<SourceSpec> {
    let key = |k: &str| profile.and_then(|p| config.get(p, k));
    let where_ = profile
        .map(|p| format!(" in profile {p}"))
        .unwrap_or_default();
    let (profile_source, named_source, from_flag) =
        match (&args.source_profile, args.credential_source) {
            (Some(p), _) => (Some(p.as_str()), None, true),
            (None, Some(kind)) => return Ok(SourceSpec::named(kind, env)),
            (None, None) => (key("source_profile"), key("credential_source"), false),
        };
    match (profile_source, named_source) {
        (Some(_), Some(_)) => Err(Error::config(format!(
            "both source_profile and credential_source are set{where_}; a role has exactly one source"
        ))
        .hint("Keep source_profile for an IAM user's keys or credential_source for the instance/container role, not both.")),
        (None, None) if key("web_identity_token_file").is_some() => Err(Error::config(format!(
            "profile {} assumes its role with a web identity token (role_arn + web_identity_token_file), which xacct-cred does not do for the role itself",
            profile.unwrap_or_default()
        ))
        .hint("The AWS CLI and SDKs assume such a profile natively: use it directly (--profile / AWS_PROFILE), or name it as the source_profile of the role xacct-cred should assume.")),
        (None, None) => Err(Error::config(format!(
            "no source credential{where_}: neither source_profile nor credential_source is set"
        ))
        .hint("Add source_profile = PROFILE (a profile with the user's keys) or credential_source = Ec2InstanceMetadata | EcsContainer | Environment, or pass --source-profile / --credential-source.")),
        (Some(name), None) => {
            if config.profile(name).is_none() {
                let what = if from_flag {
                    "--source-profile".to_string()
                } else {
                    format!("source_profile{where_}")
                };
                return Err(unknown_profile(config, name, &what));
            }
            if let Some(access_key_id) = static_key_id(config, name) {
                return Ok(SourceSpec::StaticKeys {
                    name: name.to_string(),
                    access_key_id: access_key_id.to_string(),
                });
            }
            if Some(name) != profile && key_in_store(config, name) {
                return Ok(SourceSpec::Stored {
                    name: name.to_string(),
                    backend: env.key_store_named(),
                });
            }
            if Some(name) == profile {
                return Err(Error::config(format!("profile {name} names itself as its source_profile"))
                    .hint("Put the IAM user's keys in a profile of their own (e.g. [profile dev]) and use source_profile = dev, or give this profile aws_access_key_id and aws_secret_access_key."));
            }
            if let Some(path) = chain_loop(config, profile, name) {
                return Err(Error::config(format!(
                    "the source_profile chain {} is an infinite loop",
                    path.join(" -> ")
                ))
                .hint("The AWS CLI and SDKs refuse it as well: end the chain at a profile with keys (aws_access_key_id and aws_secret_access_key), SSO, credential_process or credential_source, and point the last source_profile there."));
            }
            Ok(SourceSpec::Profile {
                name: name.to_string(),
                identity: chain_identity(config, name, env),
            })
        }
        (None, Some(value)) => match CredentialSource::from_profile(value) {
            Some(kind) => Ok(SourceSpec::named(kind, env)),
            None => {
                let hint = match CredentialSource::near(value) {
                    Some(k) => format!("Write it as AWS documents it: credential_source = {}.", k.name()),
                    None => "Use one of Environment, Ec2InstanceMetadata, EcsContainer.".into(),
                };
                Err(Error::config(format!(
                    "credential_source = {value}{where_} is not a source xacct-cred knows"
                ))
                .hint(hint))
            }
        },
    }
}

#[cfg(test)]
mod stored_tests {
    use super::*;
    use crate::plan::Plan;

    fn source_of(config: &str, env: &[(&str, &str)]) -> Result<SourceSpec> {
        let config = SharedConfig::from_strings(config, "").unwrap();
        let args = RoleInputs {
            profile: Some("p".into()),
            ..RoleInputs::default()
        };
        Plan::build(
            &config,
            &args,
            &Environment::from_pairs(env.iter().copied()),
        )
        .map(|p| p.source)
    }

    const ROLE: &str =
        "[profile p]\nrole_arn = arn:aws:iam::111111111111:role/r\nsource_profile = dev\n";

    #[test]
    fn a_source_profile_with_nothing_that_resolves_takes_its_key_from_the_store() {
        let stored = |backend: Option<&str>| SourceSpec::Stored {
            name: "dev".into(),
            backend: backend.map(str::to_string),
        };
        for dev in [
            "[profile dev]\nregion = eu-west-1\n",
            "[profile dev]\ncredential_process = /usr/bin/xacct-cred keys export dev\n",
            "[profile dev]\ncredential_process = '/opt/my tools/xacct-cred' keys export dev\n",
        ] {
            let config = format!("{ROLE}{dev}");
            assert_eq!(source_of(&config, &[]).unwrap(), stored(None), "{dev}");
        }
        let config = format!("{ROLE}[profile dev]\n");
        for (name, value, named) in [
            ("XACCT_CRED_KEYS_BACKEND", "file", "file"),
            ("XACCT_CRED_KEYS_FILE", "/a/keys", "file /a/keys"),
        ] {
            let got = source_of(&config, &[(name, value)]).unwrap();
            assert_eq!(got, stored(Some(named)));
        }
        for dev in [
            "[profile dev]\ncredential_process = /usr/bin/xacct-cred keys export other\n",
            "[profile dev]\ncredential_process = /usr/bin/xacct-cred --profile p\n",
            "[profile dev]\ncredential_process = /usr/bin/other-tool keys export dev\n",
            "[profile dev]\nsso_session = corp\n",
            "[profile dev]\naws_access_key_id = AKIAHALF\n",
            "[profile dev]\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = q\n[profile q]\n",
        ] {
            let config = format!("{ROLE}{dev}");
            assert!(
                matches!(source_of(&config, &[]).unwrap(), SourceSpec::Profile { .. }),
                "{dev}"
            );
        }
    }

    #[test]
    fn mfa_session_duration_defaults_to_twelve_hours_and_is_bounded() {
        let build = |extra: &str| {
            let config =
                SharedConfig::from_strings(&format!("{ROLE}{extra}[profile dev]\n"), "").unwrap();
            let args = RoleInputs {
                profile: Some("p".into()),
                ..RoleInputs::default()
            };
            Plan::build(&config, &args, &Environment::default())
        };
        let seconds = |extra: &str| build(extra).unwrap().mfa_session_seconds;
        assert_eq!(seconds(""), 43200);
        assert_eq!(seconds("mfa_session_duration = 3600\n"), 3600);
        let e = build("mfa_session_duration = 60\n").unwrap_err();
        assert!(e.what().contains("from 900 to 129600"), "{e}");
    }
}
