//! Line edits of the shared files: take a profile's key lines out (`keys import`), put a
//! `credential_process` line in (`keys add --write-profile`, `setup --source-in-store`). Every
//! other line is kept byte for byte, comments and line ends included. Sections are named as
//! aws-config names them in each file. Pure: text in, text out.

/// Which of the two shared files a text is: they name profiles differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// `[profile NAME]` and `[default]`; a bare `[NAME]` is no profile (aws-config ignores it).
    Config,
    /// `[NAME]`; `[profile NAME]` is no profile `NAME` (aws-config ignores it, botocore reads a
    /// profile called "profile NAME").
    Credentials,
}

/// For a section header line (`None`: not one), the profile it names in a file of `kind`, as
/// aws-runtime reads headers (at the start of the line, comments cut, `[prefix name]` split at
/// the first space or tab); `Some(None)` for a header that names no profile there.
fn section_name(line: &str, kind: FileKind) -> Option<Option<&str>> {
    const WS: [char; 2] = [' ', '\t'];
    if !line.starts_with('[') {
        return None;
    }
    let line = line.trim_matches(|c: char| WS.contains(&c) || c == '\r' || c == '\n');
    let line = line[..line.find(['#', ';']).unwrap_or(line.len())].trim_matches(WS);
    let Some(inner) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) else {
        return Some(None);
    };
    let inner = inner.trim_matches(WS);
    let (prefix, name) = match inner.split_once(WS) {
        Some((prefix, name)) => (Some(prefix.trim()), name.trim()),
        None => (None, inner.trim()),
    };
    Some(match (kind, prefix) {
        (FileKind::Config, Some("profile")) => Some(name),
        (FileKind::Config, None) if name == "default" => Some(name),
        (FileKind::Credentials, None) => Some(name),
        _ => None,
    })
}

/// Whether a text has a secret key or session token line in any section — under the session
/// token's older name (`aws_security_token`, which botocore still reads) or commented out
/// (`# old: aws_secret_access_key = …`) too: a backup of it would be one more copy of the
/// secret on disk.
pub fn holds_secret_line(text: &str) -> bool {
    const NAMES: [&str; 3] = [
        "aws_secret_access_key",
        "aws_session_token",
        "aws_security_token",
    ];
    text.lines().any(|line| {
        let line = line.to_ascii_lowercase();
        NAMES.iter().any(|name| {
            line.match_indices(name)
                .any(|(at, _)| line[at + name.len()..].trim_start().starts_with('='))
        })
    })
}

/// The key of a top-level `key = value` line.
fn key_of(line: &str) -> Option<&str> {
    if line.starts_with(char::is_whitespace) {
        return None;
    }
    let (k, _) = line.split_once('=')?;
    let k = k.trim();
    (!k.is_empty() && !k.starts_with('#') && !k.starts_with(';')).then_some(k)
}

/// What [`take_keys`] took out.
#[derive(Debug, PartialEq, Eq)]
pub struct Taken {
    pub text: String,
    /// (key, value) of each line removed, in file order.
    pub removed: Vec<(String, String)>,
}

/// `text` (a file of `kind`) without the top-level lines of `profile`'s sections whose key is
/// one of `keys`.
pub fn take_keys(text: &str, kind: FileKind, profile: &str, keys: &[&str]) -> Taken {
    let mut out = String::with_capacity(text.len());
    let mut removed = Vec::new();
    let mut inside = false;
    for line in text.split_inclusive('\n') {
        if let Some(name) = section_name(line, kind) {
            inside = name == Some(profile);
        } else if inside
            && let Some(k) = key_of(line)
            && keys.contains(&k)
        {
            let value = line.split_once('=').map_or("", |(_, v)| v).trim();
            removed.push((k.to_string(), value.to_string()));
            continue;
        }
        out.push_str(line);
    }
    Taken { text: out, removed }
}

/// `text` without the top-level lines, in any section, whose key is one of `keys` and whose
/// value holds one of `values` (an imported key's lines in an old backup).
pub fn take_values(text: &str, keys: &[&str], values: &[&str]) -> Taken {
    let mut out = String::with_capacity(text.len());
    let mut removed = Vec::new();
    for line in text.split_inclusive('\n') {
        if let Some(k) = key_of(line)
            && keys.contains(&k)
        {
            let value = line.split_once('=').map_or("", |(_, v)| v).trim();
            if values.iter().any(|v| !v.is_empty() && value.contains(v)) {
                removed.push((k.to_string(), value.to_string()));
                continue;
            }
        }
        out.push_str(line);
    }
    Taken { text: out, removed }
}

/// The config file's `text` with `key = value` as the first line of `profile`'s section
/// (`header`: `[profile NAME]` or `[default]`), replacing a line of that key there; the section
/// is appended when missing.
pub fn set_key(text: &str, header: &str, profile: &str, key: &str, value: &str) -> String {
    let cr = if text.split('\n').next().is_some_and(|l| l.ends_with('\r')) {
        "\r"
    } else {
        ""
    };
    let line = format!("{key} = {value}{cr}\n");
    let mut out = String::with_capacity(text.len() + line.len());
    let (mut inside, mut done) = (false, false);
    for l in text.split_inclusive('\n') {
        if let Some(name) = section_name(l, FileKind::Config) {
            inside = name == Some(profile);
            out.push_str(l);
            if !l.ends_with('\n') {
                out.push('\n');
            }
            if inside && !done {
                out.push_str(&line);
                done = true;
            }
            continue;
        }
        if inside && key_of(l) == Some(key) {
            continue;
        }
        out.push_str(l);
    }
    if !done {
        if !out.is_empty() && !out.ends_with('\n') {
            out.push('\n');
        }
        if !out.trim().is_empty() {
            out.push_str(cr);
            out.push('\n');
        }
        out.push_str(&format!("[{header}]{cr}\n"));
        out.push_str(&line);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const CREDS: &str = "# mine\n[asi-dev]\naws_access_key_id = AKIA1\n# keep me\naws_secret_access_key=s3cret\r\nregion = x\n\n[other]\naws_access_key_id = AKIA2\naws_secret_access_key = other\n";

    #[test]
    fn only_the_named_profiles_key_lines_go() {
        let t = take_keys(
            CREDS,
            FileKind::Credentials,
            "asi-dev",
            &["aws_access_key_id", "aws_secret_access_key"],
        );
        assert_eq!(
            t.text,
            "# mine\n[asi-dev]\n# keep me\nregion = x\n\n[other]\naws_access_key_id = AKIA2\naws_secret_access_key = other\n"
        );
        assert_eq!(
            t.removed,
            [
                ("aws_access_key_id".to_string(), "AKIA1".to_string()),
                ("aws_secret_access_key".to_string(), "s3cret".to_string())
            ]
        );
        let config = "[profile asi-dev]\naws_secret_access_key = s\n";
        assert_eq!(
            take_keys(
                config,
                FileKind::Config,
                "asi-dev",
                &["aws_secret_access_key"]
            )
            .text,
            "[profile asi-dev]\n"
        );
        assert_eq!(
            take_keys(
                CREDS,
                FileKind::Credentials,
                "nobody",
                &["aws_access_key_id"]
            )
            .text,
            CREDS
        );
    }

    /// `keys import dev` took the key of a stale `[profile dev]` in the credentials file (which
    /// the SDKs ignore there) over the `[dev]` the AWS CLI used, and removed both.
    #[test]
    fn each_file_names_its_sections_as_aws_config_does() {
        let creds = "[dev]\nk = real\n[profile dev]\nk = stale\n[ dev ] # c\nk = again\n";
        let t = take_keys(creds, FileKind::Credentials, "dev", &["k"]);
        assert_eq!(t.text, "[dev]\n[profile dev]\nk = stale\n[ dev ] # c\n");
        assert_eq!(t.removed.len(), 2);
        assert!(t.removed.iter().all(|(_, v)| v != "stale"));
        let config = "[dev]\nk = ignored\n[profile  dev]\nk = used\n[default]\nk = d\n[sso-session dev]\nk = s\n";
        let t = take_keys(config, FileKind::Config, "dev", &["k"]);
        assert_eq!(t.removed, [("k".to_string(), "used".to_string())]);
        let t = take_keys(config, FileKind::Config, "default", &["k"]);
        assert_eq!(t.removed, [("k".to_string(), "d".to_string())]);
        // An indented header is a continuation line for aws-runtime, not a section.
        let t = take_keys(
            "[dev]\n  [other]\nk = v\n",
            FileKind::Credentials,
            "dev",
            &["k"],
        );
        assert_eq!(t.text, "[dev]\n  [other]\n");
        // set_key writes into [profile dev] in the config, never into the ignored [dev].
        assert_eq!(
            set_key("[dev]\nk = v\n", "profile dev", "dev", "c", "x"),
            "[dev]\nk = v\n\n[profile dev]\nc = x\n"
        );
    }

    #[test]
    fn a_backups_lines_holding_the_values_go_in_any_section() {
        let text = "[a]\naws_secret_access_key = S3CRET\nregion = S3CRET\n[profile b]\naws_access_key_id = AKIA1\naws_secret_access_key = other\n";
        let t = take_values(
            text,
            &["aws_access_key_id", "aws_secret_access_key"],
            &["AKIA1", "S3CRET"],
        );
        assert_eq!(
            t.text,
            "[a]\nregion = S3CRET\n[profile b]\naws_secret_access_key = other\n"
        );
        assert_eq!(t.removed.len(), 2);
        assert!(holds_secret_line(text));
        // Commented out, or under the session token's older name, it is still a secret.
        assert!(holds_secret_line(
            "[a]\n# old: aws_secret_access_key = x\nregion = y\n"
        ));
        assert!(holds_secret_line("[a]\nAWS_Security_Token = t\n"));
        assert!(!holds_secret_line(
            "[a]\n# keys are in the store: see aws_secret_access_key in the docs\nregion = y\n"
        ));
    }

    #[test]
    fn a_key_line_goes_first_into_the_section_or_a_new_one() {
        let config =
            "[default]\nregion = a\n\n[profile asi-dev]\nregion = b\ncredential_process = old\n";
        assert_eq!(
            set_key(
                config,
                "profile asi-dev",
                "asi-dev",
                "credential_process",
                "new"
            ),
            "[default]\nregion = a\n\n[profile asi-dev]\ncredential_process = new\nregion = b\n"
        );
        assert_eq!(
            set_key("[default]\nregion = a", "profile x", "x", "k", "v"),
            "[default]\nregion = a\n\n[profile x]\nk = v\n"
        );
        assert_eq!(
            set_key("", "profile x", "x", "k", "v"),
            "[profile x]\nk = v\n"
        );
        assert_eq!(
            set_key("[default]\r\nregion = a\r\n", "profile x", "x", "k", "v"),
            "[default]\r\nregion = a\r\n\r\n[profile x]\r\nk = v\r\n"
        );
    }
}
