//! `xacct-cred policy`: the IAM documents a cross-account set-up needs, filled in from flags.
//! Pure: it prints, and reads and sends nothing.

use crate::cli::{PolicyArgs, PolicyDocument, PolicyFormat};
use crate::error::{Error, Result};
use crate::plan::fields::{AccountId, ExternalId, RoleName};
use serde_json::{Value, json};
use std::io::Write;

/// The three documents: the role's trust and permission policies and the source's policy.
pub struct Documents {
    pub trust: Value,
    pub permission: Value,
    pub source: Value,
    pub role_name: String,
}

pub fn run(args: &PolicyArgs) -> Result<()> {
    let docs = documents(args)?;
    let text = match (args.document, args.format) {
        (Some(PolicyDocument::Trust), _) => pretty(&docs.trust),
        (Some(PolicyDocument::Permission), _) => pretty(&docs.permission),
        (Some(PolicyDocument::Source), _) => pretty(&docs.source),
        (None, PolicyFormat::Json) => pretty(&json!({
            "trust_policy": docs.trust,
            "permission_policy": docs.permission,
            "source_policy": docs.source,
        })),
        (None, PolicyFormat::Cloudformation) => cloudformation(&docs),
        (None, PolicyFormat::Terraform) => terraform(&docs),
    };
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
    Ok(())
}

pub fn documents(args: &PolicyArgs) -> Result<Documents> {
    account(&args.role_account, "--role-account")?;
    let principal = match (&args.principal, &args.trusted_account) {
        (Some(p), _) => {
            if !p.starts_with("arn:aws") || !p.contains(":iam::") {
                return Err(Error::config(format!("--principal {p} is not an IAM user or role ARN"))
                    .hint("Use e.g. arn:aws:iam::222222222222:user/alice or arn:aws:iam::222222222222:role/ci."));
            }
            p.clone()
        }
        (None, Some(trusted)) => format!(
            "arn:aws:iam::{}:root",
            account(trusted, "--trusted-account")?
        ),
        (None, None) => unreachable!("clap requires one of them"),
    };
    if args.role_name.parse::<RoleName>().is_err() {
        return Err(Error::config(format!(
            "--role-name {} is not a valid role name",
            args.role_name
        ))
        .hint("Use 1-64 letters, digits or +=,.@_-."));
    }
    if let Some(id) = &args.external_id {
        id.parse::<ExternalId>().map_err(|why| {
            Error::config(format!("--external-id would be rejected by STS: {why}"))
                .hint("Use 2-1224 letters, digits or +=,.@:/_-.")
        })?;
    }
    for bucket in &args.bucket {
        let bucket_ok = (3..=63).contains(&bucket.len())
            && bucket
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.');
        if !bucket_ok {
            return Err(
                Error::config(format!("--bucket {bucket} is not a valid S3 bucket name"))
                    .hint("Use 3-63 lowercase letters, digits, '-' or '.'."),
            );
        }
    }
    let role_arn = format!("arn:aws:iam::{}:role/{}", args.role_account, args.role_name);

    let mut conditions = serde_json::Map::new();
    if let Some(id) = &args.external_id {
        conditions.insert("StringEquals".into(), json!({ "sts:ExternalId": id }));
    }
    if args.require_mfa {
        conditions.insert(
            "Bool".into(),
            json!({ "aws:MultiFactorAuthPresent": "true" }),
        );
    }
    let mut trust_statement = json!({
        "Effect": "Allow",
        "Principal": { "AWS": principal },
        "Action": "sts:AssumeRole",
    });
    if !conditions.is_empty() {
        trust_statement["Condition"] = Value::Object(conditions);
    }

    let buckets: Vec<String> = args
        .bucket
        .iter()
        .map(|b| format!("arn:aws:s3:::{b}"))
        .collect();
    let objects: Vec<String> = buckets.iter().map(|b| format!("{b}/*")).collect();
    let mut statements = vec![
        json!({ "Sid": "ListBuckets", "Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*" }),
        json!({ "Sid": "ListAndLocateTheBuckets", "Effect": "Allow", "Action": ["s3:ListBucket", "s3:GetBucketLocation"], "Resource": one_or_many(&buckets) }),
        json!({ "Sid": "ReadObjects", "Effect": "Allow", "Action": "s3:GetObject", "Resource": one_or_many(&objects) }),
    ];
    if args.read_write {
        statements.push(json!({ "Sid": "WriteObjects", "Effect": "Allow", "Action": ["s3:PutObject", "s3:DeleteObject"], "Resource": one_or_many(&objects) }));
    }
    Ok(Documents {
        trust: json!({ "Version": "2012-10-17", "Statement": [trust_statement] }),
        permission: json!({ "Version": "2012-10-17", "Statement": statements }),
        source: json!({ "Version": "2012-10-17", "Statement": [{ "Sid": "AssumeTheRole", "Effect": "Allow", "Action": "sts:AssumeRole", "Resource": role_arn }] }),
        role_name: args.role_name.clone(),
    })
}

/// One resource as a string (as the policies read with one bucket), several as a list.
fn one_or_many(resources: &[String]) -> Value {
    match resources {
        [one] => json!(one),
        many => json!(many),
    }
}

fn account<'a>(id: &'a str, flag: &str) -> Result<&'a str> {
    if id.parse::<AccountId>().is_ok() {
        Ok(id)
    } else {
        Err(
            Error::config(format!("{flag} {id} is not a 12-digit AWS account id"))
                .hint("Copy it from the account menu of the AWS console."),
        )
    }
}

fn pretty(v: &Value) -> String {
    let mut s = serde_json::to_string_pretty(v).expect("JSON values always serialize");
    s.push('\n');
    s
}

/// JSON is valid YAML, and CloudFormation reads both.
fn cloudformation(d: &Documents) -> String {
    pretty(&json!({
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": format!("Cross-account role {} (generated by xacct-cred policy)", d.role_name),
        "Resources": {
            "CrossAccountRole": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "RoleName": d.role_name,
                    "AssumeRolePolicyDocument": d.trust,
                    "Policies": [{ "PolicyName": format!("{}-permissions", d.role_name), "PolicyDocument": d.permission }],
                }
            }
        },
        "Outputs": { "RoleArn": { "Value": { "Fn::GetAtt": ["CrossAccountRole", "Arn"] } } }
    }))
}

fn terraform(d: &Documents) -> String {
    let ident: String = d
        .role_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!(
        r#"# Cross-account role {name} (generated by xacct-cred policy)
resource "aws_iam_role" "{ident}" {{
  name               = "{name}"
  assume_role_policy = <<-POLICY
{trust}
  POLICY
}}

resource "aws_iam_role_policy" "{ident}" {{
  name   = "{name}-permissions"
  role   = aws_iam_role.{ident}.id
  policy = <<-POLICY
{permission}
  POLICY
}}

output "role_arn" {{
  value = aws_iam_role.{ident}.arn
}}
"#,
        name = d.role_name,
        trust = indent(&pretty(&d.trust)),
        permission = indent(&pretty(&d.permission)),
    )
}

fn indent(text: &str) -> String {
    text.trim_end()
        .lines()
        .map(|l| format!("    {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}
