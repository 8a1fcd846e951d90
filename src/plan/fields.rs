//! The fields of an AssumeRole request as validated types, each rule written once.
//!
//! Every type here is built only through [`FromStr`] (or a constructor that applies the same
//! rule), so a value of it is known to be what STS accepts for its form. `policy` and `mfa`
//! parse with the same types, so the character sets and lengths cannot drift apart. The `Err`
//! of each parse is the reason in a few words; the caller adds where the value came from.

use crate::credentials::Secret;
use std::fmt;
use std::ops::Deref;
use std::str::FromStr;

/// What a rejected value was wrong with, in a few words ("'x' is not allowed").
pub type Why = String;

/// The characters IAM allows in user, role and session names besides letters and digits.
const NAME_PUNCTUATION: &str = "+=,.@_-";

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || NAME_PUNCTUATION.contains(c)
}

/// Declares a validated string: derefs to `str`, compares with `&str`, displays as itself.
macro_rules! validated_string {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub struct $name(String);

        impl Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }
    };
}

validated_string!(
    /// A 12-digit AWS account id.
    AccountId
);

impl FromStr for AccountId {
    type Err = Why;
    fn from_str(s: &str) -> Result<Self, Why> {
        if s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit()) {
            Ok(AccountId(s.to_string()))
        } else {
            Err(format!("the account id \"{s}\" is not 12 digits"))
        }
    }
}

validated_string!(
    /// An IAM role name without its path: 1-64 letters, digits or `+=,.@_-`.
    RoleName
);

impl FromStr for RoleName {
    type Err = Why;
    fn from_str(s: &str) -> Result<Self, Why> {
        if s.is_empty() || s.len() > 64 || !s.chars().all(is_name_char) {
            return Err(format!(
                "the role name \"{s}\" is not 1-64 letters, digits or {NAME_PUNCTUATION}"
            ));
        }
        Ok(RoleName(s.to_string()))
    }
}

/// The partitions whose IAM ARNs xacct-cred accepts.
const PARTITIONS: &[&str] = &[
    "aws",
    "aws-cn",
    "aws-us-gov",
    "aws-iso",
    "aws-iso-b",
    "aws-iso-e",
    "aws-iso-f",
    "aws-eusc",
];

/// `arn:PARTITION:iam::ACCOUNT:role/[PATH/]NAME`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleArn {
    pub arn: String,
    pub partition: String,
    pub account_id: AccountId,
    /// The role name without its path.
    pub name: RoleName,
}

impl FromStr for RoleArn {
    type Err = Why;
    fn from_str(arn: &str) -> Result<Self, Why> {
        let parts: Vec<&str> = arn.splitn(6, ':').collect();
        let [scheme, partition, service, region, account, resource] = parts[..] else {
            return Err("it does not have the six ':'-separated parts of an ARN".into());
        };
        if scheme != "arn" {
            return Err("it does not start with \"arn:\"".into());
        }
        if !PARTITIONS.contains(&partition) {
            return Err(format!(
                "\"{partition}\" is not an AWS partition (aws, aws-cn, aws-us-gov…)"
            ));
        }
        if service != "iam" {
            return Err(format!(
                "the service is \"{service}\"; a role ARN's is \"iam\""
            ));
        }
        if !region.is_empty() {
            return Err(
                "IAM ARNs have an empty region field (arn:aws:iam::ACCOUNT:role/NAME)".into(),
            );
        }
        let account_id: AccountId = account.parse()?;
        let Some(path_and_name) = resource.strip_prefix("role/") else {
            return Err(format!(
                "the resource \"{resource}\" is not a role (role/NAME); is this a user or an assumed-role ARN?"
            ));
        };
        let name: RoleName = path_and_name
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .parse()?;
        if path_and_name.len() > 512 + 64
            || !path_and_name.chars().all(|c| is_name_char(c) || c == '/')
        {
            return Err("the role path has characters IAM does not allow".into());
        }
        Ok(RoleArn {
            arn: arn.to_string(),
            partition: partition.to_string(),
            account_id,
            name,
        })
    }
}

validated_string!(
    /// A role session name: 2-64 letters, digits or `+=,.@_-`.
    SessionName
);

impl SessionName {
    /// Something stable and attributable for CloudTrail made from any text (the local user
    /// name): disallowed characters become `_`, and too short a result becomes `xacct-cred`.
    pub fn cleaned(text: &str) -> SessionName {
        let cleaned: String = text
            .chars()
            .map(|c| if is_name_char(c) { c } else { '_' })
            .take(64)
            .collect();
        if cleaned.len() < 2 {
            SessionName("xacct-cred".to_string())
        } else {
            SessionName(cleaned)
        }
    }
}

impl FromStr for SessionName {
    type Err = Why;
    fn from_str(name: &str) -> Result<Self, Why> {
        if !(2..=64).contains(&name.len()) {
            return Err(format!(
                "it is {} characters long; STS allows 2 to 64",
                name.len()
            ));
        }
        if let Some(bad) = name.chars().find(|c| !is_name_char(*c)) {
            return Err(format!("'{bad}' is not allowed"));
        }
        Ok(SessionName(name.to_string()))
    }
}

validated_string!(
    /// An external ID: 2-1224 letters, digits or `+=,.@:/_-`.
    ExternalId
);

impl FromStr for ExternalId {
    type Err = Why;
    fn from_str(id: &str) -> Result<Self, Why> {
        let ok = (2..=1224).contains(&id.len())
            && id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+=,.@:/_-".contains(c));
        if ok {
            Ok(ExternalId(id.to_string()))
        } else {
            Err("it must be 2-1224 characters from letters, digits and +=,.@:/_-".into())
        }
    }
}

validated_string!(
    /// An MFA device: its ARN or a hardware serial, 9-256 of `A-Za-z0-9+=/:,.@_-`.
    MfaSerial
);

impl FromStr for MfaSerial {
    type Err = Why;
    fn from_str(serial: &str) -> Result<Self, Why> {
        let ok = (9..=256).contains(&serial.len())
            && serial
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+=/:,.@_-".contains(c));
        if ok {
            Ok(MfaSerial(serial.to_string()))
        } else {
            Err("is not an MFA device ARN or serial number".into())
        }
    }
}

/// A session length STS accepts: 900 to 43200 seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DurationSeconds(i64);

impl DurationSeconds {
    pub const MIN: i64 = 900;
    pub const MAX: i64 = 43200;
    pub const DEFAULT: DurationSeconds = DurationSeconds(3600);

    pub fn new(seconds: i64) -> Result<DurationSeconds, Why> {
        if (Self::MIN..=Self::MAX).contains(&seconds) {
            Ok(DurationSeconds(seconds))
        } else {
            Err(format!(
                "{seconds} s is outside what STS allows (900 to 43200 s)"
            ))
        }
    }

    pub fn get(self) -> i64 {
        self.0
    }
}

impl FromStr for DurationSeconds {
    type Err = Why;
    fn from_str(s: &str) -> Result<Self, Why> {
        let seconds = s
            .trim()
            .parse::<i64>()
            .map_err(|_| format!("{s} is not a whole number of seconds"))?;
        DurationSeconds::new(seconds)
    }
}

/// The current code of an MFA device: 6 digits. A [`Secret`], so `Debug` never shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenCode(Secret);

impl TokenCode {
    pub fn expose(&self) -> &str {
        self.0.expose()
    }
}

impl FromStr for TokenCode {
    type Err = Why;
    fn from_str(s: &str) -> Result<Self, Why> {
        let code = s.trim();
        if code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()) {
            Ok(TokenCode(Secret::new(code)))
        } else {
            Err("the MFA code must be 6 digits".into())
        }
    }
}

/// A region code such as `eu-west-1`: lowercase letters, digits and `-`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RegionName(String);

impl FromStr for RegionName {
    type Err = Why;
    fn from_str(s: &str) -> Result<Self, Why> {
        let r = s.trim();
        if r.is_empty()
            || !r
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            return Err(format!("the region \"{r}\" is not a region name"));
        }
        Ok(RegionName(r.to_string()))
    }
}

impl RegionName {
    pub fn into_string(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_arns_in_every_partition_and_with_paths() {
        for ok in [
            "arn:aws:iam::111111111111:role/a",
            "arn:aws-cn:iam::111111111111:role/path/to/a",
            "arn:aws-us-gov:iam::111111111111:role/a+b=c,d.e@f_g-h",
        ] {
            assert!(ok.parse::<RoleArn>().is_ok(), "{ok}");
        }
        assert_eq!(
            "arn:aws:iam::111111111111:role/path/to/a"
                .parse::<RoleArn>()
                .unwrap()
                .name,
            "a"
        );
        for bad in [
            "",
            "arn:aws:iam::111111111111",
            "arn:aws:s3:::bucket",
            "arn:nope:iam::111111111111:role/a",
            "arn:aws:iam::111111111111:role/",
            "arn:aws:iam::111111111111:role/a b",
        ] {
            assert!(bad.parse::<RoleArn>().is_err(), "{bad}");
        }
    }

    #[test]
    fn each_field_keeps_its_one_rule() {
        assert!("123456789012".parse::<AccountId>().is_ok());
        assert!("12345678901".parse::<AccountId>().is_err());
        assert!("a".parse::<SessionName>().is_err());
        assert!("ci+build@42".parse::<SessionName>().is_ok());
        assert_eq!(SessionName::cleaned("bob smith"), "bob_smith");
        assert_eq!(SessionName::cleaned("é"), "xacct-cred");
        assert!("x".parse::<ExternalId>().is_err());
        assert!("ext:1/2".parse::<ExternalId>().is_ok());
        assert!("arn:aws:iam::1:mfa/x".parse::<MfaSerial>().is_ok());
        assert!("short".parse::<MfaSerial>().is_err());
        assert!("899".parse::<DurationSeconds>().is_err());
        assert!("1h".parse::<DurationSeconds>().is_err());
        assert_eq!("43200".parse::<DurationSeconds>().unwrap().get(), 43200);
        assert!(" 123456 ".parse::<TokenCode>().is_ok());
        assert!("12345".parse::<TokenCode>().is_err());
        assert!("EU-west-1".parse::<RegionName>().is_err());
    }
}
