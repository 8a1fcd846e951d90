//! Chains of xacct-cred processes: `exec` whose command runs xacct-cred again (as an AWS CLI
//! profile with `credential_process = xacct-cred …` does) works with a cold and a warm cache,
//! while real loops — a source that runs xacct-cred for the same role, A → B → A — are refused.
//! (The direct loop, A's source running xacct-cred for A, is
//! `a_source_profile_that_runs_xacct_cred_for_the_same_role_is_a_loop` in credential_process.rs.)
#![cfg(unix)]

mod support;

use std::time::{Duration, Instant};
use support::fake;
use support::*;

/// `prod` as usual, and `viaproc`, an AWS CLI profile whose credential_process is xacct-cred for
/// the same profile: what `aws … --profile viaproc` runs.
fn exec_scenario(sts: &FakeServer) -> Scenario {
    let s = Scenario::with_role(sts, "");
    s.config(&format!(
        "[profile prod]\nrole_arn = {ROLE_ARN}\nsource_profile = dev\nregion = eu-west-1\n\n[profile viaproc]\ncredential_process = {BIN} --profile prod\n"
    ));
    s
}

/// The child: reports whether loop detection's variable reached it, then does what the AWS CLI
/// does for `--profile viaproc` (runs its credential_process, with the same key as exec's).
fn child_script() -> String {
    format!(
        "echo \"chain=${{XACCT_CRED_CHAIN-unset}}\"; {BIN} --profile prod || exit $?; echo; echo child-ok"
    )
}

fn exec_child(s: &Scenario) -> Outcome {
    s.run(&[
        "exec",
        "--profile",
        "prod",
        "--",
        "sh",
        "-c",
        &child_script(),
    ])
}

#[test]
fn exec_whose_command_runs_xacct_cred_for_the_same_role_works_with_a_cold_cache() {
    let sts = fake::sts();
    let s = exec_scenario(&sts);
    assert!(s.entry_files().is_empty(), "cold: nothing cached yet");
    let out = exec_child(&s);
    out.ok();
    assert!(
        out.stdout.contains("chain=unset"),
        "loop detection's variable must not reach the command: {}",
        out.stdout
    );
    assert!(
        out.stdout.contains("child-ok") && out.stdout.contains("\"AccessKeyId\""),
        "the nested xacct-cred printed a session: stdout {}\nstderr {}",
        out.stdout,
        out.stderr
    );
    assert!(!out.stderr.contains("loops back"), "{}", out.stderr);
}

#[test]
fn exec_whose_command_runs_xacct_cred_for_the_same_role_works_with_a_warm_cache() {
    let sts = fake::sts();
    let s = exec_scenario(&sts);
    s.run(&["--profile", "prod"]).ok();
    let calls = sts.count("AssumeRole");
    let out = exec_child(&s);
    out.ok();
    assert!(out.stdout.contains("chain=unset"), "{}", out.stdout);
    assert!(out.stdout.contains("child-ok"), "{}", out.stderr);
    assert_eq!(sts.count("AssumeRole"), calls, "both served from the cache");
    assert_eq!(calls, 1);
}

#[test]
fn exec_drops_a_chain_variable_it_inherited() {
    // However the variable got into exec's environment (an outer renewal), the command never
    // sees it.
    let sts = fake::sts();
    let mut s = exec_scenario(&sts);
    s.set("XACCT_CRED_CHAIN", "somekey");
    let out = s.run(&[
        "exec",
        "--profile",
        "prod",
        "--",
        "sh",
        "-c",
        "echo \"chain=${XACCT_CRED_CHAIN-unset}\"",
    ]);
    out.ok();
    assert_eq!(out.stdout.trim(), "chain=unset");
}

#[test]
fn a_to_b_to_a_is_refused_as_a_loop() {
    // A's source runs xacct-cred for B, whose source runs xacct-cred for A.
    let sts = fake::sts();
    let s = Scenario::with_role(&sts, "");
    let role_b = "arn:aws:iam::333333333333:role/hop-b";
    s.config(&format!(
        "[profile a]\nrole_arn = {ROLE_ARN}\nsource_profile = runs-b\nregion = eu-west-1\n\n\
         [profile runs-b]\ncredential_process = {BIN} --profile b\n\n\
         [profile b]\nrole_arn = {role_b}\nsource_profile = runs-a\nregion = eu-west-1\n\n\
         [profile runs-a]\ncredential_process = {BIN} --profile a\n"
    ));
    let started = Instant::now();
    let out = s.run(&["--profile", "a"]);
    out.failed(3)
        .stderr_has(&["profile a loops back into itself"]);
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "no deadlock on either lock: {:?}",
        started.elapsed()
    );
    assert_eq!(sts.count("AssumeRole"), 0, "nothing reached STS");
    assert!(s.entry_files().is_empty(), "nothing was cached");
}

#[test]
fn a_chain_through_another_role_that_is_not_a_loop_still_works() {
    // A's source runs xacct-cred for B, whose source is plain keys: two nested processes, one
    // AssumeRole each, no loop.
    let sts = fake::sts();
    let s = Scenario::with_role(&sts, "");
    let role_b = "arn:aws:iam::333333333333:role/hop-b";
    s.config(&format!(
        "[profile a]\nrole_arn = {ROLE_ARN}\nsource_profile = runs-b\nregion = eu-west-1\n\n\
         [profile runs-b]\ncredential_process = {BIN} --profile b\n\n\
         [profile b]\nrole_arn = {role_b}\nsource_profile = dev\nregion = eu-west-1\n"
    ));
    s.run(&["--profile", "a"]).ok();
    assert_eq!(sts.count("AssumeRole"), 2);
}
