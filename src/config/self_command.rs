//! How the config files name xacct-cred itself in a `credential_process` line (setup's role
//! profile, `keys add --write-profile`'s source profile): a path stable across upgrades,
//! quoted for both botocore's shlex and the SDKs' `sh -c`. Reads no config file.

use crate::disk::path_walk::refuse_paths_others_control_as_root;
use crate::env::Environment;
use crate::error::{Error, Result};
use std::path::{Path, PathBuf};

/// The path credential_process should run, stable across upgrades, and why it was chosen:
/// the `xacct-cred` found on PATH if it is this very file (e.g. Homebrew's bin/ link, which
/// survives `brew upgrade`), else the path this was run as, made absolute but not resolved
/// through links (a versioned Cellar/nix-store directory goes away on upgrade).
///
/// As root, a path is taken only if no other user controls it (`root_may_run`): root's profile
/// would run whatever that user puts there (a user's directory early on root's PATH after `su`
/// or `sudo -E`). Else the binary's own resolved path, if it passes; else it is refused (setup
/// and `keys add --write-profile` both come here, so the refusal names no command).
pub fn self_path(env: &Environment) -> Result<(PathBuf, &'static str)> {
    let exe = std::env::current_exe()
        .map_err(|e| Error::config(format!("could not find the path of xacct-cred itself: {e}")))?;
    let acceptable = |p: &Path| !running_as_root() || root_may_run(p);
    let on_path = env
        .get("PATH")
        .into_iter()
        .flat_map(std::env::split_paths)
        .find_map(|dir| {
            let candidate = dir.join(BINARY_NAME);
            (candidate.is_absolute() && same_file(&candidate, &exe)).then_some(candidate)
        });
    if let Some(p) = on_path.filter(|p| acceptable(p)) {
        return Ok((p, "the xacct-cred found on PATH, the same file as this one"));
    }
    let invoked = std::env::args_os()
        .next()
        .map(PathBuf::from)
        .filter(|p| p.components().count() > 1)
        .map(|p| {
            let absolute = std::path::absolute(&p).unwrap_or(p);
            absolute.components().collect::<PathBuf>()
        });
    if let Some(p) = invoked.filter(|p| acceptable(p)) {
        return Ok((
            p,
            "the path it was run as; no xacct-cred on PATH is this file",
        ));
    }
    if !running_as_root() {
        return Ok((exe, "this binary's own path"));
    }
    let resolved = std::fs::canonicalize(&exe).unwrap_or(exe);
    if root_may_run(&resolved) {
        return Ok((
            resolved,
            "this binary's own path, resolved: as root, the paths on PATH and as invoked pass through places another user controls",
        ));
    }
    Err(Error::config(format!(
        "as root, xacct-cred does not write a credential_process that another user could change: {} (or a directory on the way to it) is not root's alone",
        resolved.display()
    ))
    .hint("Install xacct-cred where only root can write (e.g. /usr/local/bin/xacct-cred, owned by root, mode 755) and run it from there, or run the command as the user whose config it is (sudo -u USER xacct-cred …). Nothing was changed."))
}

#[cfg(unix)]
pub fn running_as_root() -> bool {
    rustix::process::geteuid().is_root()
}

#[cfg(not(unix))]
pub fn running_as_root() -> bool {
    false
}

/// Whether root may write `program` into its own profile: the ownership walk setup applies to
/// the config path (every component and link root's, no directory others may write to on the
/// way), and the file itself no one else's to rewrite.
#[cfg(unix)]
fn root_may_run(program: &Path) -> bool {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    refuse_paths_others_control_as_root(program).is_ok()
        && std::fs::metadata(program)
            .is_ok_and(|m| m.is_file() && m.uid() == 0 && m.permissions().mode() & 0o022 == 0)
}

#[cfg(not(unix))]
fn root_may_run(_: &Path) -> bool {
    true
}

const BINARY_NAME: &str = if cfg!(windows) {
    "xacct-cred.exe"
} else {
    "xacct-cred"
};

/// Whether two paths name the same file (device and inode; links followed).
#[cfg(unix)]
fn same_file(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(a), Ok(b)) => a.is_file() && a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn same_file(a: &Path, b: &Path) -> bool {
    matches!((a.canonicalize(), b.canonicalize()), (Ok(a), Ok(b)) if a == b)
}

/// Bare when plainly safe, else in POSIX single quotes (`'` written as `'\''`): botocore splits
/// credential_process with shlex (POSIX rules) and the SDKs run it with `sh -c`, and both read
/// single quotes the same way, whatever the path holds (spaces, `$`, quotes, backslashes).
pub fn quoted(path: &Path) -> String {
    let s = path.display().to_string();
    let safe = |c: char| c.is_ascii_alphanumeric() || "/._+-@%:,=".contains(c);
    if !s.is_empty() && s.chars().all(safe) {
        s
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// The `credential_process` line that serves `profile`'s stored keys to the AWS CLI and SDKs
/// (`keys add --write-profile`, `setup --source-in-store`); `binary` already quoted.
pub fn keys_export_command(binary: &str, profile: &str) -> String {
    format!("{binary} keys export {profile}")
}

#[cfg(test)]
mod quoting_tests {
    use super::quoted;
    use std::path::Path;

    /// What `sh -c` and botocore's shlex split make of `credential_process = PATH --x`.
    #[test]
    fn the_path_written_reads_back_through_sh_and_shlex() {
        for path in [
            "/usr/local/bin/xacct-cred",
            "/Users/Jane Doe/bin/xacct-cred",
            "/opt/it's/$HOME/`x`/\\n\"q\"/xacct-cred",
        ] {
            let line = format!("{} --x", quoted(Path::new(path)));
            let sh = std::process::Command::new("sh")
                .arg("-c")
                .arg(format!("printf '%s\\n' {line}"))
                .output()
                .unwrap();
            let words: Vec<String> = String::from_utf8(sh.stdout)
                .unwrap()
                .lines()
                .map(str::to_string)
                .collect();
            assert_eq!(words, [path, "--x"], "sh: {line}");
            let py = std::process::Command::new("python3")
                .args([
                    "-c",
                    "import shlex,sys; print(shlex.split(sys.argv[1])[0])",
                    &line,
                ])
                .output()
                .unwrap();
            assert_eq!(
                String::from_utf8(py.stdout).unwrap().trim_end_matches('\n'),
                path,
                "shlex: {line}"
            );
        }
    }
}
