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
use std::path::{Component, Path, PathBuf};
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
    parse_strings(
        &read_or_empty(&config_file),
        &read_or_empty(&credentials_file),
        "default",
    )
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
    let files = EnvConfigFiles::builder()
        .with_contents(EnvConfigFileKind::Config, one_spelling_per_section(config))
        .with_contents(
            EnvConfigFileKind::Credentials,
            one_spelling_per_section(credentials),
        )
        .build();
    let (fs, env) = (
        Fs::from_slice(&[]),
        aws_types::os_shim_internal::Env::from_slice(&[]),
    );
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
