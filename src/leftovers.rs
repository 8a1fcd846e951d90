//! Ending what a given-up source left running: aws-config lets a source `credential_process`
//! run on when xacct-cred stops waiting for it.
//!
//! The rule: a helper is ended only on positive evidence that it is ours and abandoned, and
//! only where nobody can be waiting on it. Ours: a child of the very thread that gave up on it
//! (Linux lists children per thread), started after that thread began waiting, in this
//! process's session; of what it started, only what is still in this session (a browser or an
//! SSO agent that called `setsid` left on purpose). Abandoned: the wait for it timed out, or
//! the server waiting for it stops. Where: only the detached renewal and the servers (one
//! helper per renewal would pile up), never a foreground call: a GUI caller has no terminal,
//! yet its helper may be waiting for a browser login. Without the per-thread list (elsewhere
//! than Linux, or a kernel without CONFIG_PROC_CHILDREN) nothing is ended.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// The threads waiting for a source now, with the children each had when it began.
static WATCHED: Mutex<Vec<(u64, Watched)>> = Mutex::new(Vec::new());
static NEXT_ID: AtomicU64 = AtomicU64::new(0);

#[derive(Clone)]
struct Watched {
    thread: u32,
    before: Vec<u32>,
}

/// A thread waiting for a source: what it starts from now on is what it may end.
pub struct Watch {
    id: u64,
    watched: Option<Watched>,
}

impl Watch {
    /// Starts watching the calling thread (nothing to watch without a per-thread list).
    pub fn start() -> Watch {
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        let watched = this_thread().and_then(|thread| {
            Some(Watched {
                thread,
                before: thread_children(thread)?,
            })
        });
        if let (Some(w), Ok(mut all)) = (&watched, WATCHED.lock()) {
            all.push((id, w.clone()));
        }
        Watch { id, watched }
    }

    /// Ends what this thread started since [`Watch::start`]: the helper it gave up on, and of
    /// that helper's descendants those still in this session; and then, in a server where no
    /// other thread waits for a source, what helpers left behind ([`end_marked`]).
    pub fn end_started(&self) {
        if let Some(w) = &self.watched {
            end(w);
        }
        end_marked(Some(self.id));
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        if let Ok(mut all) = WATCHED.lock() {
            all.retain(|(id, _)| *id != self.id);
        }
    }
}

/// For a server that stops: ends what every thread still waiting for a source started.
pub fn end_all_watched() {
    let all: Vec<Watched> = match WATCHED.lock() {
        Ok(all) => all.iter().map(|(_, w)| w.clone()).collect(),
        Err(_) => return,
    };
    for w in &all {
        end(w);
    }
    end_marked(None);
}

/// A server's mark (see [`crate::env::SERVER_MARK`]): 16 random hex digits.
pub fn new_mark() -> crate::error::Result<String> {
    crate::disk::private_file::random_hex(8).map_err(|e| crate::error::Error::config(e.to_string()))
}

/// In a server (whose environment holds its mark): ends the processes of this session, other
/// than this one, that carry the mark — what source helpers left behind: a child that held the
/// helper's output after it exited (`( agent & )`), a grandchild re-parented to init by a
/// double fork. Below no thread's children, they are otherwise nobody's. Ours: only a helper's
/// descendant carries the mark (exec --server's command is started without it), and one that
/// called `setsid` left the session on purpose. Abandoned: no source call is under way but
/// `waiting`'s (the watch list is held meanwhile, so none starts), or the server stops (`None`).
fn end_marked(waiting: Option<u64>) {
    let Ok(mark) = std::env::var(crate::env::SERVER_MARK) else {
        return;
    };
    let Ok(watching) = WATCHED.lock() else {
        return;
    };
    if let Some(me) = waiting
        && watching.iter().any(|(id, _)| *id != me)
    {
        return;
    }
    let entry = format!("{}={mark}", crate::env::SERVER_MARK);
    let ours = session_of(std::process::id());
    let marked = stopped_until_none_new(|| marked_in_session(&entry));
    kill_or_let_go(marked, |pid| {
        session_of(pid) == ours && carries(pid, &entry)
    });
    drop(watching);
}

/// Stops what `find` lists, and looks again until it lists nothing new (at most 1024): a
/// process forked after a look is in the next one, and a stopped process forks no more.
fn stopped_until_none_new(find: impl Fn() -> Vec<u32>) -> Vec<u32> {
    let mut stopped: Vec<u32> = Vec::new();
    if !proc_is_ours() {
        return stopped;
    }
    loop {
        let new: Vec<u32> = find()
            .into_iter()
            .filter(|pid| !stopped.contains(pid))
            .collect();
        if new.is_empty() || stopped.len() >= 1024 {
            return stopped;
        }
        for &pid in &new {
            signal(pid, Sig::Stop);
        }
        stopped.extend(new);
    }
}

/// Kills each stopped process that `still` holds for, looked at again once stopped (a stopped
/// process keeps its number): one that ended between the look and the stop, its number taken
/// by another, is let go.
fn kill_or_let_go(stopped: Vec<u32>, still: impl Fn(u32) -> bool) {
    for pid in stopped {
        match still(pid) {
            true => signal(pid, Sig::Kill),
            false => signal(pid, Sig::Cont),
        }
    }
}

/// Whether /proc shows this process's own pid namespace (not so in a namespace made without
/// mounting its /proc): otherwise its numbers are other processes', and nothing is ended.
fn proc_is_ours() -> bool {
    std::fs::read_link("/proc/self")
        .ok()
        .and_then(|l| l.to_str()?.parse::<u32>().ok())
        == Some(std::process::id())
}

/// For the detached renewal, whose session exists for it alone (it called `setsid`): ends every
/// other process of that session, whatever its process group (`timeout` and `setpgrp` make
/// their own) or parent (init, after a double fork). Stopped first, all of them (those forked
/// meanwhile too), then killed.
pub fn end_own_session() {
    let me = std::process::id();
    if !proc_is_ours() || session_of(me) != Some(me) {
        return;
    }
    let members = stopped_until_none_new(|| in_session(me, |_| true));
    kill_or_let_go(members, |pid| session_of(pid) == Some(me));
}

/// The processes of session `session`, other than this one, for which `keep` holds.
#[cfg(target_os = "linux")]
fn in_session(session: u32, keep: impl Fn(u32) -> bool) -> Vec<u32> {
    let me = std::process::id();
    let Ok(all) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    all.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|&pid| pid != me && session_of(pid) == Some(session) && keep(pid))
        .collect()
}

#[cfg(not(target_os = "linux"))]
fn in_session(_: u32, _: impl Fn(u32) -> bool) -> Vec<u32> {
    Vec::new()
}

/// Whether `pid`'s environment holds `entry` (only this user's processes can be read).
fn carries(pid: u32, entry: &str) -> bool {
    std::fs::read(format!("/proc/{pid}/environ"))
        .is_ok_and(|env| env.split(|b| *b == 0).any(|v| v == entry.as_bytes()))
}

/// The processes of this session, other than this one, whose environment holds `entry`.
fn marked_in_session(entry: &str) -> Vec<u32> {
    match session_of(std::process::id()) {
        Some(ours) => in_session(ours, |pid| carries(pid, entry)),
        None => Vec::new(),
    }
}

fn end(w: &Watched) {
    let ours = session_of(std::process::id());
    let Some(started) = thread_children(w.thread) else {
        return;
    };
    // A child this thread started is ours whatever session it moved to (`exec setsid helper`).
    let started: Vec<u32> = started
        .into_iter()
        .filter(|p| !w.before.contains(p) && ours.is_some())
        .collect();
    for pid in stopped_with_descendants(started, ours) {
        signal(pid, Sig::Kill);
    }
}

/// Stops the processes `tree` starts with and, below each stopped one, its children that are
/// in `session` or in a session one of those first processes leads (at most 1024 in all). A
/// stopped parent can neither start a child nor reap one, so every number listed stays its
/// process's (at worst a zombie) until the kill: no number is reused meanwhile.
fn stopped_with_descendants(mut tree: Vec<u32>, session: Option<u32>) -> Vec<u32> {
    let roots = tree.clone();
    let ours = |pid: u32| {
        let s = session_of(pid);
        s == session || s.is_some_and(|s| roots.contains(&s))
    };
    let mut i = 0;
    while i < tree.len() && tree.len() < 1024 {
        signal(tree[i], Sig::Stop);
        for pid in children_of(tree[i]) {
            if !tree.contains(&pid) && ours(pid) {
                tree.push(pid);
            }
        }
        i += 1;
    }
    tree
}

/// The calling thread's id (Linux: /proc/thread-self names PID/task/TID).
#[cfg(target_os = "linux")]
fn this_thread() -> Option<u32> {
    let link = std::fs::read_link("/proc/thread-self").ok()?;
    link.file_name()?.to_str()?.parse().ok()
}

#[cfg(not(target_os = "linux"))]
fn this_thread() -> Option<u32> {
    None
}

/// The children thread `tid` of this process started (`None` without the per-thread list).
#[cfg(target_os = "linux")]
fn thread_children(tid: u32) -> Option<Vec<u32>> {
    let text = std::fs::read_to_string(format!("/proc/{}/task/{tid}/children", std::process::id()))
        .ok()?;
    Some(
        text.split_whitespace()
            .filter_map(|p| p.parse().ok())
            .collect(),
    )
}

#[cfg(not(target_os = "linux"))]
fn thread_children(_: u32) -> Option<Vec<u32>> {
    None
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
    Cont,
    Kill,
}

#[cfg(unix)]
fn signal(pid: u32, sig: Sig) {
    use rustix::process::{Pid, Signal, kill_process};
    let sig = match sig {
        Sig::Stop => Signal::STOP,
        Sig::Cont => Signal::CONT,
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
    use std::time::Duration;

    /// `end_all_watched` ends what every watching thread of the process started: these tests
    /// take turns.
    static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

    /// Whether `pid` has ended (gone, or a zombie); a SIGKILL is delivered asynchronously, so
    /// this waits a moment for it.
    fn ended(pid: u32) -> bool {
        let state = || {
            let status = std::fs::read_to_string(format!("/proc/{pid}/status"));
            let status = status.unwrap_or_default();
            status
                .lines()
                .find(|l| l.starts_with("State:"))
                .map(str::to_string)
        };
        for _ in 0..200 {
            if state().is_none_or(|l| l.contains("zombie")) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        false
    }

    fn first_child(pid: u32) -> u32 {
        (0..300)
            .find_map(|_| {
                std::thread::sleep(Duration::from_millis(10));
                children_of(pid).first().copied()
            })
            .expect("the shell started its child")
    }

    // Only the processes this test's own thread starts are ended: other tests of this binary
    // run children at the same time, from other threads, and must be left alone.
    #[test]
    fn only_what_this_thread_started_is_ended_and_a_setsid_grandchild_is_left() {
        let _turn = ONE_AT_A_TIME.lock();
        // Another thread's child, that thread alive throughout (a thread that exits hands its
        // children to another thread of the process).
        let (tx, rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = std::sync::mpsc::channel::<()>();
        let other = std::thread::spawn(move || {
            let mut child = std::process::Command::new("sleep")
                .arg("30")
                .spawn()
                .unwrap();
            tx.send(child.id()).unwrap();
            let _ = stop_rx.recv();
            let _ = child.kill();
            let _ = child.wait();
        });
        let watch = Watch::start();
        let other_pid = rx.recv().unwrap();
        // A helper that starts a same-session child and a `setsid` one (a browser, an agent).
        let mut helper = std::process::Command::new("sh")
            .args(["-c", "sleep 30 & setsid sleep 31 & wait"])
            .spawn()
            .unwrap();
        // Both started, and the second has left the session.
        let ours = session_of(std::process::id());
        let (mut same, mut left) = (Vec::new(), Vec::new());
        for _ in 0..300 {
            (same, left) = children_of(helper.id())
                .into_iter()
                .partition(|p| session_of(*p) == ours);
            if (same.len(), left.len()) == (1, 1) {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        assert_eq!((same.len(), left.len()), (1, 1), "{same:?} {left:?}");
        watch.end_started();
        assert!(!helper.wait().unwrap().success(), "the helper was ended");
        assert!(ended(same[0]), "its same-session child was ended");
        assert!(!ended(left[0]), "the setsid grandchild was left");
        assert!(!ended(other_pid), "another thread's child was left");
        signal(left[0], Sig::Kill);
        stop_tx.send(()).unwrap();
        other.join().unwrap();
    }

    #[test]
    fn a_stopping_server_ends_what_its_waiting_threads_started() {
        let _turn = ONE_AT_A_TIME.lock();
        let (tx, rx) = std::sync::mpsc::channel();
        let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
        let waiting = std::thread::spawn(move || {
            let _watch = Watch::start();
            let mut helper = std::process::Command::new("sh")
                .args(["-c", "sleep 30; :"])
                .spawn()
                .unwrap();
            tx.send(helper.id()).unwrap();
            let _ = done_rx.recv();
            helper.wait().unwrap()
        });
        let helper = rx.recv().unwrap();
        let sleeper = first_child(helper);
        end_all_watched();
        assert!(ended(sleeper), "the helper's child was ended");
        done_tx.send(()).unwrap();
        assert!(!waiting.join().unwrap().success(), "the helper was ended");
    }
}
