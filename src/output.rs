//! What goes to stdout: the credential_process JSON document and the shell export formats.
//!
//! This is one of the two places (with the cache file) where secrets are written. Each shell
//! format quotes values so that no byte of a value can end the quoting: the values are AWS
//! tokens today, but the quoting must not depend on that.

use crate::credentials::{SessionCredentials, format_expiration};
use crate::error::{Error, Result};
use std::io::Write;

/// How credentials (and `serve`'s variables) are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `export NAME='value'` lines for bash, zsh and other POSIX shells.
    Sh,
    /// `set -gx NAME 'value'` lines for fish.
    Fish,
    /// `$Env:NAME = 'value'` lines for PowerShell.
    Powershell,
    /// `NAME=value` lines for .env files.
    Dotenv,
    /// The credential_process JSON document (the default output).
    Json,
}

/// Writes the credentials to stdout; a closed stdout is an error, not a panic.
pub fn print(creds: &SessionCredentials, format: Format) -> Result<()> {
    let text = render(creds, format)?;
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| {
            Error::config(format!("could not write the credentials to stdout: {e}"))
                .hint("Whatever reads xacct-cred's output closed it early.")
        })
}

/// Renders the credentials in the chosen format, ending with a newline; refuses a value the
/// format cannot carry exactly rather than print one that reads back differently.
pub fn render(creds: &SessionCredentials, format: Format) -> Result<String> {
    if format == Format::Json {
        return Ok(process_json(creds));
    }
    let expiration = format_expiration(creds.expiration);
    let vars = [
        ("AWS_ACCESS_KEY_ID", creds.access_key_id.as_str()),
        ("AWS_SECRET_ACCESS_KEY", creds.secret_access_key.expose()),
        ("AWS_SESSION_TOKEN", creds.session_token.expose()),
        ("AWS_CREDENTIAL_EXPIRATION", expiration.as_str()),
    ];
    render_vars(&vars, format)
}

/// Variable assignments in one of the shell formats (not json), one line each; refuses a value
/// the format cannot carry exactly.
pub fn render_vars(vars: &[(&str, &str)], format: Format) -> Result<String> {
    let mut out = String::new();
    for &(name, value) in vars {
        if let Some(why) = unrepresentable(value, format) {
            return Err(Error::config(format!(
                "{name} cannot be written in the {} format: {why}",
                format_name(format)
            ))
            .hint("Use another --format (json carries any value), or check where the credentials came from."));
        }
        let line = match format {
            Format::Sh => format!("export {name}={}", sh_quote(value)),
            Format::Fish => format!("set -gx {name} {}", fish_quote(value)),
            Format::Powershell => format!("$Env:{name} = {}", powershell_quote(value)),
            Format::Dotenv => format!("{name}={}", dotenv_quote(value)),
            Format::Json => unreachable!("handled above"),
        };
        out.push_str(&line);
        out.push('\n');
    }
    Ok(out)
}

/// Why a value cannot go out in this format exactly, if it cannot. The reason never quotes the
/// value (a secret) and never contains what it refuses, so no refused value can show in it.
fn unrepresentable(value: &str, format: Format) -> Option<&'static str> {
    if value.contains('\0') {
        return Some("it contains a NUL byte, which no environment variable can hold");
    }
    match format {
        // PowerShell removes a variable that is set to ''.
        Format::Powershell if value.is_empty() => Some("it is empty"),
        // python-dotenv (and the parsers that interpolate) expand `${NAME}` even in quotes, with
        // no escape for it.
        Format::Dotenv if value.contains("${") => {
            Some("it contains a dollar sign followed by a brace, which dotenv parsers expand")
        }
        _ => None,
    }
}

fn format_name(format: Format) -> &'static str {
    match format {
        Format::Sh => "sh",
        Format::Fish => "fish",
        Format::Powershell => "powershell",
        Format::Dotenv => "dotenv",
        Format::Json => "json",
    }
}

/// The credential_process document, keys in the order and case the SDKs expect.
pub fn process_json(creds: &SessionCredentials) -> String {
    let doc = serde_json::json!({
        "Version": 1,
        "AccessKeyId": creds.access_key_id,
        "SecretAccessKey": creds.secret_access_key.expose(),
        "SessionToken": creds.session_token.expose(),
        "Expiration": format_expiration(creds.expiration),
    });
    let mut s = doc.to_string();
    s.push('\n');
    s
}

/// POSIX single quotes: nothing inside is special but the quote itself.
fn sh_quote(v: &str) -> String {
    format!("'{}'", v.replace('\'', r"'\''"))
}

/// fish single quotes: `\\` and `\'` are the only escapes.
fn fish_quote(v: &str) -> String {
    format!("'{}'", v.replace('\\', r"\\").replace('\'', r"\'"))
}

/// PowerShell single quotes: a quote is doubled (and the typographic quotes count as quotes).
fn powershell_quote(v: &str) -> String {
    let mut s = String::from("'");
    for c in v.chars() {
        if matches!(c, '\'' | '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}') {
            s.push(c);
        }
        s.push(c);
    }
    s.push('\'');
    s
}

/// dotenv: bare when plainly safe, else double quotes with the escapes python-dotenv decodes
/// (`\\`, `\"`, `\n`, `\r`); a raw CR would not survive a file read in text mode.
fn dotenv_quote(v: &str) -> String {
    if !v.is_empty()
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || "+/=_-.:@,".contains(c))
    {
        return v.to_string();
    }
    let mut s = String::from("\"");
    for c in v.chars() {
        match c {
            '\\' => s.push_str(r"\\"),
            '"' => s.push_str("\\\""),
            '\n' => s.push_str(r"\n"),
            '\r' => s.push_str(r"\r"),
            c => s.push(c),
        }
    }
    s.push('"');
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credentials::Secret;
    use std::process::Command;

    fn creds(secret: &str, token: &str) -> SessionCredentials {
        SessionCredentials {
            access_key_id: "ASIAEXAMPLEKEY".into(),
            secret_access_key: Secret::new(secret),
            session_token: Secret::new(token),
            expiration: crate::credentials::parse_expiration("2026-11-23T17:00:00Z").unwrap(),
        }
    }

    const NASTY: &str = "a'b\"c\\d$e`f g\n!h*${IFS};rm -rf /'";

    /// The shell, which scripts/setup-test-deps.sh installs: missing, the test fails, never skips.
    fn require(shell: &str) -> &str {
        let ok = Command::new(shell)
            .arg("-c")
            .arg("true")
            .output()
            .is_ok_and(|o| o.status.success());
        assert!(
            ok,
            "{shell} is not installed: run scripts/setup-test-deps.sh (docs/ARCHITECTURE.md, Tests)"
        );
        shell
    }

    /// Runs a shell on the rendered lines and returns what it prints for the four variables.
    fn eval_in(shell: &str, script: String) -> String {
        let out = Command::new(shell)
            .arg("-c")
            .arg(script)
            .env_clear()
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{shell}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    fn expected(c: &SessionCredentials) -> String {
        format!(
            "{}|{}|{}|2026-11-23T17:00:00Z|",
            c.access_key_id,
            c.secret_access_key.expose(),
            c.session_token.expose()
        )
    }

    #[test]
    fn process_json_is_exactly_the_documented_shape() {
        let c = creds("sec/ret+KEY", "tok=en");
        let v: serde_json::Value =
            serde_json::from_str(&render(&c, Format::Json).unwrap()).unwrap();
        let obj = v.as_object().unwrap();
        let mut keys: Vec<&str> = obj.keys().map(String::as_str).collect();
        keys.sort();
        assert_eq!(
            keys,
            [
                "AccessKeyId",
                "Expiration",
                "SecretAccessKey",
                "SessionToken",
                "Version"
            ]
        );
        assert_eq!(v["Version"], 1);
        assert_eq!(v["SecretAccessKey"], "sec/ret+KEY");
        assert_eq!(v["Expiration"], "2026-11-23T17:00:00Z");
    }

    #[test]
    fn sh_round_trips_through_bash_even_with_hostile_values() {
        for (secret, token) in [("plain+/=", "tok/en=="), (NASTY, NASTY)] {
            let c = creds(secret, token);
            let script = format!(
                "{}printf '%s|%s|%s|%s|' \"$AWS_ACCESS_KEY_ID\" \"$AWS_SECRET_ACCESS_KEY\" \"$AWS_SESSION_TOKEN\" \"$AWS_CREDENTIAL_EXPIRATION\"",
                render(&c, Format::Sh).unwrap()
            );
            assert_eq!(eval_in(require("bash"), script.clone()), expected(&c));
            assert_eq!(eval_in(require("dash"), script), expected(&c));
        }
    }

    #[test]
    fn fish_round_trips_through_fish() {
        for (secret, token) in [("plain+/=", "tok/en=="), (NASTY, NASTY)] {
            let c = creds(secret, token);
            let script = format!(
                "{}printf '%s|%s|%s|%s|' \"$AWS_ACCESS_KEY_ID\" \"$AWS_SECRET_ACCESS_KEY\" \"$AWS_SESSION_TOKEN\" \"$AWS_CREDENTIAL_EXPIRATION\"",
                render(&c, Format::Fish).unwrap()
            );
            assert_eq!(eval_in(require("fish"), script), expected(&c));
        }
    }

    #[test]
    fn powershell_doubles_quotes() {
        let out = render(&creds("it's", "x"), Format::Powershell).unwrap();
        assert!(
            out.contains("$Env:AWS_SECRET_ACCESS_KEY = 'it''s'\n"),
            "{out}"
        );
        assert!(out.contains("$Env:AWS_ACCESS_KEY_ID = 'ASIAEXAMPLEKEY'\n"));
    }

    #[test]
    fn dotenv_is_bare_for_aws_values_and_escaped_otherwise() {
        let token = "a'b\"c\\d$e`f g\n!h*$IFS;\r";
        let out = render(&creds("abc+/=", token), Format::Dotenv).unwrap();
        assert!(out.contains("AWS_SECRET_ACCESS_KEY=abc+/=\n"), "{out}");
        assert!(
            out.contains("AWS_SESSION_TOKEN=\"a'b\\\"c\\\\d$e`f g\\n!h*$IFS;\\r\"\n"),
            "{out}"
        );
    }

    /// Found by the python-dotenv round trip (src/fuzzing/props.rs): python-dotenv expands `${NAME}` in
    /// double quotes and reads `\$` as a backslash and a dollar, so the old `\$` escape changed
    /// every value with a `$` in it, and no escape can carry `${`.
    #[test]
    fn a_value_a_format_cannot_carry_is_refused_without_quoting_it() {
        let secret = "sec${HOME}ret-value";
        for (format, value) in [
            (Format::Dotenv, secret),
            (Format::Sh, "nul\0inside-the-value"),
            (Format::Fish, "nul\0inside-the-value"),
            (Format::Powershell, ""),
        ] {
            let err = render(&creds(value, "t"), format).unwrap_err().to_string();
            assert!(
                err.contains("AWS_SECRET_ACCESS_KEY cannot be written"),
                "{err}"
            );
            assert!(value.is_empty() || !err.contains(value), "{err}");
        }
        assert!(render(&creds(secret, "t"), Format::Sh).is_ok());
        assert!(render(&creds(secret, "t"), Format::Json).is_ok());
    }
}
