//! Ending what a given-up source left running. aws-config starts a source profile's
//! `credential_process` itself and, when xacct-cred stops waiting for it (renew's source bound),
//! lets it run: a helper that hangs would outlive every call that started one. On Linux the
//! processes this one started meanwhile, and theirs, are found in /proc and killed; elsewhere
//! nothing is done (the detached renewal ends its whole process group instead). A process that
//! serves the credential endpoint runs children of its own and renews concurrently, so it ends
//! nothing ([`keep_all`]).

use std::sync::atomic::{AtomicBool, Ordering};

static KEEP_ALL: AtomicBool = AtomicBool::new(false);

/// From now on this process ends no child: it has children of its own that must live.
pub fn keep_all() {
    KEEP_ALL.store(true, Ordering::Relaxed);
}

/// This process's children now (on Linux; elsewhere none).
pub fn children() -> Vec<u32> {
    children_of("self")
}

/// SIGKILLs every child that is not in `before`, and all of its descendants.
pub fn end_children_started_since(before: &[u32]) {
    if KEEP_ALL.load(Ordering::Relaxed) {
        return;
    }
    let started: Vec<u32> = children()
        .into_iter()
        .filter(|p| !before.contains(p))
        .collect();
    for pid in with_descendants(started) {
        kill(pid);
    }
}

/// The processes `tree` starts with and every process below them (at most 1024 in all).
fn with_descendants(mut tree: Vec<u32>) -> Vec<u32> {
    let mut i = 0;
    while i < tree.len() && tree.len() < 1024 {
        for pid in children_of(&tree[i].to_string()) {
            if !tree.contains(&pid) {
                tree.push(pid);
            }
        }
        i += 1;
    }
    tree
}

#[cfg(target_os = "linux")]
fn children_of(pid: &str) -> Vec<u32> {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return Vec::new();
    };
    tasks
        .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("children")).ok())
        .flat_map(|text| {
            text.split_whitespace()
                .filter_map(|p| p.parse().ok())
                .collect::<Vec<u32>>()
        })
        .collect()
}

#[cfg(not(target_os = "linux"))]
fn children_of(_: &str) -> Vec<u32> {
    Vec::new()
}

#[cfg(unix)]
fn kill(pid: u32) {
    if let Some(pid) = i32::try_from(pid)
        .ok()
        .and_then(rustix::process::Pid::from_raw)
    {
        let _ = rustix::process::kill_process(pid, rustix::process::Signal::KILL);
    }
}

#[cfg(not(unix))]
fn kill(_: u32) {}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    // Only the processes this test starts are killed: other tests of this binary run children
    // at the same time, so `end_children_started_since` itself is tested through the binary
    // (tests/source_outage.rs).
    #[test]
    fn a_shell_and_what_it_started_are_found_and_ended() {
        let mut shell = std::process::Command::new("sh")
            .args(["-c", "sleep 30 & wait"])
            .spawn()
            .unwrap();
        assert!(children().contains(&shell.id()));
        let grandchild = (0..200)
            .find_map(|_| {
                std::thread::sleep(std::time::Duration::from_millis(10));
                children_of(&shell.id().to_string()).first().copied()
            })
            .expect("the shell started its sleep");
        let tree = with_descendants(vec![shell.id()]);
        assert_eq!(tree, [shell.id(), grandchild]);
        for pid in tree {
            kill(pid);
        }
        assert!(!shell.wait().unwrap().success(), "the shell was killed");
        let status = std::fs::read_to_string(format!("/proc/{grandchild}/status"));
        let state = status.unwrap_or_default();
        let state = state.lines().find(|l| l.starts_with("State:"));
        assert!(
            state.is_none_or(|l| l.contains("zombie")),
            "the grandchild ended: {state:?}"
        );
    }
}
