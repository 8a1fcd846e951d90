//! The path check root makes before writing a file (setup, keys, the file store, the token
//! file), or reading one another user could fill (setup's credentials file): every component, and every link met on the way, must be root's, so no other user can
//! redirect what root writes. It reads metadata only; it never creates, writes or follows a
//! path in any other way.

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
/// does not write --token-file"), `hint` what to do instead.
#[cfg(unix)]
pub fn refuse_others_paths_as_root(path: &Path, doing: &str, hint: &str) -> Result<()> {
    use crate::error::Error;
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    use std::path::{Component, PathBuf};
    if !rustix::process::geteuid().is_root() {
        return Ok(());
    }
    let refuse = |at: &Path, why: String| {
        Err(Error::config(format!(
            "as root, {doing} {}: {} {why}",
            path.display(),
            at.display()
        ))
        .hint(hint))
    };
    let others_write = |m: &std::fs::Metadata| m.permissions().mode() & 0o022 != 0;
    let sticky = |m: &std::fs::Metadata| m.permissions().mode() & 0o1000 != 0;
    let absolute = std::path::absolute(path).map_err(|e| {
        Error::config(format!("could not resolve {}: {e}", path.display()))
            .hint("Nothing was changed.")
    })?;
    // Components still to walk, last first.
    let mut pending: Vec<std::ffi::OsString> = absolute
        .components()
        .rev()
        .map(|c| c.as_os_str().to_os_string())
        .collect();
    let mut current = PathBuf::from("/");
    let mut hops = 0;
    while let Some(part) = pending.pop() {
        let here = std::fs::symlink_metadata(&current);
        let Ok(here) = here else {
            return refuse(&current, "cannot be read".into());
        };
        if here.uid() != 0 {
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
        if others_write(&here) && (last || !sticky(&here)) {
            return refuse(&current, "is writable by other users".into());
        }
        let next = current.join(&part);
        match std::fs::symlink_metadata(&next) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                // Created by root from here on, in a directory only root may write to — unless
                // a `..` further on climbs out of what root creates into what it did not check.
                if others_write(&here) {
                    return refuse(&current, "is writable by other users".into());
                }
                if pending.iter().any(|p| p == "..") {
                    return refuse(&next, "does not exist and a `..` follows it".into());
                }
                return Ok(());
            }
            Err(e) => return refuse(&next, format!("cannot be read: {e}")),
            Ok(m) if m.uid() != 0 => {
                return refuse(&next, format!("is owned by uid {}", m.uid()));
            }
            Ok(m) if m.file_type().is_symlink() => {
                hops += 1;
                let target = std::fs::read_link(&next).map_err(|e| {
                    Error::config(format!("could not read the link {}: {e}", next.display()))
                })?;
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
            // The file itself: another group's or everyone's to rewrite is another user's.
            Ok(m) if last && m.permissions().mode() & 0o002 != 0 => {
                return refuse(&next, "is writable by other users".into());
            }
            Ok(m) if last && m.permissions().mode() & 0o020 != 0 && m.gid() != 0 => {
                return refuse(&next, format!("is writable by its group (gid {})", m.gid()));
            }
            Ok(_) if last => return Ok(()),
            Ok(_) => current = next,
        }
    }
    Ok(())
}
#[cfg(not(unix))]
pub fn refuse_others_paths_as_root(_: &Path, _: &str, _: &str) -> Result<()> {
    Ok(())
}
