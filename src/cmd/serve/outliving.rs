//! After `exec --server`'s command ends: which processes still carry the endpoint's token (a
//! job the command put in the background, a daemon it started). They keep calling a port that
//! no longer answers for us, and that another local user may now take and answer with
//! credentials of their own; the caller says so on stderr.
//!
//! Linux only (`/proc/PID/environ`, readable for one's own processes); elsewhere it finds none.
//! Never prints or returns the token, only process ids.

/// The ids of the processes, other than this one, whose environment holds `var=token`.
#[cfg(target_os = "linux")]
pub(super) fn holding(var: &str, token: &str) -> Vec<u32> {
    use std::io::Read;
    let needle = format!("{var}={token}");
    let me = std::process::id();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let mut found: Vec<u32> = entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| *pid != me)
        .filter(|pid| {
            let mut environ = Vec::new();
            std::fs::File::open(format!("/proc/{pid}/environ"))
                .and_then(|f| f.take(4 << 20).read_to_end(&mut environ))
                .is_ok()
                && environ
                    .split(|b| *b == 0)
                    .any(|entry| entry == needle.as_bytes())
        })
        .collect();
    found.sort_unstable();
    found
}

#[cfg(not(target_os = "linux"))]
pub(super) fn holding(_: &str, _: &str) -> Vec<u32> {
    Vec::new()
}
