//! The cache key: a digest over everything that changes the session a plan would get (the role
//! request, the STS endpoint actually used, the source identity), so two plans share a key
//! exactly when STS would hand them interchangeable sessions. Never a secret in it: the source
//! is named by profile names, files and key *ids*; the MFA code is not part of it.

use crate::plan::{Plan, SourceSpec};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// Bumped when the material changes meaning, so that old entries are simply misses.
const SCHEME: &str = "xacct-cred cache key 2";

/// The cache key of a plan: 40 hex digits.
///
/// The region is not part of it as such: a session from any regional STS endpoint is valid in
/// every region, so the key names the endpoint actually used (the override URL, else the
/// partition's regional STS with the FIPS / dual-stack choice), and a script looping
/// `AWS_REGION` over every region makes one AssumeRole.
pub fn key(plan: &Plan) -> String {
    let role = &plan.role;
    let mut material = vec![
        SCHEME.to_string(),
        role.role_arn.arn.clone(),
        role.session_name.to_string(),
        role.external_id.as_deref().unwrap_or_default().to_string(),
        role.duration_seconds.to_string(),
        role.mfa_serial.as_deref().unwrap_or_default().to_string(),
        endpoint(plan),
    ];
    material.extend(source_material(&plan.source));
    // A JSON array keeps field boundaries unambiguous ("a","bc" ≠ "ab","c").
    let digest = Sha256::digest(Value::from(material).to_string().as_bytes());
    digest[..20].iter().map(|b| format!("{b:02x}")).collect()
}

/// The STS endpoint the session comes from, as far as it changes the session: an override URL
/// as written, else the regional STS of the region's partition (`aws`, `aws-cn`, …), FIPS or
/// not, dual-stack or not. Sessions do not differ between regions of one partition.
fn endpoint(plan: &Plan) -> String {
    match &plan.sts_endpoint {
        Some(url) => format!("url {url}"),
        None => format!(
            "regional sts of partition {} fips={} dualstack={}",
            partition(&plan.region),
            plan.use_fips,
            plan.use_dual_stack
        ),
    }
}

/// The partition of a region, by the prefixes of the SDK's partitions table (an unknown
/// region, like the SDK's resolver, falls into `aws`).
fn partition(region: &str) -> &'static str {
    const PREFIXES: &[(&str, &str)] = &[
        ("cn-", "aws-cn"),
        ("us-gov-", "aws-us-gov"),
        ("us-isob-", "aws-iso-b"),
        ("us-isof-", "aws-iso-f"),
        ("us-iso-", "aws-iso"),
        ("eu-isoe-", "aws-iso-e"),
        ("eusc-", "aws-eusc"),
    ];
    PREFIXES
        .iter()
        .find(|(prefix, _)| region.starts_with(prefix))
        .map_or("aws", |(_, partition)| partition)
}

/// What the key takes from the source: its kind and the facts that identify it.
fn source_material(source: &SourceSpec) -> Vec<String> {
    match source {
        SourceSpec::Profile { name, identity } => {
            let mut v = vec!["profile".into(), name.clone()];
            v.extend(identity.iter().cloned());
            v
        }
        SourceSpec::StaticKeys {
            name,
            access_key_id,
        } => vec!["static".into(), name.clone(), access_key_id.clone()],
        SourceSpec::Stored { name, backend } => vec![
            "store".into(),
            name.clone(),
            backend.clone().unwrap_or_else(|| "first available".into()),
        ],
        SourceSpec::Environment { access_key_id } => {
            vec!["env".into(), access_key_id.clone().unwrap_or_default()]
        }
        SourceSpec::Ec2InstanceMetadata { endpoint } => {
            vec!["imds".into(), endpoint.clone().unwrap_or_default()]
        }
        SourceSpec::EcsContainer { uri } => vec!["ecs".into(), uri.clone().unwrap_or_default()],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SharedConfig;
    use crate::env::Environment;
    use crate::plan::RoleArn;
    use crate::plan::RoleInputs;

    const CREDS: &str = "[dev]\naws_access_key_id = AKIADEV\naws_secret_access_key = s\n";

    fn args(profile: Option<&str>) -> RoleInputs {
        RoleInputs {
            profile: profile.map(str::to_string),
            ..RoleInputs::default()
        }
    }

    #[test]
    fn the_cache_key_changes_with_every_input_that_changes_the_session() {
        let config = SharedConfig::from_strings(
            "[profile p]\nrole_arn = arn:aws:iam::111111111111:role/r\nsource_profile = dev\n",
            CREDS,
        )
        .unwrap();
        let env = Environment::default();
        let base = Plan::build(&config, &args(Some("p")), &env).unwrap();
        let base_key = key(&base);
        assert_eq!(base_key, key(&base.clone()), "stable");
        let mut variants = Vec::new();
        let mut v = base.clone();
        v.role.external_id = Some("xx".parse().unwrap());
        variants.push(v);
        let mut v = base.clone();
        v.role.duration_seconds = 1800;
        variants.push(v);
        let mut v = base.clone();
        v.role.session_name = "other".parse().unwrap();
        variants.push(v);
        let mut v = base.clone();
        v.role.mfa_serial = Some("arn:aws:iam::1:mfa/x".parse().unwrap());
        variants.push(v);
        for region in [
            "cn-north-1",
            "us-gov-west-1",
            "us-iso-east-1",
            "us-isob-east-1",
        ] {
            let mut v = base.clone();
            v.region = region.into();
            variants.push(v);
        }
        let mut v = base.clone();
        v.use_fips = true;
        variants.push(v);
        let mut v = base.clone();
        v.use_dual_stack = true;
        variants.push(v);
        let mut v = base.clone();
        v.sts_endpoint = Some("http://127.0.0.1:1".into());
        variants.push(v);
        let mut v = base.clone();
        v.source = SourceSpec::Environment {
            access_key_id: Some("AKIA1".into()),
        };
        variants.push(v);
        let mut v = base.clone();
        v.role.role_arn = "arn:aws:iam::111111111111:role/r2"
            .parse::<RoleArn>()
            .unwrap();
        variants.push(v);
        let keys: std::collections::HashSet<String> = variants.iter().map(key).collect();
        assert_eq!(keys.len(), variants.len(), "every variant has its own key");
        for v in &variants {
            assert_ne!(key(v), base_key, "{v:?}");
        }
        let mut v = base.clone();
        v.role.token_code = Some("123456".parse().unwrap());
        assert_eq!(key(&v), base_key, "the MFA code is not part of the key");
    }

    /// The regions of the `aws` partition a script might loop over.
    const REGIONS: [&str; 17] = [
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

    #[test]
    fn the_region_alone_does_not_change_the_key_the_endpoint_does() {
        let config = SharedConfig::from_strings(
            "[profile p]\nrole_arn = arn:aws:iam::111111111111:role/r\nsource_profile = dev\n",
            CREDS,
        )
        .unwrap();
        let keys = |vars: &[(&str, &str)]| -> std::collections::HashSet<String> {
            REGIONS
                .iter()
                .map(|r| {
                    let mut env: Vec<(&str, &str)> = vec![("AWS_REGION", r)];
                    env.extend_from_slice(vars);
                    let plan =
                        Plan::build(&config, &args(Some("p")), &Environment::from_pairs(env))
                            .unwrap();
                    assert_eq!(plan.region, *r);
                    key(&plan)
                })
                .collect()
        };
        let regional = keys(&[]);
        assert_eq!(
            regional.len(),
            1,
            "one key for every region of the partition"
        );
        let fips = keys(&[("AWS_USE_FIPS_ENDPOINT", "true")]);
        assert_eq!(fips.len(), 1);
        assert_ne!(fips, regional);
        let url = keys(&[("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:1")]);
        assert_eq!(
            url.len(),
            1,
            "one key per override URL, whatever the signing region"
        );
        assert_ne!(url, regional);
    }

    #[test]
    fn the_key_follows_every_source_profile_link() {
        let chain = |user_key: &str| {
            let config = SharedConfig::from_strings(
                "[profile p]\nrole_arn = arn:aws:iam::111111111111:role/r\nsource_profile = hop\n[profile hop]\nrole_arn = arn:aws:iam::111111111111:role/hop\nsource_profile = hop2\n[profile hop2]\nrole_arn = arn:aws:iam::111111111111:role/hop2\nsource_profile = user\n",
                &format!("[user]\naws_access_key_id = {user_key}\naws_secret_access_key = s\n"),
            )
            .unwrap();
            key(&Plan::build(&config, &args(Some("p")), &Environment::default()).unwrap())
        };
        assert_eq!(chain("AKIAOLD"), chain("AKIAOLD"));
        assert_ne!(
            chain("AKIAOLD"),
            chain("AKIANEW"),
            "a key rotated three links down"
        );
        // A loop in the chain is refused by the plan, before any key is computed.
        let looped = SharedConfig::from_strings(
            "[profile p]\nrole_arn = arn:aws:iam::111111111111:role/r\nsource_profile = a\n[profile a]\nrole_arn = arn:aws:iam::111111111111:role/a\nsource_profile = b\n[profile b]\nrole_arn = arn:aws:iam::111111111111:role/b\nsource_profile = a\n",
            "",
        )
        .unwrap();
        let refused = Plan::build(&looped, &args(Some("p")), &Environment::default());
        assert!(refused.is_err_and(|e| e.to_string().contains("infinite loop")));
    }

    #[test]
    fn a_chain_ending_in_a_named_source_keys_on_what_that_source_is_here() {
        // Review finding: rc → hop (credential_source = Environment) keyed only on the text,
        // so job B's AWS_ACCESS_KEY_ID got job A's session from a shared cache.
        let config = SharedConfig::from_strings(
            "[profile rc]\nrole_arn = arn:aws:iam::111111111111:role/r\nsource_profile = hop\n[profile hop]\nrole_arn = arn:aws:iam::111111111111:role/hop\ncredential_source = Environment\n",
            "",
        )
        .unwrap();
        let key_with = |id: &str| {
            let env = Environment::from_pairs([("AWS_ACCESS_KEY_ID", id)]);
            key(&Plan::build(&config, &args(Some("rc")), &env).unwrap())
        };
        assert_eq!(key_with("AKIAJOBA"), key_with("AKIAJOBA"));
        assert_ne!(key_with("AKIAJOBA"), key_with("AKIAJOBB"));
    }
}
