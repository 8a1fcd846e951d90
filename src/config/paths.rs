//! Where the shared AWS config and credentials files are, as the SDKs find them (the
//! environment variables, `~` expanded), and whether a command may write there. Reads no file.

use crate::env::Environment;
use crate::error::{Error, Result};
use std::path::{Component, Path, PathBuf};

/// Where the SDKs look for the two files: `AWS_CONFIG_FILE` / `AWS_SHARED_CREDENTIALS_FILE`
/// or `~/.aws/…`, with a leading `~` expanded to the home directory as aws-runtime does (the
/// loader resolves them the same way; setup edits the file this names).
pub fn file_paths(env: &Environment) -> (PathBuf, PathBuf) {
    let path = |var: &str, default: &str| expand_home(env.get(var).unwrap_or(default), env.home());
    (
        path("AWS_CONFIG_FILE", "~/.aws/config"),
        path("AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials"),
    )
}

/// [`file_paths`] for a command that writes them (setup, keys): refused while one still starts
/// with `~` for want of a home directory, where a write would make a `./~` directory and the
/// AWS CLI (which asks the password database) would look elsewhere.
pub fn file_paths_to_edit(env: &Environment) -> Result<(PathBuf, PathBuf)> {
    let (config, credentials) = file_paths(env);
    for path in [&config, &credentials] {
        if path.components().next() == Some(Component::Normal("~".as_ref())) {
            return Err(Error::config(format!(
                "{} names the home directory, and HOME is not set; nothing was changed",
                path.display()
            ))
            .hint("Set HOME (e.g. HOME=/root), or point AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE at absolute paths."));
        }
    }
    Ok((config, credentials))
}

/// `~` or `~/rest` → HOME/rest (any separator after `~`); anything else as written. With no
/// home directory the path stays as written, as in aws-runtime.
fn expand_home(path: &str, home: Option<&str>) -> PathBuf {
    let mut parts = Path::new(path).components();
    match (parts.next(), home) {
        (Some(Component::Normal(first)), Some(home)) if first == "~" => {
            let mut out = PathBuf::from(home);
            out.extend(parts);
            out
        }
        _ => PathBuf::from(path),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_leading_tilde_is_the_home_directory_as_in_aws_runtime() {
        let home = Some("/home/u");
        assert_eq!(
            expand_home("~/alt/config", home),
            Path::new("/home/u/alt/config")
        );
        assert_eq!(expand_home("~", home), Path::new("/home/u"));
        assert_eq!(expand_home("/etc/aws", home), Path::new("/etc/aws"));
        assert_eq!(expand_home("~other/x", home), Path::new("~other/x"));
        assert_eq!(expand_home("a/~/b", home), Path::new("a/~/b"));
        assert_eq!(expand_home("~/x", None), Path::new("~/x"));
        let env = Environment::from_pairs([("HOME", "/h"), ("AWS_CONFIG_FILE", "~/c")]);
        assert_eq!(
            file_paths(&env),
            (PathBuf::from("/h/c"), PathBuf::from("/h/.aws/credentials"))
        );
    }

    /// With HOME unset, setup wrote `./~/.aws/config`.
    #[test]
    fn a_writer_refuses_a_tilde_path_without_a_home_directory() {
        let e = file_paths_to_edit(&Environment::default()).unwrap_err();
        assert!(e.what().contains("HOME is not set"), "{e}");
        let env = Environment::from_pairs([
            ("AWS_CONFIG_FILE", "/etc/c"),
            ("AWS_SHARED_CREDENTIALS_FILE", "/etc/k"),
        ]);
        assert_eq!(
            file_paths_to_edit(&env).unwrap(),
            (PathBuf::from("/etc/c"), PathBuf::from("/etc/k"))
        );
        let env = Environment::from_pairs([("HOME", "/h")]);
        assert!(file_paths_to_edit(&env).is_ok());
    }
}
