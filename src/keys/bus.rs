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
        // Exactly the string the client reads: no trimming, no splitting (zbus takes a path up
        // to the next comma, blanks and semicolons included).
        let address = match env.get("DBUS_SESSION_BUS_ADDRESS") {
            Some(a) => a.to_string(),
            _ => match env.get("XDG_RUNTIME_DIR") {
                Some(dir) => format!("unix:path={dir}/bus"),
                // No address: the Secret Service cannot be reached, and it says so itself.
                _ => return None,
            },
        };
        check(&address, euid).err()
    }

    /// Only `unix:path=P` or `unix:abstract=N`, with nothing but a `guid=` beside it: any other
    /// form (several addresses, several sockets, other keys, blanks) could be read by the client
    /// otherwise than here, and is refused rather than guessed at.
    fn check(address: &str, euid: u32) -> Result<(), String> {
        let Some(params) = address.strip_prefix("unix:") else {
            return Err(format!(
                "the session bus ({}) is not a Unix socket, so whose it is cannot be told",
                transport(address)
            ));
        };
        let odd = || {
            Err("the session bus address is not of the plain form unix:path=PATH or unix:abstract=NAME (with at most a guid), so which socket the client connects to cannot be told".to_string())
        };
        if address.contains(|c: char| c == ';' || c.is_whitespace()) {
            return odd();
        }
        let mut socket = None;
        for kv in params.split(',') {
            match kv.split_once('=') {
                Some(("guid", _)) => {}
                Some((key @ ("path" | "abstract"), value)) if socket.is_none() => {
                    socket = Some((key, value))
                }
                _ => return odd(),
            }
        }
        match socket {
            Some(("path", path)) => path_owner(path, euid),
            Some((_, name)) => abstract_owner(name, euid),
            None => odd(),
        }
    }

    fn path_owner(path: &str, euid: u32) -> Result<(), String> {
        // The client connects by this same path later: nothing on the way may be changed by
        // another user meanwhile — no link anywhere, every directory this user's or root's and
        // not writable by others unless sticky.
        let mut here = std::path::PathBuf::from("/");
        let parts = std::path::Path::new(path);
        if !parts.is_absolute() {
            return Err(format!("the session bus path {path} is not absolute"));
        }
        for part in parts
            .parent()
            .into_iter()
            .flat_map(|p| p.components())
            .skip(1)
        {
            here.push(part);
            let m = std::fs::symlink_metadata(&here)
                .map_err(|e| format!("there is no session bus at {path} ({e})"))?;
            // The group bits too: a group another user is in, or an ACL (its mask shows there),
            // lets them rename entries here.
            let others_write = m.mode() & 0o022 != 0 && m.mode() & 0o1000 == 0;
            if m.file_type().is_symlink()
                || !m.is_dir()
                || (m.uid() != euid && m.uid() != 0)
                || others_write
            {
                return Err(format!(
                    "the way to the session bus socket {path} goes through {}, which another user could change (a link, not yours or root's, or writable by its group or others); an inherited DBUS_SESSION_BUS_ADDRESS (su, sudo -E) may point at another user's keyring",
                    here.display()
                ));
            }
        }
        // Nothing there is refused too: another user could put a socket there after this look.
        let meta = std::fs::symlink_metadata(path)
            .map_err(|e| format!("there is no session bus at {path} ({e})"))?;
        if !std::os::unix::fs::FileTypeExt::is_socket(&meta.file_type()) {
            return Err(format!("the session bus path {path} is not a socket"));
        }
        if meta.uid() != euid {
            return Err(format!(
                "the session bus socket {path} belongs to uid {}, not to this user (uid {euid}); an inherited DBUS_SESSION_BUS_ADDRESS or XDG_RUNTIME_DIR (su, sudo -E) points at another user's keyring",
                meta.uid()
            ));
        }
        peer_of(connect_without_waiting(path.as_bytes()), path, euid)
    }

    /// Connects without waiting: a listener that never accepts, its queue filled (another user
    /// squatting an abstract name, or a stale bus), is "does not answer", never a hang of every
    /// call that looks for the store. Where it cannot be done so, a plain connect.
    #[cfg(any(target_os = "linux", target_os = "android"))]
    fn connect_without_waiting(address: &[u8]) -> std::io::Result<std::os::unix::net::UnixStream> {
        use std::os::fd::FromRawFd;
        // SAFETY: socket(2) with constant arguments; the descriptor it returns is owned by the
        // stream made from it, and by nothing else.
        let stream = unsafe {
            let fd = libc::socket(
                libc::AF_UNIX,
                libc::SOCK_STREAM | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
                0,
            );
            if fd < 0 {
                return Err(std::io::Error::last_os_error());
            }
            std::os::unix::net::UnixStream::from_raw_fd(fd)
        };
        // SAFETY: an all-zero sockaddr_un is a valid value of it.
        let mut sa: libc::sockaddr_un = unsafe { std::mem::zeroed() };
        sa.sun_family = libc::AF_UNIX as libc::sa_family_t;
        if address.len() >= sa.sun_path.len() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "the socket address is too long",
            ));
        }
        for (to, from) in sa.sun_path.iter_mut().zip(address) {
            *to = *from as libc::c_char;
        }
        let len = std::mem::offset_of!(libc::sockaddr_un, sun_path) + address.len();
        // A full queue may be a passing burst (others may connect to an abstract name too):
        // asked again for a second before it counts as not answering.
        let mut tries = 0;
        loop {
            // SAFETY: a valid socket, and an address of the length given.
            let rc = unsafe {
                libc::connect(
                    std::os::fd::AsRawFd::as_raw_fd(&stream),
                    (&sa as *const libc::sockaddr_un).cast(),
                    len as libc::socklen_t,
                )
            };
            if rc == 0 {
                return Ok(stream);
            }
            let e = std::io::Error::last_os_error();
            if e.raw_os_error() != Some(libc::EAGAIN) || tries == 20 {
                return Err(e);
            }
            tries += 1;
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }

    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    fn connect_without_waiting(address: &[u8]) -> std::io::Result<std::os::unix::net::UnixStream> {
        use std::os::unix::ffi::OsStrExt;
        std::os::unix::net::UnixStream::connect(std::ffi::OsStr::from_bytes(address))
    }

    fn abstract_owner(name: &str, euid: u32) -> Result<(), String> {
        #[cfg(any(target_os = "linux", target_os = "android"))]
        {
            // An abstract name is a NUL byte and the name, no NUL after it.
            let address: Vec<u8> = std::iter::once(0).chain(name.bytes()).collect();
            peer_of(connect_without_waiting(&address), &format!("@{name}"), euid)
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
        // Not answering is refused: another user could start answering after this look.
        let stream =
            stream.map_err(|e| format!("the session bus {shown} does not answer ({e})"))?;
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
        // Nothing there: refused (a socket could appear there after the look).
        assert!(bus("unix:path=/nonexistent/bus").is_some());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bus");
        let _listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
        let ours = format!("unix:path={}", path.display());
        assert_eq!(bus(&ours), None, "our own socket, served by us");
        assert!(bus(&format!("{ours};tcp:host=127.0.0.1,port=1")).is_some());
        // zbus connects to the last `path=`, and reads a path to the next comma, blanks and
        // semicolons included: none of these forms is taken for ours.
        for odd in [
            format!("{ours},path=/run/user/65534/bus"),
            format!("{ours} "),
            format!("{ours};"),
            format!("{ours},abstract=x"),
            format!("{ours},noncefile=/x"),
        ] {
            let why = bus(&odd).unwrap_or_default();
            assert!(why.contains("plain form"), "{odd}: {why}");
        }
        assert_eq!(bus(&format!("{ours},guid=0123abcd")), None);
        // The same socket through a link on the way: the link could be flipped between this
        // look and the client's connect.
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(dir.path(), &link).unwrap();
        let why = bus(&format!("unix:path={}/bus", link.display())).unwrap_or_default();
        assert!(why.contains("could change"), "{why}");
        // A directory on the way that its group may write to: a member could rename entries.
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o770)).unwrap();
        let why = bus(&ours).unwrap_or_default();
        assert!(why.contains("could change"), "{why}");
    }

    /// A listener that never accepts, its queue full (another user squatting an abstract name,
    /// or a stale bus): refused at once; the look at it hung every call that looked for a store.
    #[cfg(target_os = "linux")]
    #[test]
    fn a_bus_that_never_accepts_is_refused_without_waiting() {
        use std::os::fd::AsRawFd;
        use std::os::linux::net::SocketAddrExt;
        let name = format!("xacct-cred-test-{}", std::process::id());
        let addr = std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes()).unwrap();
        let listener = std::os::unix::net::UnixListener::bind_addr(&addr).unwrap();
        // SAFETY: listen(2) again on a bound listening socket only changes its queue's length.
        assert_eq!(unsafe { libc::listen(listener.as_raw_fd(), 0) }, 0);
        let _pending = std::os::unix::net::UnixStream::connect_addr(&addr).unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let address = format!("unix:abstract={name}");
        std::thread::spawn(move || {
            let _ = tx.send(not_ours(&Environment::from_pairs([(
                "DBUS_SESSION_BUS_ADDRESS",
                address.as_str(),
            )])));
        });
        let why = rx
            .recv_timeout(std::time::Duration::from_secs(5))
            .expect("the look at the bus waited on a listener that never accepts")
            .unwrap_or_default();
        assert!(why.contains("does not answer"), "{why}");
        drop(listener);
    }
}
