//! setup's editor: for any config text aws-config's parser accepts and any setup arguments,
//! when setup would write — every original line survives, in order (without `--force`, which
//! replaces sections by design); the result parses to the same profiles plus the new ones; the
//! same setup again changes nothing. When setup changes nothing, aws-config must already read
//! the profiles as setup would have written them.

use crate::cli::SetupArgs;
use crate::cmd::setup::edit::{self, Wanted};
use crate::config::SharedConfig;
use crate::config::ini::ConfigText;
use crate::env::Environment;
use crate::plan::RoleInputs;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// setup's inputs besides the file: the arguments and what it would ask for.
#[derive(Debug, Clone, Default)]
pub struct SetupInput {
    /// The role's flags (`--role-arn` and the source are the fields below).
    pub role: RoleInputs,
    pub force: bool,
    pub name: String,
    pub role_profile: String,
    pub role_arn: String,
    /// `source_profile` (or `credential_source` when `credential_source` is true) and its value.
    pub credential_source: bool,
    pub source: String,
    pub exe: String,
}

type Profiles = BTreeMap<String, aws_config::profile::Profile>;
/// The `[services …]` and `[sso-session …]` sections.
type Others = (
    aws_runtime::env_config::property::Properties,
    BTreeMap<String, Option<aws_runtime::env_config::section::SsoSession>>,
);

/// Every profile and section as aws-config reads them: name → key → value.
fn profiles(text: &str) -> Option<(Profiles, Others)> {
    let parsed = SharedConfig::from_strings(text, "").ok()?;
    let mut all = Profiles::new();
    for name in parsed.profiles.profiles() {
        all.insert(name.to_string(), parsed.profile(name)?.clone());
    }
    let others = (
        parsed.profiles.other_sections().clone(),
        parsed
            .profiles
            .sso_sessions()
            .map(|s| (s.to_string(), parsed.profiles.sso_session(s).cloned()))
            .collect::<BTreeMap<_, _>>(),
    );
    Some((all, others))
}

/// The lines of `text`, split exactly where `\n` is.
fn lines(text: &str) -> Vec<&str> {
    text.strip_suffix('\n')
        .unwrap_or(text)
        .split('\n')
        .collect()
}

/// Whether `small` is a subsequence of `big`.
fn in_order(small: &[&str], big: &[&str]) -> bool {
    let mut it = big.iter();
    small.iter().all(|l| it.any(|b| b == l))
}

pub fn check_setup(original: &str, input: &SetupInput) {
    let Some((before, before_other)) = profiles(original) else {
        return; // Only text aws-config accepts.
    };
    let args = SetupArgs {
        name: Some(input.name.clone()),
        role_profile: Some(input.role_profile.clone()),
        role: input.role.clone(),
        force: input.force,
        no_doctor: true,
        source_in_store: false,
        store: Default::default(),
    };
    let [role, process] = edit::wanted(
        &args,
        &input.name,
        input.role_arn.clone(),
        (
            if input.credential_source {
                "credential_source"
            } else {
                "source_profile"
            },
            input.source.clone(),
        ),
        &input.role_profile,
        &input.exe,
    );
    if role.profile == process.profile {
        return; // setup refuses this before editing.
    }
    let wanted = [role, process];
    let path = Path::new("config");
    let Ok(first) = edit::apply(original, &wanted, input.force, path) else {
        return; // setup refuses; nothing is written.
    };
    let env = Environment::default();
    if edit::validate(&first.text, "", &wanted, &env).is_err() {
        return; // setup refuses; nothing is written.
    }
    if first.changed.is_empty() {
        return check_already_set_up(&before, &wanted, original);
    }
    let (old, new) = (lines(original), lines(&first.text));
    if !input.force {
        assert!(
            in_order(&old, &new),
            "a line of the original is lost or moved:\n{original}\n--- became\n{}",
            first.text
        );
    }
    let (after, after_other) =
        profiles(&first.text).expect("setup wrote a file that aws-config cannot parse");
    assert_eq!(before_other, after_other, "non-profile sections changed");
    let names: BTreeSet<&str> = wanted.iter().map(|w| w.profile.as_str()).collect();
    for (name, keys) in &before {
        if !names.contains(name.as_str()) {
            assert_eq!(
                after.get(name),
                Some(keys),
                "profile {name} changed:\n{original}\n--- became\n{}",
                first.text
            );
        }
    }
    for w in &wanted {
        assert_eq!(
            after.get(&w.profile),
            Some(&expected(w)),
            "profile {} is not what setup meant to write:\n{}",
            w.profile,
            first.text
        );
        let p = &after[&w.profile];
        for (k, v) in &w.keys {
            assert_eq!(
                p.get(k),
                Some(v.trim()),
                "{k} in {}:\n{}",
                w.profile,
                first.text
            );
        }
    }
    let extra: Vec<_> = after
        .keys()
        .filter(|n| !before.contains_key(*n) && !names.contains(n.as_str()))
        .collect();
    assert!(
        extra.is_empty(),
        "setup made profiles {extra:?}:\n{}",
        first.text
    );
    let second = edit::apply(&first.text, &wanted, input.force, path)
        .expect("the same setup again is refused");
    assert_eq!(
        second.text, first.text,
        "the same setup again changed the file"
    );
    assert!(second.changed.is_empty(), "{:?}", second.changed);
}

/// Nothing changed: then the profiles must already be exactly what setup would write.
fn check_already_set_up(before: &Profiles, wanted: &[Wanted], original: &str) {
    for w in wanted {
        assert_eq!(
            before.get(&w.profile),
            Some(&expected(w)),
            "setup says [{}] is already set up, but aws-config reads it otherwise:\n{original}",
            w.profile
        );
    }
}

/// The profile as aws-config reads setup's stanza on its own.
fn expected(w: &Wanted) -> aws_config::profile::Profile {
    let mut alone = ConfigText::new("");
    alone.append(&w.profile, &w.keys);
    let (mut p, _) = profiles(&alone.text()).expect("setup's own stanza parses");
    p.remove(&w.profile)
        .unwrap_or_else(|| panic!("aws-config ignores setup's stanza:\n{}", alone.text()))
}
