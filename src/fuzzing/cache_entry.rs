//! Cache entry bytes → a valid entry or a miss, never a panic, never a served entry whose
//! recorded role differs from the plan's (nor one with less than `MIN_SERVE_LEFT` left).

use crate::cache::{CacheEntry, StoreSettings};
use crate::config::SharedConfig;
use crate::env::Environment;
use crate::plan::Plan;
use crate::session::{Decision, Rules, decide};
use std::sync::OnceLock;
use time::OffsetDateTime;

/// The plan every fuzzed entry is read for: role `r` in account 111111111111.
fn fixed_plan() -> &'static Plan {
    static PLAN: OnceLock<Plan> = OnceLock::new();
    PLAN.get_or_init(|| {
        let config = SharedConfig::from_strings(
            "[profile p]\nrole_arn = arn:aws:iam::111111111111:role/r\nsource_profile = dev\n",
            "[dev]\naws_access_key_id = AKIA\naws_secret_access_key = s\n",
        )
        .expect("the fixed config parses");
        let args = crate::plan::RoleInputs {
            profile: Some("p".into()),
            ..Default::default()
        };
        Plan::build(&config, &args, &Environment::default()).expect("the fixed plan builds")
    })
}

/// What the hot path serves from these bytes at `now`, as `session::obtain` decides it: the
/// entry only if it was written for this plan (`CacheEntry::is_for`, which `session::read_for`
/// applies to every read), then the freshness rules, with background renewal on and off.
fn served(plan: &Plan, bytes: &[u8], now: OffsetDateTime, background: bool) -> Option<CacheEntry> {
    let entry = CacheEntry::from_json(bytes).filter(|e| e.is_for(plan))?;
    let store = StoreSettings::default();
    let (window, margin) = store.window_and_margin(plan.role.duration());
    let rules = Rules {
        window,
        margin,
        caller: crate::session::Caller::ComesBack,
        background,
    };
    match decide(Some(&entry), now, rules, || true) {
        Decision::Renew => None,
        _ => Some(entry),
    }
}

pub fn check_cache_entry(bytes: &[u8]) {
    let plan = fixed_plan();
    let Some(entry) = CacheEntry::from_json(bytes) else {
        return;
    };
    // A valid entry: complete, and what it says survives a write and a read.
    let c = &entry.credentials;
    assert!(!c.access_key_id.is_empty() && !c.secret_access_key.expose().is_empty());
    assert!(!c.session_token.expose().is_empty() && !entry.role_arn.is_empty());
    // What it says survives a write and a read, times to the second (the cache writes whole
    // seconds, rounding down, so a session never looks longer than it is).
    let written = entry.to_json();
    let reread = CacheEntry::from_json(written.as_bytes())
        .unwrap_or_else(|| panic!("an entry does not read back as written: {written}"));
    for (was, is) in [
        (c.expiration, reread.credentials.expiration),
        (entry.created_at, reread.created_at),
    ] {
        assert!(
            is <= was && was - is < time::Duration::SECOND,
            "{was} became {is}"
        );
    }
    let whole = |t: OffsetDateTime| t.replace_nanosecond(0).expect("0 is valid");
    let mut truncated = entry.clone();
    truncated.credentials.expiration = whole(c.expiration);
    truncated.created_at = whole(entry.created_at);
    assert_eq!(
        reread, truncated,
        "an entry does not read back as written: {written}"
    );
    assert_eq!(reread.to_json(), written, "a second write differs");
    let now = OffsetDateTime::from_unix_timestamp(1_800_000_000).expect("a valid time");
    for at in [
        now,
        entry.created_at,
        c.expiration - time::Duration::hours(1),
    ] {
        for background in [false, true] {
            if let Some(e) = served(plan, bytes, at, background) {
                assert_eq!(
                    e.role_arn, plan.role.role_arn.arn,
                    "served another role's entry"
                );
                assert!(e.is_servable(at), "served an entry with no time left");
            }
        }
    }
}
