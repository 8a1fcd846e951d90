//! Line edits of the shared files: take a profile's key lines out (`keys import`), put a
//! `credential_process` line in (`keys add --write-profile`, `setup --source-in-store`). Every other line is kept byte for
//! byte, comments and line ends included. Pure: text in, text out.

/// The profile a section header names (`[name]`, `[profile name]`), as `config::ini` reads it.
fn section_name(line: &str) -> Option<&str> {
    let inner = line.trim().strip_prefix('[')?.split(']').next()?.trim();
    Some(
        inner
            .strip_prefix("profile")
            .filter(|rest| rest.starts_with(char::is_whitespace))
            .map(str::trim)
            .unwrap_or(inner),
    )
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

/// `text` without the top-level lines of `profile`'s sections whose key is one of `keys`.
pub fn take_keys(text: &str, profile: &str, keys: &[&str]) -> Taken {
    let mut out = String::with_capacity(text.len());
    let mut removed = Vec::new();
    let mut inside = false;
    for line in text.split_inclusive('\n') {
        if let Some(name) = section_name(line) {
            inside = name == profile;
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

/// `text` with `key = value` as the first line of `header`'s section (`[header]`), replacing a
/// line of that key there; the section is appended when missing.
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
        if let Some(name) = section_name(l) {
            inside = name == profile;
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
            take_keys(config, "asi-dev", &["aws_secret_access_key"]).text,
            "[profile asi-dev]\n"
        );
        assert_eq!(
            take_keys(CREDS, "nobody", &["aws_access_key_id"]).text,
            CREDS
        );
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
