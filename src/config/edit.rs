//! Editing the user's config file as they keep it: sections found by their headers, every
//! other line (comments, blank lines, other sections, sub-properties) kept byte for byte, and
//! the file replaced atomically after a backup, with its mode, at the end of its symlinks.
//!
//! It never decides *what* to write (that is `setup`'s job) and never parses values beyond
//! finding `key = value` at the top level of a section.

use crate::error::{Error, Result};
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

/// `[default]` or `[profile NAME]`: how a profile's section header is written in the config file.
pub fn header(profile: &str) -> String {
    if profile == "default" {
        "default".into()
    } else {
        format!("profile {profile}")
    }
}

/// Where [`write_with_backup`] wrote.
#[derive(Debug)]
pub struct Written {
    /// The file replaced: `path` itself, or the end of its symlink chain.
    pub target: PathBuf,
    pub backup: Option<PathBuf>,
}

/// Writes `text` to the file `path` names, after backing up `original` beside it, the way
/// users keep their files: a symlink (stow, chezmoi, home-manager) is followed to its target,
/// which is replaced atomically while the link stays; the new file, the backup and the temp
/// file all get the target's mode (0600 for a new file), set when each is created, before any
/// byte is written. The temp file is created exclusively in the target's directory. A target
/// with other hard links or bind-mounted into place is rewritten in place instead.
pub fn write_with_backup(path: &Path, original: &str, text: &str) -> Result<Written> {
    write_file(path, Some(original), text)
}

/// As [`write_with_backup`], without a backup: for a file whose old content must not survive
/// on disk (`keys import` removes the secret from it).
pub fn replace_without_backup(path: &Path, text: &str) -> Result<Written> {
    write_file(path, None, text)
}

fn write_file(path: &Path, original: Option<&str>, text: &str) -> Result<Written> {
    let target = follow_links(path).map_err(|e| {
        Error::config(format!(
            "could not follow the symlink {}: {e}",
            path.display()
        ))
        .hint("Fix or remove the link; nothing was changed.")
    })?;
    let fail = |e: std::io::Error| {
        Error::config(format!("could not write {}: {e}", target.display()))
            .hint("Check the file's and its directory's permissions; nothing was changed.")
    };
    let dir = target
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    refuse_paths_others_control_as_root(path)?;
    std::fs::create_dir_all(dir).map_err(fail)?;
    let existing = std::fs::metadata(&target).ok();
    let mode = existing.as_ref().map_or(NEW_FILE_MODE, mode_of);
    let name = target
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("config")
        .to_string();
    let backup = match (&existing, original) {
        (Some(_), Some(original)) => {
            let stamp = time::OffsetDateTime::now_utc().unix_timestamp();
            let (file, backup) =
                create_unique(dir, &format!("{name}.bak-{stamp}"), mode).map_err(fail)?;
            fill(file, original).map_err(fail)?;
            Some(backup)
        }
        _ => None,
    };
    // A file with other hard links, or one bind-mounted into place (a container's
    // `-v ~/.aws/config:…`, where rename fails with EBUSY), must keep its inode: it is
    // rewritten in place (the backup is already on disk). Everything else is replaced atomically.
    let in_place = |existing: &std::fs::Metadata| {
        overwrite(&target, existing, text).map_err(|e| {
            Error::config(format!(
                "could not rewrite {} in place: {e}",
                target.display()
            ))
            .hint(match &backup {
                Some(b) => format!("Its previous content is in {}.", b.display()),
                None => "Nothing was changed.".to_string(),
            })
        })
    };
    if let Some(meta) = existing.as_ref().filter(|m| has_other_links(m)) {
        in_place(meta)?;
        return Ok(Written { target, backup });
    }
    let (file, tmp) = create_unique(dir, &format!(".{name}.xacct-cred-tmp"), mode).map_err(fail)?;
    let written = fill(file, text).and_then(|()| std::fs::rename(&tmp, &target));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        let pinned = matches!(
            e.kind(),
            std::io::ErrorKind::ResourceBusy | std::io::ErrorKind::CrossesDevices
        );
        match &existing {
            Some(meta) if pinned => in_place(meta)?,
            _ => return Err(fail(e)),
        }
    }
    Ok(Written { target, backup })
}

/// Rewrites the file at `path` itself (same inode, links, mode and owner) — only if it is still
/// the file `seen` describes, opened without following a symlink: nothing swapped in since.
fn overwrite(path: &Path, seen: &std::fs::Metadata, text: &str) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(
        &mut options,
        libc::O_NOFOLLOW | libc::O_NONBLOCK,
    );
    let file = options.open(path)?;
    let opened = file.metadata()?;
    if !opened.is_file() || !same_file(&opened, seen) {
        return Err(std::io::Error::other(
            "it is not the regular file first seen (replaced while setup ran?)",
        ));
    }
    file.set_len(0)?;
    fill(file, text)
}

#[cfg(unix)]
fn same_file(a: &std::fs::Metadata, b: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    (a.dev(), a.ino()) == (b.dev(), b.ino())
}

#[cfg(not(unix))]
fn same_file(_: &std::fs::Metadata, _: &std::fs::Metadata) -> bool {
    true
}

#[cfg(unix)]
fn has_other_links(meta: &std::fs::Metadata) -> bool {
    std::os::unix::fs::MetadataExt::nlink(meta) > 1
}

#[cfg(not(unix))]
fn has_other_links(_: &std::fs::Metadata) -> bool {
    false
}

/// As root, setup touches `path` only if no other user can move anything on the way to it:
/// every component, and every symlink met (followed here, component by component), is root's;
/// a directory others may write to must be sticky (as /tmp) and must not be the one that holds,
/// or will hold, the file — there another user could plant the file or a link first. Otherwise
/// a user could swap in a link between setup's checks and its writes, or point one at a file of
/// their choosing, and have root write into it. Checked before anything is read or created.
#[cfg(unix)]
pub fn refuse_paths_others_control_as_root(path: &Path) -> Result<()> {
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    use std::path::Component;
    if !rustix::process::geteuid().is_root() {
        return Ok(());
    }
    let refuse = |at: &Path, why: String| {
        Err(Error::config(format!(
            "as root, setup does not edit {}: {} {why}",
            path.display(),
            at.display()
        ))
        .hint("Another user could redirect what root writes. Run setup as the user whose config it is (e.g. sudo -u USER xacct-cred setup …, or setpriv --reuid UID --regid GID --init-groups in a container). Nothing was changed."))
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
                // Created by root from here on, in a directory only root may write to.
                if others_write(&here) {
                    return refuse(&current, "is writable by other users".into());
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
            Ok(_) if last => return Ok(()),
            Ok(_) => current = next,
        }
    }
    Ok(())
}
#[cfg(not(unix))]
pub fn refuse_paths_others_control_as_root(_: &Path) -> Result<()> {
    Ok(())
}

/// The mode of a file that does not exist yet: the config holds no secret itself, but its
/// neighbour does and `aws configure` makes both 0600.
const NEW_FILE_MODE: u32 = 0o600;

#[cfg(unix)]
fn mode_of(meta: &std::fs::Metadata) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o7777
}

#[cfg(not(unix))]
fn mode_of(_: &std::fs::Metadata) -> u32 {
    NEW_FILE_MODE
}

/// `dir/name`, or `dir/name.N` if that exists, created exclusively with `mode` (then set
/// exactly, so a umask can only have narrowed it in between, never widened it).
fn create_unique(dir: &Path, name: &str, mode: u32) -> std::io::Result<(File, PathBuf)> {
    let mut n = 0;
    loop {
        let path = match n {
            0 => dir.join(name),
            _ => dir.join(format!("{name}.{n}")),
        };
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, mode);
        match options.open(&path) {
            Ok(file) => {
                #[cfg(unix)]
                {
                    use std::os::unix::fs::PermissionsExt;
                    file.set_permissions(std::fs::Permissions::from_mode(mode))?;
                }
                #[cfg(not(unix))]
                let _ = mode;
                return Ok((file, path));
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && n < 100 => n += 1,
            Err(e) => return Err(e),
        }
    }
}

fn fill(mut file: File, text: &str) -> std::io::Result<()> {
    file.write_all(text.as_bytes())?;
    file.sync_all()
}

/// The end of `path`'s symlink chain (relative links resolved against the link's directory);
/// `path` itself if it is not a link. The target need not exist yet.
fn follow_links(path: &Path) -> std::io::Result<PathBuf> {
    let mut current = path.to_path_buf();
    for _ in 0..40 {
        match std::fs::symlink_metadata(&current) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let link = std::fs::read_link(&current)?;
                current = match current.parent() {
                    Some(dir) if link.is_relative() => dir.join(link),
                    _ => link,
                };
            }
            _ => return Ok(current),
        }
    }
    Err(std::io::Error::other("too many levels of symbolic links"))
}

/// The config file as lines, edited in place: sections found by their headers, everything else
/// (comments, blank lines, other sections, sub-properties) kept byte for byte.
pub struct ConfigText {
    /// Split at each `\n` only, so a CRLF file's lines keep their `\r`.
    lines: Vec<String>,
    /// What new lines end with: `\r` when the file's first line does (a CRLF file).
    cr: &'static str,
}

impl ConfigText {
    pub fn new(text: &str) -> Self {
        let body = text.strip_suffix('\n').unwrap_or(text);
        ConfigText {
            lines: match body {
                "" => Vec::new(),
                b => b.split('\n').map(str::to_string).collect(),
            },
            cr: if text.split('\n').next().is_some_and(|l| l.ends_with('\r')) {
                "\r"
            } else {
                ""
            },
        }
    }

    pub fn text(&self) -> String {
        let mut t = self.lines.join("\n");
        t.push('\n');
        t
    }

    fn section_name(line: &str) -> Option<String> {
        let l = line.trim();
        let inner = l.strip_prefix('[')?.split(']').next()?.trim();
        let name = inner
            .strip_prefix("profile")
            .filter(|rest| rest.starts_with(char::is_whitespace))
            .map(str::trim)
            .unwrap_or(inner);
        Some(name.to_string())
    }

    /// Lines [start, end) of a profile's section, trailing blank and comment lines excluded.
    fn span(&self, profile: &str) -> Option<(usize, usize)> {
        let start = self
            .lines
            .iter()
            .position(|l| Self::section_name(l).as_deref() == Some(profile))?;
        let mut end = self.lines[start + 1..]
            .iter()
            .position(|l| Self::section_name(l).is_some())
            .map_or(self.lines.len(), |i| start + 1 + i);
        while end > start + 1 && {
            let t = self.lines[end - 1].trim();
            t.is_empty() || t.starts_with('#') || t.starts_with(';')
        } {
            end -= 1;
        }
        Some((start, end))
    }

    /// The section's top-level `key = value` pairs.
    pub fn keys(&self, profile: &str) -> Option<Vec<(String, String)>> {
        let (start, end) = self.span(profile)?;
        Some(
            self.lines[start + 1..end]
                .iter()
                .filter(|l| !l.starts_with(char::is_whitespace))
                .filter_map(|l| {
                    let (k, v) = l.split_once('=')?;
                    let k = k.trim();
                    (!k.is_empty() && !k.starts_with('#') && !k.starts_with(';'))
                        .then(|| (k.to_string(), v.trim().to_string()))
                })
                .collect(),
        )
    }

    fn stanza(&self, profile: &str, keys: &[(String, String)]) -> Vec<String> {
        let cr = self.cr;
        let mut v = vec![format!("[{}]{cr}", header(profile))];
        v.extend(keys.iter().map(|(k, val)| format!("{k} = {val}{cr}")));
        v
    }

    /// Adds the section at the end, after a blank line; the file's own lines all stay,
    /// trailing blank ones included.
    pub fn append(&mut self, profile: &str, keys: &[(String, String)]) {
        if self.lines.last().is_some_and(|l| !l.trim().is_empty()) {
            self.lines.push(self.cr.to_string());
        }
        let stanza = self.stanza(profile, keys);
        self.lines.extend(stanza);
    }

    pub fn replace(&mut self, profile: &str, keys: &[(String, String)]) {
        if let Some((start, end)) = self.span(profile) {
            let stanza = self.stanza(profile, keys);
            self.lines.splice(start..end, stanza);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "# my settings\n[default]\nregion = eu-west-1 # home\n\n[profile dev]\nregion = us-east-1\ns3 =\n  addressing_style = path\n\n# the next one is old\n[profile old]\nrole_arn = x\n";

    /// Found by the setup property test (src/fuzzing/props.rs): a CRLF file came back with LF
    /// line ends throughout, and trailing blank lines were dropped.
    #[test]
    fn a_crlf_file_keeps_its_line_ends_and_its_trailing_blank_lines() {
        let mut f = ConfigText::new("[default]\r\nregion = eu-west-1\r\n\r\n\r\n");
        f.append("new", &[("a".into(), "1".into())]);
        assert_eq!(
            f.text(),
            "[default]\r\nregion = eu-west-1\r\n\r\n\r\n[profile new]\r\na = 1\r\n"
        );
        let mut f = ConfigText::new("[default]\nregion = x\n\n\n");
        f.append("new", &[("a".into(), "1".into())]);
        assert_eq!(
            f.text(),
            "[default]\nregion = x\n\n\n[profile new]\na = 1\n"
        );
    }

    #[test]
    fn finds_sections_and_keys_and_keeps_everything_else() {
        let mut f = ConfigText::new(FILE);
        assert_eq!(
            f.keys("dev").unwrap(),
            vec![
                ("region".to_string(), "us-east-1".to_string()),
                ("s3".to_string(), String::new())
            ]
        );
        assert!(f.keys("nope").is_none());
        f.append("new", &[("a".into(), "1".into())]);
        assert!(f.text().starts_with(FILE.trim_end()));
        assert!(f.text().ends_with("\n\n[profile new]\na = 1\n"));
        f.replace("old", &[("role_arn".into(), "y".into())]);
        assert!(
            f.text()
                .contains("# the next one is old\n[profile old]\nrole_arn = y\n")
        );
        f.replace("dev", &[("region".into(), "ap-south-1".into())]);
        assert!(
            f.text()
                .contains("[profile dev]\nregion = ap-south-1\n\n# the next one is old"),
            "{}",
            f.text()
        );
    }

    #[cfg(unix)]
    #[test]
    fn new_files_have_their_mode_before_any_byte_is_written() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        for mode in [0o600, 0o640, 0o644] {
            let (file, path) = create_unique(dir.path(), "f", mode).unwrap();
            let meta = file.metadata().unwrap();
            assert_eq!((meta.len(), meta.permissions().mode() & 0o7777), (0, mode));
            drop(file);
            std::fs::remove_file(path).unwrap();
        }
        let (_a, first) = create_unique(dir.path(), "g", 0o600).unwrap();
        let (_b, second) = create_unique(dir.path(), "g", 0o600).unwrap();
        assert_ne!(first, second, "an existing file is never reused");
    }

    #[cfg(unix)]
    #[test]
    fn symlink_chains_are_followed_to_a_target_that_need_not_exist() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::os::unix::fs::symlink("b", d.join("a")).unwrap();
        std::os::unix::fs::symlink(d.join("sub/c"), d.join("b")).unwrap();
        assert_eq!(follow_links(&d.join("a")).unwrap(), d.join("sub/c"));
        assert_eq!(follow_links(&d.join("plain")).unwrap(), d.join("plain"));
        std::os::unix::fs::symlink("loop", d.join("loop")).unwrap();
        assert!(follow_links(&d.join("loop")).is_err());
    }
}
