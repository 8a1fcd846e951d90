//! Ending what a given-up source left running: aws-config lets a source `credential_process`
//! run when xacct-cred stops waiting for it. On Linux the processes started meanwhile in this
//! session are found in /proc, stopped and killed; elsewhere nothing is done. Never while
//! someone is at a terminal (the helper may be waiting for them), nor in a process serving the
//! credential endpoint ([`keep_all`]).

use std::sync::atomic::{AtomicBool, Ordering};

static KEEP_ALL: AtomicBool = AtomicBool::new(false);

/// From now on this process ends no child: it has children of its own that must live.
pub fn keep_all() {
    KEEP_ALL.store(true, Ordering::Relaxed);
}

/// This process's children now (on Linux; elsewhere none).
pub fn children() -> Vec<u32> {
    children_of(std::process::id())
}

/// Ends every child that is not in `before` and is in this process's session (not a detached
/// renewal re-parented to this one as PID 1 or subreaper), with all of its descendants.
pub fn end_children_started_since(before: &[u32]) {
    if KEEP_ALL.load(Ordering::Relaxed) || someone_at_a_terminal() {
        return;
    }
    let ours = session_of(std::process::id());
    let started: Vec<u32> = children()
        .into_iter()
        .filter(|p| !before.contains(p) && ours.is_some() && session_of(*p) == ours)
        .collect();
    for pid in stopped_with_descendants(started) {
        signal(pid, Sig::Kill);
    }
}

/// Stops the processes `tree` starts with and, below each stopped one, its children (at most
/// 1024 in all). A stopped parent can neither start a child nor reap one, so every number
/// listed stays its process's (at worst a zombie) until the kill: no number is reused meanwhile.
fn stopped_with_descendants(mut tree: Vec<u32>) -> Vec<u32> {
    let mut i = 0;
    while i < tree.len() && tree.len() < 1024 {
        signal(tree[i], Sig::Stop);
        for pid in children_of(tree[i]) {
            if !tree.contains(&pid) {
                tree.push(pid);
            }
        }
        i += 1;
    }
    tree
}

#[cfg(unix)]
fn someone_at_a_terminal() -> bool {
    std::fs::File::open("/dev/tty").is_ok()
}

#[cfg(not(unix))]
fn someone_at_a_terminal() -> bool {
    false
}

/// `pid`'s children: from /proc/PID/task/*/children, or, on a kernel without that file
/// (CONFIG_PROC_CHILDREN), from every process's parent in /proc/*/stat.
#[cfg(target_os = "linux")]
fn children_of(pid: u32) -> Vec<u32> {
    let listed: Option<Vec<u32>> = std::fs::read_dir(format!("/proc/{pid}/task"))
        .ok()
        .and_then(|tasks| {
            let texts: Vec<String> = tasks
                .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("children")).ok())
                .collect();
            (!texts.is_empty()).then(|| {
                texts
                    .iter()
                    .flat_map(|t| t.split_whitespace().filter_map(|p| p.parse().ok()))
                    .collect()
            })
        });
    listed.unwrap_or_else(|| {
        let Ok(all) = std::fs::read_dir("/proc") else {
            return Vec::new();
        };
        all.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
            .filter(|&p| stat_field(p, 1) == Some(pid))
            .collect()
    })
}

#[cfg(not(target_os = "linux"))]
fn children_of(_: u32) -> Vec<u32> {
    Vec::new()
}

fn session_of(pid: u32) -> Option<u32> {
    stat_field(pid, 3)
}

/// Field `n` after the command name of /proc/PID/stat (1: parent, 3: session).
fn stat_field(pid: u32, n: usize) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat.rsplit_once(')')?
        .1
        .split_whitespace()
        .nth(n)?
        .parse()
        .ok()
}

enum Sig {
    Stop,
    Kill,
}

#[cfg(unix)]
fn signal(pid: u32, sig: Sig) {
    use rustix::process::{Pid, Signal, kill_process};
    let sig = match sig {
        Sig::Stop => Signal::STOP,
        Sig::Kill => Signal::KILL,
    };
    if let Some(pid) = i32::try_from(pid).ok().and_then(Pid::from_raw) {
        let _ = kill_process(pid, sig);
    }
}

#[cfg(not(unix))]
fn signal(_: u32, _: Sig) {}

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
        assert_eq!(session_of(shell.id()), session_of(std::process::id()));
        let grandchild = (0..200)
            .find_map(|_| {
                std::thread::sleep(std::time::Duration::from_millis(10));
                children_of(shell.id()).first().copied()
            })
            .expect("the shell started its sleep");
        let tree = stopped_with_descendants(vec![shell.id()]);
        assert_eq!(tree, [shell.id(), grandchild]);
        for pid in tree {
            signal(pid, Sig::Kill);
        }
        assert!(!shell.wait().unwrap().success(), "the shell was killed");
        // A SIGKILL is delivered asynchronously: give it a moment.
        let state = || {
            let status = std::fs::read_to_string(format!("/proc/{grandchild}/status"));
            let status = status.unwrap_or_default();
            status
                .lines()
                .find(|l| l.starts_with("State:"))
                .map(str::to_string)
        };
        let ended = || state().is_none_or(|l| l.contains("zombie"));
        for _ in 0..200 {
            if ended() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        let state = state();
        assert!(ended(), "the grandchild ended: {state:?}");
    }
}
