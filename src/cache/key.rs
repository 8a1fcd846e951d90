//! The cache key: a digest over everything that changes the session a plan would get.
//!
//! Two plans share a key exactly when STS would hand them interchangeable sessions: the same
//! role request, endpoint and region, and the same source identity. The MFA code is not part of
//! it (a code only unlocks the session the key names), and nothing secret is: the source is
//! named by non-secret facts (profile name, files, key *ids*), never by a secret key.

use crate::plan::{Plan, SourceSpec};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// Bumped when the material changes meaning, so that old entries are simply misses.
const SCHEME: &str = "xacct-cred cache key 1";

/// The cache key of a plan: 40 hex digits.
pub fn key(plan: &Plan) -> String {
    let role = &plan.role;
    let mut material = vec![
        SCHEME.to_string(),
        role.role_arn.arn.clone(),
        role.session_name.to_string(),
        role.external_id.as_deref().unwrap_or_default().to_string(),
        role.duration_seconds.to_string(),
        role.mfa_serial.as_deref().unwrap_or_default().to_string(),
        plan.region.clone(),
        plan.sts_endpoint.clone().unwrap_or_default(),
    ];
    material.extend(source_material(&plan.source));
    // A JSON array keeps field boundaries unambiguous ("a","bc" ≠ "ab","c").
    let digest = Sha256::digest(Value::from(material).to_string().as_bytes());
    digest[..20].iter().map(|b| format!("{b:02x}")).collect()
}

/// What the key takes from the source: its kind and the facts that identify it.
fn source_material(source: &SourceSpec) -> Vec<String> {
    match source {
        SourceSpec::Profile { name, identity } => {
            let mut v = vec!["profile".into(), name.clone()];
            v.extend(identity.iter().cloned());
            v
        }
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
    use crate::cli::RoleArgs;
    use crate::config::SharedConfig;
    use crate::env::Environment;
    use crate::plan::RoleArn;

    const CREDS: &str = "[dev]\naws_access_key_id = AKIADEV\naws_secret_access_key = s\n";

    fn args(profile: Option<&str>) -> RoleArgs {
        RoleArgs {
            profile: profile.map(str::to_string),
            ..RoleArgs::default()
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
        let mut v = base.clone();
        v.region = "eu-west-1".into();
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
        for v in &variants {
            assert_ne!(key(v), base_key, "{v:?}");
        }
        let mut v = base.clone();
        v.role.token_code = Some("123456".parse().unwrap());
        assert_eq!(key(&v), base_key, "the MFA code is not part of the key");
    }
}
