//! ARN and field validation: any text → a value that keeps its type's rule, or a reason; never a
//! panic. Each rule is restated here from IAM's documentation, so a change to a parser that
//! breaks its rule fails here.

use crate::plan::fields::{
    AccountId, DurationSeconds, ExternalId, MfaSerial, RegionName, RoleArn, RoleName, SessionName,
    TokenCode,
};

fn name_chars(s: &str, extra: &str) -> bool {
    s.chars()
        .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c) || extra.contains(c))
}

pub fn check_fields(s: &str) {
    let len = s.len();
    assert_eq!(
        s.parse::<AccountId>().is_ok(),
        len == 12 && s.bytes().all(|b| b.is_ascii_digit())
    );
    assert_eq!(
        s.parse::<RoleName>().is_ok(),
        (1..=64).contains(&len) && name_chars(s, "")
    );
    assert_eq!(
        s.parse::<SessionName>().is_ok(),
        (2..=64).contains(&len) && name_chars(s, "")
    );
    let cleaned = SessionName::cleaned(s);
    assert!(
        cleaned.parse::<SessionName>().is_ok(),
        "cleaned {s:?} to {cleaned}"
    );
    assert_eq!(
        s.parse::<ExternalId>().is_ok(),
        (2..=1224).contains(&len) && name_chars(s, ":/")
    );
    assert_eq!(
        s.parse::<MfaSerial>().is_ok(),
        (9..=256).contains(&len) && name_chars(s, ":/")
    );
    let t = s.trim();
    assert_eq!(
        s.parse::<TokenCode>().is_ok(),
        t.len() == 6 && t.bytes().all(|b| b.is_ascii_digit())
    );
    assert_eq!(
        s.parse::<DurationSeconds>().ok().map(DurationSeconds::get),
        t.parse::<i64>().ok().filter(|d| (900..=43200).contains(d))
    );
    assert_eq!(
        s.parse::<RegionName>().is_ok(),
        !t.is_empty()
            && t.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    );
    if let Ok(arn) = s.parse::<RoleArn>() {
        let parts: Vec<&str> = s.splitn(6, ':').collect();
        assert_eq!(arn.arn, s);
        assert_eq!(parts[..4], ["arn", arn.partition.as_str(), "iam", ""]);
        assert_eq!(parts[4], &*arn.account_id);
        let path = parts[5].strip_prefix("role/").expect("a role resource");
        assert!(path.len() <= 576 && name_chars(path, "/"), "{s}");
        assert_eq!(path.rsplit('/').next(), Some(&*arn.name));
        assert!(arn.name.parse::<RoleName>().is_ok());
        assert_eq!(arn.arn.parse::<RoleArn>().as_ref(), Ok(&arn));
    }
    // The console's percent-encoding decodes back to the text, and only unreserved bytes stay.
    let encoded = crate::cmd::console::encode(s);
    assert!(
        encoded
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.~%".contains(&b))
    );
    assert_eq!(percent_decode(&encoded).as_deref(), Some(s.as_bytes()));
}

fn percent_decode(s: &str) -> Option<Vec<u8>> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    Some(out)
}
