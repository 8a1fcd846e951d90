//! After `exec --server`'s command ends: which processes still carry the endpoint's token (a
//! job the command put in the background, a daemon it started). They keep calling a port that
//! no longer answers for us, and that another local user may now take and answer with
//! credentials of their own; the caller says so on stderr.
//!
//! Linux only (`/proc/PID/environ`, readable for one's own processes); elsewhere it finds none.
//! Never prints or returns the token, only process ids.

/// The ids of the processes, other than this one, whose environment holds `var=token`.
///
/// A process in the middle of `execve` (a job just started, on a loaded machine) shows an empty
/// environment for a moment; such processes — with an empty environment yet an executable, so
/// not kernel threads — are looked at once more after a short pause.
#[cfg(target_os = "linux")]
pub(super) fn holding(var: &str, token: &str) -> Vec<u32> {
    let needle = format!("{var}={token}");
    let me = std::process::id();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let (mut found, mut unsure) = (Vec::new(), Vec::new());
    for pid in entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| *pid != me)
    {
        match environ(pid) {
            Some(env) if holds(&env, &needle) => found.push(pid),
            Some(env)
                if env.is_empty() && std::fs::read_link(format!("/proc/{pid}/exe")).is_ok() =>
            {
                unsure.push(pid)
            }
            _ => {}
        }
    }
    if !unsure.is_empty() {
        std::thread::sleep(std::time::Duration::from_millis(50));
        found.extend(
            unsure
                .into_iter()
                .filter(|pid| environ(*pid).is_some_and(|env| holds(&env, &needle))),
        );
    }
    found.sort_unstable();
    found
}

#[cfg(target_os = "linux")]
fn environ(pid: u32) -> Option<Vec<u8>> {
    use std::io::Read;
    let mut environ = Vec::new();
    std::fs::File::open(format!("/proc/{pid}/environ"))
        .and_then(|f| f.take(4 << 20).read_to_end(&mut environ))
        .ok()?;
    Some(environ)
}

#[cfg(target_os = "linux")]
fn holds(environ: &[u8], needle: &str) -> bool {
    environ
        .split(|b| *b == 0)
        .any(|entry| entry == needle.as_bytes())
}

#[cfg(not(target_os = "linux"))]
pub(super) fn holding(_: &str, _: &str) -> Vec<u32> {
    Vec::new()
}
