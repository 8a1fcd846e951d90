//! The export formats through their real consumers: bash and dash for `sh`, fish, and
//! python-dotenv for `dotenv` (PowerShell cannot be installed from the registries this project
//! uses; src/fuzzing/export.rs checks it against a reference parser). 200 generated values per
//! `cargo test`, batched so that each consumer starts only a few times.

use super::props::{config, nasty};
use crate::output::Format;
use proptest::prelude::*;
use std::process::Command;

/// The shell, which scripts/setup-test-deps.sh installs: missing, the test fails, never skips.
fn require(shell: &str) -> &str {
    let ok = Command::new(shell).arg("-c").arg("true").output();
    assert!(
        ok.is_ok_and(|o| o.status.success()),
        "{shell} is not installed: run scripts/setup-test-deps.sh (docs/ARCHITECTURE.md, Tests)"
    );
    shell
}

/// The e2e venv's python, where python-dotenv is installed (tests/e2e/requirements.txt).
fn dotenv_python() -> String {
    let cache = std::env::var("XACCT_E2E_CACHE").unwrap_or_else(|_| {
        format!(
            "{}/.cache/xacct-cred-e2e",
            std::env::var("HOME").unwrap_or_default()
        )
    });
    let python = format!("{cache}/venv/bin/python");
    let ok = Command::new(&python).args(["-c", "import dotenv"]).output();
    assert!(
        ok.is_ok_and(|o| o.status.success()),
        "{python} has no python-dotenv: run scripts/setup-test-deps.sh (docs/ARCHITECTURE.md, Tests)"
    );
    python
}

const VARS: &str = "\"$AWS_ACCESS_KEY_ID\" \"$AWS_SECRET_ACCESS_KEY\" \"$AWS_SESSION_TOKEN\"";

/// Runs one script that evaluates every case's lines and prints the three values, each
/// followed by a NUL; returns them per case.
fn through(shell: &str, cases: &[String]) -> Vec<String> {
    let mut script = String::new();
    for lines in cases {
        script.push_str(lines);
        script.push_str(&format!("printf '%s\\0%s\\0%s\\0' {VARS}\n"));
    }
    let out = Command::new(require(shell))
        .arg("-c")
        .arg(&script)
        .env_clear()
        .env("LC_ALL", "C.UTF-8")
        .output()
        .expect("the shell runs");
    assert!(
        out.status.success(),
        "{shell}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("UTF-8 in, UTF-8 out")
        .split_terminator('\0')
        .map(str::to_string)
        .collect()
}

fn through_dotenv(cases: &[String]) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let mut paths = Vec::new();
    for (i, lines) in cases.iter().enumerate() {
        let p = dir.path().join(format!("{i}.env"));
        std::fs::write(&p, lines).unwrap();
        paths.push(p.display().to_string());
    }
    let script = "import sys, json\nfrom dotenv import dotenv_values\nout = []\nfor p in sys.argv[1:]:\n    v = dotenv_values(p)\n    out += [v['AWS_ACCESS_KEY_ID'], v['AWS_SECRET_ACCESS_KEY'], v['AWS_SESSION_TOKEN']]\nprint(json.dumps(out))\n";
    let out = Command::new(dotenv_python())
        .arg("-c")
        .arg(script)
        .args(&paths)
        .env_clear()
        .output()
        .expect("python runs");
    assert!(
        out.status.success(),
        "python-dotenv: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("a JSON list")
}

fn creds(v: &[String; 3]) -> crate::credentials::SessionCredentials {
    use crate::credentials::Secret;
    crate::credentials::SessionCredentials {
        access_key_id: v[0].clone(),
        secret_access_key: Secret::new(v[1].clone()),
        session_token: Secret::new(v[2].clone()),
        expiration: time::OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap(),
    }
}

proptest! {
    // 4 runs of 50 cases: each run is one process per consumer, so 200 values cost seconds.
    #![proptest_config(config(4))]

    #[test]
    fn export_lines_round_trip_through_bash_dash_fish_and_python_dotenv(
        values in prop::collection::vec(prop::array::uniform3(nasty()), 50),
    ) {
        for (format, consumers) in [
            (Format::Sh, &["bash", "dash"][..]),
            (Format::Fish, &["fish"][..]),
            (Format::Dotenv, &["python-dotenv"][..]),
        ] {
            let ok: Vec<(&[String; 3], String)> = values
                .iter()
                .filter_map(|v| Some((v, crate::output::render(&creds(v), format).ok()?)))
                .collect();
            let lines: Vec<String> = ok.iter().map(|(_, l)| l.clone()).collect();
            let want: Vec<String> = ok.iter().flat_map(|(v, _)| v.iter().cloned()).collect();
            for consumer in consumers {
                let got = if *consumer == "python-dotenv" {
                    through_dotenv(&lines)
                } else {
                    through(consumer, &lines)
                };
                for (i, (g, w)) in got.iter().zip(&want).enumerate() {
                    prop_assert_eq!(g, w, "{} read {:?} as {:?}", consumer, lines[i / 3], g);
                }
                prop_assert_eq!(got.len(), want.len(), "{}: {:?}", consumer, got);
            }
        }
        // Every value the shells were not given was refused by the pure check too.
        for v in &values {
            super::check_export(&v[0], &v[1], &v[2]);
        }
    }
}
