//! The path check made before writing a file another user must not be able to redirect: every
//! component, and every link met on the way, must be the writer's own or root's, so no other
//! user can move anything on the way. Root makes it before writing anything (setup, keys, the
//! file store, the cache, the token file, or reading a file another user could fill: setup's
//! credentials file); every user makes it for `serve --token-file`, whose clients keep the
//! address they were given. It reads metadata only; it never creates, writes or follows a path
//! in any other way.

use crate::error::Result;
use std::path::Path;

/// As root, xacct-cred touches `path` only if no other user can move anything on the way to it:
/// every component, and every symlink met (followed here, component by component), is root's;
/// a directory others may write to must be sticky (as /tmp) and must not be the one that holds,
/// or will hold, the file — there another user could plant the file or a link first; the file
/// itself must be writable by no one but root (its group only if that is gid 0). Otherwise
/// a user could swap in a link between setup's checks and its writes, or point one at a file of
/// their choosing, and have root write into it. Checked before anything is read or created.
/// The refusal names no command: setup, keys and the file store all come here.
pub fn refuse_paths_others_control_as_root(path: &Path) -> Result<()> {
    refuse_others_paths_as_root(
        path,
        "xacct-cred does not write",
        "Another user could redirect what root writes. Run the command as the user whose file it is (e.g. sudo -u USER xacct-cred …, or setpriv --reuid UID --regid GID --init-groups in a container). Nothing was changed.",
    )
}

/// The same check for any file root is about to write: `doing` says what is refused ("serve
/// does not write --token-file"), `hint` what to do instead. Other users pass unchecked.
pub fn refuse_others_paths_as_root(path: &Path, doing: &str, hint: &str) -> Result<()> {
    match euid() {
        0 => refuse_others_paths(path, doing, hint),
        _ => Ok(()),
    }
}

/// The check for every user: each component, and each link met, is this user's or root's; a
/// directory on the way that its group or others may write to is sticky (as /tmp), and not the
/// one that holds the file. Root trusts only root.
pub fn refuse_others_paths(path: &Path, doing: &str, hint: &str) -> Result<()> {
    checked(path, false, doing, hint)
}

/// As root, the check for a file root only reads (the AWS config files): the same, except that
/// an existing file may sit in a sticky directory others may write to (they can neither remove
/// nor replace it there), and a device of root's (/dev/null) is no one's writing.
pub fn refuse_others_reads_as_root(path: &Path, doing: &str, hint: &str) -> Result<()> {
    match euid() {
        0 => checked(path, true, doing, hint),
        _ => Ok(()),
    }
}

fn checked(path: &Path, reading: bool, doing: &str, hint: &str) -> Result<()> {
    use crate::error::Error;
    let me = euid();
    let who = if me == 0 { "as root, " } else { "" };
    walk(path, me, reading).map_err(|refusal| {
        let (at, why) = match refusal {
            Refusal::At(at, why) => (at.display().to_string(), why),
            Refusal::Unresolved(e) => {
                return Error::config(format!("could not resolve {}: {e}", path.display()))
                    .hint("Nothing was changed.");
            }
        };
        Error::config(format!("{who}{doing} {}: {at} {why}", path.display())).hint(hint)
    })
}

#[cfg(unix)]
fn euid() -> u32 {
    rustix::process::geteuid().as_raw()
}

#[cfg(not(unix))]
fn euid() -> u32 {
    0
}

/// Why a walk stopped: a component (and what is wrong with it), or a path that cannot be made
/// absolute.
#[cfg_attr(not(unix), allow(dead_code))]
enum Refusal {
    At(std::path::PathBuf, String),
    Unresolved(std::io::Error),
}

/// Walks `path` as `owner` would have it: components and links `owner`'s or root's. `reading`:
/// the file is only read, not written.
#[cfg(unix)]
fn walk(path: &Path, owner: u32, reading: bool) -> std::result::Result<(), Refusal> {
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
    use std::path::{Component, PathBuf};
    let refuse = |at: &Path, why: String| Err(Refusal::At(at.to_path_buf(), why));
    let trusted = |m: &std::fs::Metadata| m.uid() == 0 || m.uid() == owner;
    // The group bits too, whatever the group: who is in it cannot be told for sure (members
    // by primary group, groups sharing a gid, directories that do not list), and an ACL's mask
    // shows there.
    let others_write = |m: &std::fs::Metadata| m.permissions().mode() & 0o022 != 0;
    let sticky = |m: &std::fs::Metadata| m.permissions().mode() & 0o1000 != 0;
    let who_writes = |m: &std::fs::Metadata| match m.permissions().mode() & 0o002 {
        0 => format!("is writable by other users (its group, gid {})", m.gid()),
        _ => "is writable by other users".to_string(),
    };
    let absolute = std::path::absolute(path).map_err(Refusal::Unresolved)?;
    // Components still to walk, last first.
    let mut pending: Vec<std::ffi::OsString> = absolute
        .components()
        .rev()
        .map(|c| c.as_os_str().to_os_string())
        .collect();
    let mut current = PathBuf::from("/");
    // `current`'s metadata when the step that moved there read it already (a cache hit as root
    // walks two paths: each component is read once, not twice).
    let mut known: Option<std::fs::Metadata> = None;
    let mut hops = 0;
    while let Some(part) = pending.pop() {
        let here = match known.take() {
            Some(m) => m,
            None => match std::fs::symlink_metadata(&current) {
                Ok(m) => m,
                Err(_) => return refuse(&current, "cannot be read".into()),
            },
        };
        if !trusted(&here) {
            return refuse(&current, format!("is owned by uid {}", here.uid()));
        }
        let last = pending.is_empty();
        match Path::new(&part).components().next() {
            Some(Component::RootDir) => {
                current = PathBuf::from("/");
                continue;
            }
            Some(Component::CurDir) | None => continue,
            Some(Component::ParentDir) => {
                current.pop();
                continue;
            }
            _ => {}
        }
        // The directory that holds the file: others may not write there, even if sticky, when
        // the file is written (they could plant it, or a link, first). Read, an existing file of
        // root's or this user's in a sticky directory stays put (a Kubernetes secret volume,
        // /nix/store); a missing one is refused below.
        if others_write(&here) && (last && !reading || !sticky(&here)) {
            return refuse(&current, who_writes(&here));
        }
        let next = current.join(&part);
        match std::fs::symlink_metadata(&next) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                // Created by the writer from here on, in a directory only it may write to —
                // unless a `..` further on climbs out of what it creates into what it did not
                // check.
                if others_write(&here) {
                    return refuse(&current, who_writes(&here));
                }
                if pending.iter().any(|p| p == "..") {
                    return refuse(&next, "does not exist and a `..` follows it".into());
                }
                return Ok(());
            }
            Err(e) => return refuse(&next, format!("cannot be read: {e}")),
            Ok(m) if !trusted(&m) => {
                return refuse(&next, format!("is owned by uid {}", m.uid()));
            }
            Ok(m) if m.file_type().is_symlink() => {
                hops += 1;
                let target = match std::fs::read_link(&next) {
                    Ok(t) => t,
                    Err(e) => return refuse(&next, format!("is a link that cannot be read: {e}")),
                };
                if hops > 40 || target.as_os_str().as_bytes().is_empty() {
                    return refuse(&next, "is a link that does not resolve".into());
                }
                pending.extend(
                    target
                        .components()
                        .rev()
                        .map(|c| c.as_os_str().to_os_string()),
                );
            }
            // Read only: a device of root's (/dev/null as "no such file") holds nothing anyone
            // could have written there for root to read.
            Ok(m) if last && reading && m.uid() == 0 && m.file_type().is_char_device() => {
                return Ok(());
            }
            // The file itself: another group's or everyone's to rewrite is another user's.
            Ok(m) if last && m.permissions().mode() & 0o002 != 0 => {
                return refuse(&next, "is writable by other users".into());
            }
            Ok(m)
                if last
                    && m.permissions().mode() & 0o020 != 0
                    && (m.gid() != 0 || has_acl(&next)) =>
            {
                return refuse(
                    &next,
                    format!("is writable by its group (gid {}) or an ACL", m.gid()),
                );
            }
            // Read from a sticky directory others may write to: a second name would be a
            // hard link someone else made to root's file (where protected_hardlinks is off).
            Ok(m) if last && reading && others_write(&here) && m.nlink() != 1 => {
                return refuse(&next, format!("has {} links", m.nlink()));
            }
            Ok(_) if last => return Ok(()),
            Ok(m) => {
                current = next;
                known = Some(m);
            }
        }
    }
    Ok(())
}

/// Whether `path` carries an access ACL: its group bits are then the ACL's mask, and a named
/// user or group may write where they show gid 0's write bit.
#[cfg(target_os = "linux")]
fn has_acl(path: &Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let Ok(c_path) = std::ffi::CString::new(path.as_os_str().as_bytes()) else {
        return true;
    };
    // SAFETY: two NUL-terminated strings, and a null buffer of size 0 (a size query).
    let size = unsafe {
        libc::lgetxattr(
            c_path.as_ptr(),
            c"system.posix_acl_access".as_ptr(),
            std::ptr::null_mut(),
            0,
        )
    };
    size > 0
}

#[cfg(all(unix, not(target_os = "linux")))]
fn has_acl(_: &Path) -> bool {
    false
}

#[cfg(not(unix))]
fn walk(_: &Path, _: u32, _: bool) -> std::result::Result<(), Refusal> {
    Ok(())
}
