//! Whether the D-Bus session bus the Secret Service would be reached on belongs to this user.
//!
//! An inherited `DBUS_SESSION_BUS_ADDRESS` (`su`, `sudo -E`) points at another user's bus: a
//! secret stored there is that user's to read. Only a Unix socket whose owner (and, for a path,
//! whose file's owner) is the effective user counts as ours; anything else is refused, never
//! guessed. It never connects to the bus beyond asking an abstract socket's peer.

use crate::env::Environment;

/// Why the session bus is not this user's, or `None` when it is.
pub fn not_ours(env: &Environment) -> Option<String> {
    #[cfg(unix)]
    {
        unix::not_ours(env)
    }
    #[cfg(not(unix))]
    {
        let _ = env;
        None
    }
}

#[cfg(unix)]
mod unix {
    use crate::env::Environment;
    use std::os::unix::fs::MetadataExt;

    pub fn not_ours(env: &Environment) -> Option<String> {
        let euid = rustix::process::geteuid().as_raw();
        let address = match env.get("DBUS_SESSION_BUS_ADDRESS") {
            Some(a) if !a.trim().is_empty() => a.trim().to_string(),
            _ => match env.get("XDG_RUNTIME_DIR") {
                Some(dir) if !dir.is_empty() => format!("unix:path={dir}/bus"),
                // No address: the Secret Service cannot be reached, and it says so itself.
                _ => return None,
            },
        };
        // The client tries the addresses in order; each must be ours.
        for one in address.split(';').filter(|a| !a.is_empty()) {
            if let Err(why) = check(one, euid) {
                return Some(why);
            }
        }
        None
    }

    fn check(address: &str, euid: u32) -> Result<(), String> {
        let Some(params) = address.strip_prefix("unix:") else {
            return Err(format!(
                "the session bus ({}) is not a Unix socket, so whose it is cannot be told",
                transport(address)
            ));
        };
        // The client keeps the last of a key given twice (and may read others): an address
        // that gives a socket twice, or in two ways, is refused rather than guessed at.
        let sockets = params
            .split(',')
            .filter(|kv| {
                ["path=", "abstract=", "dir=", "tmpdir=", "runtime="]
                    .iter()
                    .any(|k| kv.starts_with(k))
            })
            .count();
        if sockets > 1 {
            return Err("the session bus address names its socket more than once, so which one the client connects to cannot be told".into());
        }
        let value = |key: &str| {
            params
                .split(',')
                .find_map(|kv| kv.strip_prefix(key)?.strip_prefix('='))
        };
        if let Some(path) = value("path") {
            return path_owner(path, euid);
        }
        if let Some(name) = value("abstract") {
            return abstract_owner(name, euid);
        }
        Err("the session bus is a Unix socket given neither by path nor abstract name, so whose it is cannot be told".into())
    }

    fn path_owner(path: &str, euid: u32) -> Result<(), String> {
        let meta = match std::fs::symlink_metadata(path) {
            Ok(m) => m,
            // Nothing there: connecting fails and says so.
            Err(_) => return Ok(()),
        };
        if meta.uid() != euid {
            return Err(format!(
                "the session bus socket {path} belongs to uid {}, not to this user (uid {euid}); an inherited DBUS_SESSION_BUS_ADDRESS or XDG_RUNTIME_DIR (su, sudo -E) points at another user's keyring",
                meta.uid()
            ));
        }
        peer_of(std::os::unix::net::UnixStream::connect(path), path, euid)
    }

    fn abstract_owner(name: &str, euid: u32) -> Result<(), String> {
        #[cfg(any(target_os = "linux", target_os = "android"))]
        {
            use std::os::linux::net::SocketAddrExt;
            let addr = std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes())
                .map_err(|e| format!("the session bus address is malformed ({e})"))?;
            peer_of(
                std::os::unix::net::UnixStream::connect_addr(&addr),
                &format!("@{name}"),
                euid,
            )
        }
        #[cfg(not(any(target_os = "linux", target_os = "android")))]
        {
            let _ = (name, euid);
            Err("the session bus is an abstract socket, which this platform does not have".into())
        }
    }

    /// The uid of the process serving the socket, where the platform tells it.
    fn peer_of(
        stream: std::io::Result<std::os::unix::net::UnixStream>,
        shown: &str,
        euid: u32,
    ) -> Result<(), String> {
        // Not answering: the Secret Service probe says so in its own words.
        let Ok(stream) = stream else { return Ok(()) };
        #[cfg(any(target_os = "linux", target_os = "android"))]
        {
            use std::os::fd::AsRawFd;
            let mut cred = libc::ucred {
                pid: 0,
                uid: 0,
                gid: 0,
            };
            let mut len = std::mem::size_of::<libc::ucred>() as libc::socklen_t;
            // SAFETY: a valid socket, and a buffer of the size given.
            let rc = unsafe {
                libc::getsockopt(
                    stream.as_raw_fd(),
                    libc::SOL_SOCKET,
                    libc::SO_PEERCRED,
                    (&mut cred as *mut libc::ucred).cast(),
                    &mut len,
                )
            };
            if rc != 0 {
                return Err(format!(
                    "whose the session bus {shown} is cannot be told ({})",
                    std::io::Error::last_os_error()
                ));
            }
            if cred.uid != euid {
                return Err(format!(
                    "the session bus {shown} is served by uid {}, not by this user (uid {euid}); an inherited DBUS_SESSION_BUS_ADDRESS (su, sudo -E) points at another user's keyring",
                    cred.uid
                ));
            }
        }
        #[cfg(not(any(target_os = "linux", target_os = "android")))]
        let _ = (stream, shown, euid);
        Ok(())
    }

    fn transport(address: &str) -> &str {
        address.split(':').next().unwrap_or(address)
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn only_a_unix_socket_of_this_user_counts_as_ours() {
        let bus = |a: &str| not_ours(&Environment::from_pairs([("DBUS_SESSION_BUS_ADDRESS", a)]));
        let why = bus("tcp:host=127.0.0.1,port=1").unwrap();
        assert!(why.contains("(tcp) is not a Unix socket"), "{why}");
        assert!(bus("unix:tmpdir=/tmp").is_some());
        // Nothing there: the Secret Service probe says so itself.
        assert_eq!(bus("unix:path=/nonexistent/bus"), None);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bus");
        let _listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
        let ours = format!("unix:path={}", path.display());
        assert_eq!(bus(&ours), None, "our own socket, served by us");
        assert!(bus(&format!("{ours};tcp:host=127.0.0.1,port=1")).is_some());
        // zbus connects to the last `path=`: ours first, another user's second is refused.
        let why = bus(&format!("{ours},path=/run/user/65534/bus")).unwrap();
        assert!(why.contains("more than once"), "{why}");
    }
}
