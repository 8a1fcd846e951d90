//! Export rendering: for any strings as credential values, each format either refuses the
//! value clearly (naming the variable, never quoting the value) or renders lines that a
//! reference parser of that format — written here from each shell's quoting rules — reads back
//! as exactly the values. The property tests run the real shells and python-dotenv on top.

use crate::credentials::{Secret, SessionCredentials, format_expiration};
use crate::output::Format;
use crate::output::render;

/// What a format's lines say: the variables, in order, and their values.
type Parsed = Vec<(String, String)>;

/// The export formats (json is checked by parsing it as JSON).
pub const FORMATS: [Format; 5] = [
    Format::Sh,
    Format::Fish,
    Format::Powershell,
    Format::Dotenv,
    Format::Json,
];

pub fn check_export(access_key_id: &str, secret: &str, token: &str) {
    let creds = SessionCredentials {
        access_key_id: access_key_id.to_string(),
        secret_access_key: Secret::new(secret),
        session_token: Secret::new(token),
        expiration: time::OffsetDateTime::from_unix_timestamp(1_800_000_000).expect("valid"),
    };
    let expiration = format_expiration(creds.expiration);
    let want: Parsed = [
        ("AWS_ACCESS_KEY_ID", access_key_id),
        ("AWS_SECRET_ACCESS_KEY", secret),
        ("AWS_SESSION_TOKEN", token),
        ("AWS_CREDENTIAL_EXPIRATION", expiration.as_str()),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    for format in FORMATS {
        match render(&creds, format) {
            Ok(text) => {
                let got = unquote(format, &text).unwrap_or_else(|why| {
                    panic!("{format:?} output does not parse ({why}):\n{text:?}")
                });
                let want: Parsed = if format == Format::Json {
                    json_order(&want)
                } else {
                    want.clone()
                };
                assert_eq!(got, want, "{format:?} does not round-trip:\n{text:?}");
            }
            Err(e) => {
                let shown = e.to_string();
                assert!(
                    shown.contains("cannot be written in the"),
                    "{format:?}: unclear refusal: {shown}"
                );
                // Made of fixed words only, so it can quote no value; and it quotes none.
                assert!(
                    shown
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || " _,.:()'-\n".contains(c)),
                    "{format:?}: the refusal has more than fixed words: {shown:?}"
                );
                for v in [access_key_id, secret, token] {
                    assert!(
                        v.len() < 8 || !shown.contains(v),
                        "{format:?}: the refusal quotes a value: {shown}"
                    );
                }
            }
        }
    }
}

fn json_order(want: &Parsed) -> Parsed {
    let names = [
        "AccessKeyId",
        "SecretAccessKey",
        "SessionToken",
        "Expiration",
    ];
    names
        .iter()
        .zip(want)
        .map(|(n, (_, v))| (n.to_string(), v.clone()))
        .collect()
}

/// Reads a format's output back the way its consumer does.
fn unquote(format: Format, text: &str) -> Result<Parsed, String> {
    if format == Format::Json {
        let v: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
        if v["Version"] != 1 {
            return Err("no Version 1".into());
        }
        let field = |k: &str| v[k].as_str().map(|s| (k.to_string(), s.to_string()));
        return [
            "AccessKeyId",
            "SecretAccessKey",
            "SessionToken",
            "Expiration",
        ]
        .iter()
        .map(|k| field(k).ok_or(format!("no {k}")))
        .collect();
    }
    let mut rest = text;
    let mut out = Parsed::new();
    while !rest.is_empty() {
        let (prefix, sep) = match format {
            Format::Sh => ("export ", "="),
            Format::Fish => ("set -gx ", " "),
            Format::Powershell => ("$Env:", " = "),
            _ => ("", "="),
        };
        rest = rest.strip_prefix(prefix).ok_or("no prefix")?;
        let end = rest.find(sep).ok_or("no separator")?;
        let name = &rest[..end];
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_uppercase() || b == b'_') {
            return Err(format!("bad name {name:?}"));
        }
        rest = &rest[end + sep.len()..];
        let (value, after) = match format {
            Format::Sh => sh_word(rest)?,
            Format::Fish => fish_word(rest)?,
            Format::Powershell => powershell_string(rest)?,
            _ => dotenv_value(rest)?,
        };
        rest = after
            .strip_prefix('\n')
            .ok_or("no newline after the value")?;
        out.push((name.to_string(), value));
    }
    Ok(out)
}

/// POSIX: a word of single-quoted runs and backslash-escaped characters, up to a newline.
fn sh_word(s: &str) -> Result<(String, &str), String> {
    let mut value = String::new();
    let mut chars = s.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\'' => loop {
                match chars.next() {
                    Some((_, '\'')) => break,
                    Some((_, c)) => value.push(c),
                    None => return Err("unclosed '".into()),
                }
            },
            '\\' => match chars.next() {
                Some((_, '\n')) => {}
                Some((_, c)) => value.push(c),
                None => return Err("trailing \\".into()),
            },
            '\n' => return Ok((value, &s[i..])),
            c if c.is_ascii_alphanumeric() || "+/=_-.:,@%".contains(c) => value.push(c),
            c => return Err(format!("unquoted {c:?}, which sh would interpret")),
        }
    }
    Err("no newline".into())
}

/// fish: one single-quoted string, where only `\\` and `\'` are escapes.
fn fish_word(s: &str) -> Result<(String, &str), String> {
    let body = s.strip_prefix('\'').ok_or("not quoted")?;
    let mut value = String::new();
    let mut chars = body.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\'' => return Ok((value, &body[i + 1..])),
            '\\' => match chars.next() {
                Some((_, c @ ('\\' | '\''))) => value.push(c),
                Some((_, c)) => {
                    value.push('\\');
                    value.push(c);
                }
                None => return Err("unclosed '".into()),
            },
            c => value.push(c),
        }
    }
    Err("unclosed '".into())
}

fn is_ps_quote(c: char) -> bool {
    matches!(c, '\'' | '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}')
}

/// PowerShell: a single-quoted string; any of its quote characters ends it unless doubled,
/// and `$Env:X = ''` removes X rather than setting it empty.
fn powershell_string(s: &str) -> Result<(String, &str), String> {
    let body = s.strip_prefix('\'').ok_or("not quoted")?;
    let mut value = String::new();
    let mut chars = body.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if is_ps_quote(c) {
            match chars.peek() {
                Some(&(_, d)) if is_ps_quote(d) => {
                    value.push(d);
                    chars.next();
                }
                _ if value.is_empty() => return Err("'' removes the variable".into()),
                _ => return Ok((value, &body[i + c.len_utf8()..])),
            }
        } else {
            value.push(c);
        }
    }
    Err("unclosed '".into())
}

/// python-dotenv: bare up to the end of the line (trailing blanks and ` #` comments dropped),
/// or double quotes with its escapes; then `${NAME}` is expanded, so it must not be there.
fn dotenv_value(s: &str) -> Result<(String, &str), String> {
    let (value, rest) = if let Some(body) = s.strip_prefix('"') {
        let mut value = String::new();
        let mut chars = body.char_indices();
        loop {
            match chars.next() {
                Some((i, '"')) => break (value, &body[i + 1..]),
                Some((_, '\\')) => match chars.next() {
                    Some((_, c)) => match c {
                        '\\' | '\'' | '"' => value.push(c),
                        'a' => value.push('\u{7}'),
                        'b' => value.push('\u{8}'),
                        'f' => value.push('\u{c}'),
                        'n' => value.push('\n'),
                        'r' => value.push('\r'),
                        't' => value.push('\t'),
                        'v' => value.push('\u{b}'),
                        c => {
                            value.push('\\');
                            value.push(c);
                        }
                    },
                    None => return Err("unclosed \"".into()),
                },
                Some((_, '\r')) => {
                    return Err("a raw CR, which a text-mode read turns into LF".into());
                }
                Some((_, c)) => value.push(c),
                None => return Err("unclosed \"".into()),
            }
        }
    } else {
        let end = s.find(['\n', '\r']).unwrap_or(s.len());
        let line = &s[..end];
        let line = line.split(" #").next().unwrap_or_default().trim_end();
        if line.starts_with(['\'', '"']) {
            return Err("a bare value that starts with a quote".into());
        }
        (line.to_string(), &s[end..])
    };
    if value.contains("${") {
        return Err("${ would be expanded".into());
    }
    Ok((value, rest))
}
