//! The definitions against themselves: the fast top-level parse agrees with the full one, every
//! help fits, each subcommand takes its own flags, the detached renewal's arguments round-trip.

use super::*;
use clap::CommandFactory;
use std::ffi::OsString;

#[test]
fn the_subcommand_words_are_the_definitions_names_and_aliases() {
    let full = Cli::command();
    let mut defined: Vec<String> = full
        .get_subcommands()
        .flat_map(|c| {
            std::iter::once(c.get_name().to_string()).chain(c.get_all_aliases().map(str::to_string))
        })
        .chain(["help".to_string()])
        .collect();
    let mut listed: Vec<String> = SUBCOMMAND_WORDS.iter().map(|s| s.to_string()).collect();
    defined.sort();
    listed.sort();
    assert_eq!(listed, defined);
}

#[test]
fn the_top_level_arguments_are_the_full_definitions() {
    let full = Cli::command();
    let top = TopLevel::command();
    // Everything but the display order, which only help uses (and help is the full one's).
    let show = |c: &clap::Command| -> Vec<String> {
        c.get_arguments()
            .map(|a| {
                let shown = format!("{a:?}");
                let (before, after) = shown.split_once("disp_ord: ").expect("a display order");
                let after = after.split_once(", ").map_or("", |(_, rest)| rest);
                format!("{before}{after}")
            })
            .collect()
    };
    assert_eq!(show(&top), show(&full));
    assert!(show(&full).len() > 10, "the comparison saw the arguments");
}

/// For command lines the top-level parse accepts, the full definition gives the same
/// result; the others (a subcommand, help, an error) are left to the full definition.
#[test]
fn the_top_level_parse_agrees_with_the_full_one() {
    let lines: &[&[&str]] = &[
        &[],
        &["--profile", "prod"],
        &["-p", "prod", "--export"],
        &["--profile=prod", "--format", "dotenv", "--no-cache"],
        &[
            "--role-arn",
            "arn:aws:iam::111111111111:role/r",
            "--source-profile",
            "dev",
        ],
        &["--profile", "prod", "--refresh-window", "600", "--debug"],
        &["--profile", "prod", "--background-refresh", "off"],
        &[
            "--profile",
            "prod",
            "--cache-dir",
            "/tmp/x",
            "--lock-timeout",
            "3",
        ],
        &[
            "--profile",
            "prod",
            "--duration-seconds",
            "900",
            "--role-session-name",
            "s",
        ],
        &[
            "--credential-source",
            "Ec2InstanceMetadata",
            "--role-arn",
            "arn:aws:iam::1:role/r",
        ],
        &[
            "-p",
            "prod",
            "--token-code",
            "123456",
            "--mfa-serial",
            "arn:aws:iam::1:mfa/u",
        ],
        &["--profile", "exec"],
        &["exec", "-p", "prod", "--", "true"],
        &["cache", "list"],
        &["--help"],
        &["-h"],
        &["--version"],
        &["--profile"],
        &["--no-such-flag"],
        &["stray"],
        &["--", "x"],
        &["--profile", "prod", "--format", "nonsense"],
    ];
    let mut fast = 0;
    for line in lines {
        let argv: Vec<OsString> = std::iter::once("xacct-cred")
            .chain(line.iter().copied())
            .map(OsString::from)
            .collect();
        let full = Cli::try_parse_from(&argv);
        match Cli::top_level_only(&argv) {
            Some(top) => {
                fast += 1;
                let full = full.unwrap_or_else(|e| panic!("{line:?}: the full parse failed: {e}"));
                assert_eq!(format!("{top:?}"), format!("{full:?}"), "{line:?}");
            }
            None => {
                let words = line.iter().any(|w| SUBCOMMAND_WORDS.contains(w));
                assert!(
                    words || full.is_err(),
                    "{line:?} was left to the full parse"
                );
            }
        }
    }
    assert!(fast >= 11, "the top-level parse took {fast} lines");
}

#[test]
fn seconds_name_their_variable_and_an_empty_one_is_unset() {
    use std::time::Duration;
    let parse = args::seconds_of(env::REFRESH_WINDOW);
    assert_eq!(parse("120").unwrap().get(), Some(Duration::from_secs(120)));
    assert_eq!(parse("  ").unwrap().get(), None);
    assert!(parse("2m").unwrap_err().contains(env::REFRESH_WINDOW));
    let cli = Cli::try_parse_from(["xacct-cred", "-p", "x", "--refresh-window", "30"]).unwrap();
    assert_eq!(cli.cache.store.refresh_window, Duration::from_secs(30));
}

/// What the binary prints for `xacct-cred ARGS…` when that is a help request.
fn help(args: &[&str]) -> String {
    let argv = std::iter::once("xacct-cred").chain(args.iter().copied());
    match Cli::parse_full(argv) {
        Err(e) if e.kind() == clap::error::ErrorKind::DisplayHelp => e.render().to_string(),
        other => panic!("{args:?} is no help: {other:?}"),
    }
}

/// Every visible command path: [], ["cache"], ["cache", "list"], …
fn command_paths() -> Vec<Vec<String>> {
    fn walk(c: &clap::Command, path: Vec<String>, out: &mut Vec<Vec<String>>) {
        for sub in c.get_subcommands().filter(|s| !s.is_hide_set()) {
            let mut p = path.clone();
            p.push(sub.get_name().to_string());
            walk(sub, p, out);
        }
        out.push(path);
    }
    let mut out = Vec::new();
    walk(&Cli::command(), Vec::new(), &mut out);
    out
}

#[test]
fn every_help_fits_in_100_columns_and_the_short_top_level_one_in_40_lines() {
    let paths = command_paths();
    assert!(paths.len() >= 10, "{paths:?}");
    for path in &paths {
        for flag in ["-h", "--help"] {
            let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
            args.push(flag);
            let text = help(&args);
            for line in text.lines() {
                let width = line.chars().count();
                assert!(width <= 100, "{args:?}: {width} columns: {line}");
            }
            let short = flag == "-h";
            if short {
                assert!(
                    !text.contains("--refresh-window"),
                    "{args:?} -h shows a tuning flag"
                );
            }
            if path.is_empty() && short {
                let lines = text.lines().count();
                assert!(lines <= 40, "xacct-cred -h has {lines} lines:\n{text}");
            }
        }
    }
    // The long help still has them, with their variables.
    assert!(help(&["--help"]).contains("--refresh-window"));
    assert!(help(&["exec", "--help"]).contains(env::BLOCKING_MARGIN));
}

#[test]
fn every_flag_has_help() {
    fn check(c: &clap::Command, path: &str) {
        for arg in c.get_arguments().filter(|a| !a.is_hide_set()) {
            let id = arg.get_id();
            let positional = arg.get_long().is_none() && arg.get_short().is_none();
            assert!(
                positional || arg.get_help().is_some() || id == "help" || id == "version",
                "{path} --{id} has no help"
            );
        }
        for sub in c.get_subcommands().filter(|s| !s.is_hide_set()) {
            check(sub, &format!("{path} {}", sub.get_name()));
        }
    }
    let mut full = Cli::command();
    full.build();
    check(&full, "xacct-cred");
}

fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
    Cli::parse_full(std::iter::once("xacct-cred").chain(args.iter().copied()))
}

#[test]
fn each_subcommand_takes_only_its_own_flags() {
    assert!(parse(&["setup", "--profile", "p"]).is_err());
    assert!(parse(&["setup", "--token-code", "123456"]).is_err());
    let setup = help(&["setup", "--help"]);
    assert!(
        !setup.contains("-p, --profile") && !setup.contains("--token-code"),
        "{setup}"
    );
    assert!(parse(&["cache", "--refresh-window", "3", "list"]).is_err());
    assert!(parse(&["cache", "list", "--blocking-margin", "3"]).is_err());
    // The top level's flags are the default command's: not before a subcommand.
    assert!(parse(&["-p", "prod", "exec", "--", "true"]).is_err());
    assert!(parse(&["--export", "cache", "list"]).is_err());
}

#[test]
fn the_cache_directory_goes_before_or_after_the_cache_action() {
    for line in [
        &["cache", "--cache-dir", "/tmp/d", "list"][..],
        &["cache", "list", "--cache-dir", "/tmp/d"],
        &["cache", "clear", "--cache-dir", "/tmp/d", "--profile", "p"],
    ] {
        let cli = parse(line).unwrap_or_else(|e| panic!("{line:?}: {e}"));
        let Some(Command::Cache { dir, .. }) = cli.command else {
            panic!("{line:?}: not cache");
        };
        assert_eq!(
            dir.settings().dir.as_deref(),
            Some(std::path::Path::new("/tmp/d"))
        );
    }
}

#[test]
fn debug_goes_before_a_subcommand_too() {
    for line in [
        &["--debug", "exec", "-p", "prod", "--", "true"][..],
        &["exec", "--debug", "-p", "prod", "--", "true"],
        &["--debug", "cache", "list"],
    ] {
        let cli = parse(line).unwrap_or_else(|e| panic!("{line:?}: {e}"));
        assert!(cli.debug, "{line:?}");
    }
}

/// The detached renewal gets the caller's inputs and settings back, and never the MFA code.
#[test]
fn the_renewals_arguments_round_trip_without_the_code() {
    use crate::cache::StoreSettings;
    use crate::plan::{CredentialSource, RoleInputs};
    use std::time::Duration;
    let role = RoleInputs {
        profile: Some("prod".into()),
        role_arn: Some("arn:aws:iam::111111111111:role/r".into()),
        source_profile: None,
        credential_source: Some(CredentialSource::Ec2InstanceMetadata),
        role_session_name: Some("-starts-with-a-dash".into()),
        external_id: Some("ext id".into()),
        duration_seconds: Some(900),
        mfa_serial: Some("arn:aws:iam::1:mfa/u".into()),
        token_code: Some("654321".into()),
        region: Some("eu-west-1".into()),
    };
    let store = StoreSettings {
        dir: Some("/tmp/cache dir".into()),
        refresh_window: Duration::from_secs(700),
        blocking_margin: Duration::from_secs(100),
        background: true,
        lock_timeout: Duration::from_secs(5),
    };
    let passed = crate::background::arguments(&role, &store);
    assert!(
        !passed
            .iter()
            .any(|a| a.to_string_lossy().contains("654321"))
    );
    let mut argv: Vec<OsString> = [
        "xacct-cred",
        crate::background::SUBCOMMAND,
        "--stage",
        "renew",
    ]
    .into_iter()
    .chain(["--key", "k", "--lock-fd", "7"])
    .map(OsString::from)
    .collect();
    argv.extend(passed);
    let cli = Cli::parse_full(argv).unwrap();
    let Some(Command::BackgroundRenewal(got)) = cli.command else {
        panic!("not the renewal");
    };
    assert_eq!(got.plan.role, role.without_secrets());
    assert_eq!(format!("{:?}", got.plan.store), format!("{store:?}"));
    assert_eq!((got.key.as_str(), got.lock_fd), ("k", 7));
    let plain = RoleInputs {
        profile: Some("p".into()),
        ..RoleInputs::default()
    };
    let argv = [
        crate::background::SUBCOMMAND,
        "--stage",
        "detach",
        "--key",
        "k",
        "--lock-fd",
        "3",
    ]
    .into_iter()
    .map(OsString::from)
    .chain(crate::background::arguments(
        &plain,
        &StoreSettings::default(),
    ));
    let cli = Cli::parse_full(std::iter::once(OsString::from("xacct-cred")).chain(argv)).unwrap();
    let Some(Command::BackgroundRenewal(got)) = cli.command else {
        panic!("not the renewal");
    };
    assert_eq!(got.plan.role, plain);
}
