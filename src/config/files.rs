//! Reading the shared AWS config and credentials files, with aws-config's own parser.
//!
//! This runs on the cache-hit path, so it must stay synchronous and cheap: aws-config's
//! `profile::load` is `async` only in name (it reads with `std::fs`), so it is polled once with
//! a no-op waker instead of starting a runtime. It never loads the SDK config and never touches
//! the network.

use crate::env::Environment;
use crate::error::{Error, Result};
use aws_config::profile::ProfileSet;
use aws_runtime::env_config::file::{EnvConfigFileKind, EnvConfigFiles};
use aws_types::os_shim_internal::Fs;
use std::borrow::Cow;
use std::future::Future;
use std::path::{Path, PathBuf};

use super::paths::file_paths;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

/// The parsed profile files and where they were read from.
///
/// `profiles` has a *selected* profile, the one aws-runtime's `EnvConfigValue` reads: it is
/// the profile the role inputs name (see `plan::named_profile`), so the settings
/// the SDKs resolve through it (endpoints, FIPS, dual-stack) come from the role profile with
/// one parse of the files.
pub struct SharedConfig {
    pub profiles: ProfileSet,
    pub config_file: PathBuf,
    pub credentials_file: PathBuf,
    /// The texts of [`SharedConfig::from_strings`], so another profile can be selected.
    texts: Option<(String, String)>,
}

impl SharedConfig {
    /// The files as the SDKs find them, with `selected` (else `default`) the selected profile.
    pub fn load(env: &Environment, selected: Option<&str>) -> Result<SharedConfig> {
        let selected = selected.unwrap_or("default");
        let (config_file, credentials_file) = file_paths(env);
        refuse_others_files_as_root(&config_file, &credentials_file)?;
        let profiles = parse_strings(&read_or_empty(&config_file), &read_or_empty(&credentials_file), selected)
            .map_err(|e| {
                Error::config(format!(
                    "could not read the AWS config files ({} / {}): {}",
                    config_file.display(),
                    credentials_file.display(),
                    crate::error::causes(&e)
                ))
                .hint("Fix the line it names (sections look like [profile name], keys like key = value), or point AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE at the right files.")
            })?;
        Ok(SharedConfig {
            profiles,
            config_file,
            credentials_file,
            texts: None,
        })
    }

    /// A config parsed from strings, with no files at all (setup's check, tests).
    pub fn from_strings(config: &str, credentials: &str) -> Result<SharedConfig> {
        let profiles = parse_strings(config, credentials, "default")?;
        Ok(SharedConfig {
            profiles,
            config_file: "config".into(),
            credentials_file: "credentials".into(),
            texts: Some((config.to_string(), credentials.to_string())),
        })
    }

    /// The two files' texts as read by a command that edits them, parsed as the default command
    /// parses the files: a parse error names the file (and its line).
    pub fn from_named_strings(
        config: (&Path, &str),
        credentials: (&Path, &str),
    ) -> Result<SharedConfig> {
        let profiles = parse_texts(config.1, credentials.1, "default", Some((config.0, credentials.0)))
            .map_err(|e| e.hint("Fix the line it names (sections look like [profile name], keys like key = value); nothing was changed."))?;
        Ok(SharedConfig {
            profiles,
            config_file: config.0.to_path_buf(),
            credentials_file: credentials.0.to_path_buf(),
            texts: Some((config.1.to_string(), credentials.1.to_string())),
        })
    }

    /// The profiles with `name` selected, for `EnvConfigValue`. Borrowed when it already is
    /// (always, for a config [`load`](Self::load)ed for the same role arguments).
    pub fn selecting(&self, name: &str) -> Result<Cow<'_, ProfileSet>> {
        if self.profiles.selected_profile() == name {
            return Ok(Cow::Borrowed(&self.profiles));
        }
        match &self.texts {
            Some((config, credentials)) => parse_strings(config, credentials, name).map(Cow::Owned),
            None => Err(Error::config(format!(
                "internal: the config files were read for profile {}, not {name}",
                self.profiles.selected_profile()
            ))),
        }
    }

    pub fn profile(&self, name: &str) -> Option<&aws_config::profile::Profile> {
        self.profiles.get_profile(name)
    }

    /// A key of a profile, trimmed, empty treated as absent.
    pub fn get(&self, profile: &str, key: &str) -> Option<&str> {
        self.profile(profile)?
            .get(key)
            .map(str::trim)
            .filter(|v| !v.is_empty())
    }

    /// Whether the config file has a `[services NAME]` section. aws-config's parser keeps only
    /// a section's properties, so one without an sts entry is invisible there; this reads the
    /// file's section headers again, and is only asked when a profile names a services section
    /// that gives no STS endpoint (never on the common path).
    pub fn has_services_section(&self, name: &str) -> bool {
        let text = match &self.texts {
            Some((config, _)) => Cow::Borrowed(config.as_str()),
            None => match std::fs::read_to_string(&self.config_file) {
                Ok(t) => Cow::Owned(t),
                Err(_) => return false,
            },
        };
        text.lines().any(|line| {
            let line = line.trim();
            let Some(inner) = line.strip_prefix('[').and_then(|l| l.split(']').next()) else {
                return false;
            };
            let mut words = inner.split_whitespace();
            words.next() == Some("services") && words.next() == Some(name) && words.next().is_none()
        })
    }

    pub fn profile_names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.profiles.profiles().collect();
        names.sort_unstable();
        names
    }

    pub fn files_description(&self) -> String {
        format!(
            "{} or {}",
            self.config_file.display(),
            self.credentials_file.display()
        )
    }
}

/// The profiles of both files read now, for a caller that needs no [`SharedConfig`] (the
/// source credential's static keys, read again when they are used).
pub fn read_profiles(env: &Environment) -> Result<ProfileSet> {
    let (config_file, credentials_file) = file_paths(env);
    refuse_others_files_as_root(&config_file, &credentials_file)?;
    parse_strings(
        &read_or_empty(&config_file),
        &read_or_empty(&credentials_file),
        "default",
    )
}

/// As root, the files must lie where no other user can change them (`sudo -E` keeps a user's
/// HOME, `AWS_CONFIG_FILE` or `AWS_SHARED_CREDENTIALS_FILE`): their settings choose the program
/// root runs as a source (`credential_process`) and where it sends its requests. Checked before
/// either is read (a FIFO of theirs would hold the read for good).
fn refuse_others_files_as_root(config: &Path, credentials: &Path) -> Result<()> {
    for path in [config, credentials] {
        crate::disk::path_walk::refuse_others_reads_as_root(
            path,
            "xacct-cred does not read",
            "Another user could have root run a program of theirs (a credential_process) or use settings of theirs. Run as the user whose files these are (sudo -u USER xacct-cred …; sudo without -E keeps root's own HOME), or, in a container with another user's ~/.aws mounted, run as that user (docker run --user UID).",
        )?;
    }
    Ok(())
}

/// A file's text as aws-runtime reads the default files: missing, unreadable or not UTF-8 is
/// an empty file.
fn read_or_empty(path: &Path) -> String {
    std::fs::read(path)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .unwrap_or_default()
}

fn parse_strings(config: &str, credentials: &str, selected: &str) -> Result<ProfileSet> {
    parse_texts(config, credentials, selected, None)
}

/// The texts parsed; with `names`, as the files of those paths (an in-memory file system), so
/// that a parse error names its file.
fn parse_texts(
    config: &str,
    credentials: &str,
    selected: &str,
    names: Option<(&Path, &Path)>,
) -> Result<ProfileSet> {
    let (config, credentials) = (
        one_spelling_per_section(config),
        one_spelling_per_section(credentials),
    );
    let (files, fs) = match names {
        None => (
            EnvConfigFiles::builder()
                .with_contents(EnvConfigFileKind::Config, config)
                .with_contents(EnvConfigFileKind::Credentials, credentials)
                .build(),
            Fs::from_slice(&[]),
        ),
        Some((config_name, credentials_name)) => (
            EnvConfigFiles::builder()
                .with_file(EnvConfigFileKind::Config, config_name)
                .with_file(EnvConfigFileKind::Credentials, credentials_name)
                .build(),
            Fs::from_raw_map(
                [
                    (config_name.as_os_str().to_owned(), config.into_bytes()),
                    (
                        credentials_name.as_os_str().to_owned(),
                        credentials.into_bytes(),
                    ),
                ]
                .into(),
            ),
        ),
    };
    let env = aws_types::os_shim_internal::Env::from_slice(&[]);
    let selected = Some(Cow::Owned(selected.to_string()));
    poll_once(aws_config::profile::load(&fs, &env, &files, selected))
        .ok_or_else(|| Error::config("internal: the profile loader wanted to wait"))?
        .map_err(|e| Error::config(crate::error::causes(&e)))
}

/// The text with every section header spelled one way (`[ profile  dev ]` → `[profile dev]`).
///
/// aws-runtime keys sections by their header text as written and merges the headers that name
/// one section in `HashMap` order, so `[ profile  dev ]` and `[profile dev]` gave a different
/// profile from one parse to the next. Spelled one way they are one key, which it merges in
/// file order with later keys winning, as it does for a repeated header (the AWS CLI takes
/// the later section too). Header lines are recognized as aws-runtime's parser does; line
/// numbers stay.
fn one_spelling_per_section(text: &str) -> String {
    const WS: [char; 2] = [' ', '\t'];
    // aws-runtime's `SectionPair::parse` of the text between the brackets.
    let pair = |inner: &str| -> (Option<String>, String) {
        let inner = inner.trim_matches(WS);
        match inner.split_once(WS) {
            Some((prefix, suffix)) => (Some(prefix.trim().into()), suffix.trim().into()),
            None => (None, inner.trim().into()),
        }
    };
    let canonical = |line: &str| -> Option<String> {
        if !line.starts_with('[') {
            return None;
        }
        // aws-runtime's `prepare_line(line, false)`: a comment starts at any `#` or `;`.
        let line = line.trim_matches(WS);
        let line = line[..line.find(['#', ';']).unwrap_or(line.len())].trim_matches(WS);
        let inner = line.strip_prefix('[')?.strip_suffix(']')?;
        let spelled = match pair(inner) {
            (Some(prefix), suffix) => format!("{prefix} {suffix}"),
            (None, suffix) => suffix,
        };
        (spelled != inner && pair(&spelled) == pair(inner)).then(|| format!("[{spelled}]"))
    };
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let body = line.trim_end_matches('\n');
        let body = body.strip_suffix('\r').unwrap_or(body);
        match canonical(body) {
            Some(header) => {
                out.push_str(&header);
                out.push_str(&line[body.len()..]);
            }
            None => out.push_str(line),
        }
    }
    out
}

/// Polls a future that is known to finish without waiting. `None` if it did want to wait.
fn poll_once<F: Future>(future: F) -> Option<F::Output> {
    let mut future = pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(output) => Some(output),
        Poll::Pending => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// "error parsing  on line 2": setup's check parsed texts without their files' names.
    #[test]
    fn a_parse_error_of_named_texts_names_the_file() {
        let e = SharedConfig::from_named_strings(
            (Path::new("/x/config"), "[default]\n= no key\n"),
            (Path::new("/x/credentials"), ""),
        )
        .err()
        .unwrap();
        assert!(e.what().contains("/x/config on line 2"), "{e}");
        let ok = SharedConfig::from_named_strings(
            (Path::new("/x/config"), "[profile p]\nregion = a\n"),
            (Path::new("/x/credentials"), "[p]\nk = v\n"),
        )
        .unwrap();
        assert_eq!(
            (ok.get("p", "region"), ok.get("p", "k")),
            (Some("a"), Some("v"))
        );
    }

    /// The fuzzing property `setup_keeps_every_line_and_profile_and_is_idempotent` failed about
    /// one run in six on this: two headers for one profile, merged in hash order.
    #[test]
    fn two_spellings_of_one_section_merge_in_file_order_every_time() {
        let config = "[ profile  dev ]\nregion = a\nout = x\n[profile dev] # c\r\nregion = b\n\
                      [profile\tdev]\nlast = z\n[services  s]\nsts =\n  endpoint_url = e1\n\
                      [services s]\nsts =\n  endpoint_url = e2\n";
        for _ in 0..64 {
            let parsed = SharedConfig::from_strings(config, "[dev]\nlast = creds\n").unwrap();
            let dev = parsed.profile("dev").unwrap();
            assert_eq!(
                (dev.get("region"), dev.get("out"), dev.get("last")),
                (Some("b"), Some("x"), Some("creds"))
            );
            let key = aws_runtime::env_config::property::PropertiesKey::builder()
                .section_key("services")
                .section_name("s")
                .property_name("sts")
                .sub_property_name("endpoint_url")
                .build()
                .unwrap();
            let sts = parsed.profiles.other_sections().get(&key);
            assert_eq!(sts.map(ToString::to_string).as_deref(), Some("e2"));
        }
        assert_eq!(
            one_spelling_per_section(
                "[ profile  dev ]\r\n[default]\n [x]\n#[ y ]\n[a  b c ] ;c\n[open"
            ),
            "[profile dev]\r\n[default]\n [x]\n#[ y ]\n[a b c]\n[open"
        );
    }
}
