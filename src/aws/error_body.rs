//! What an error reply said, read from its raw bytes when the SDK could not classify it: the
//! HTTP status and, if the body has them, the error's code and message — as AWS's XML puts them
//! (at any depth, so moto's `<ErrorResponse><Errors><Error>` works too), as JSON puts them, or
//! the fact that the body is an HTML page (a proxy or captive portal).
//!
//! It never returns anything else of the body: a body may echo a request, and a request may carry
//! a token. Code and message are trimmed, stripped of control characters, bounded in length, and
//! long unbroken runs (the shape of a token) are cut out. Reading is bounded and cannot panic.

/// How much of a body is looked at.
const MAX_SCAN: usize = 64 * 1024;
const MAX_CODE: usize = 64;
const MAX_MESSAGE: usize = 300;
/// An unbroken run this long in a message is more likely a token than a word.
const MAX_WORD: usize = 120;

/// What could be read from an error reply.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reading {
    pub status: Option<u16>,
    pub code: Option<String>,
    pub message: Option<String>,
    /// The body is an HTML page, not an API's error document.
    pub html: bool,
    pub empty: bool,
}

impl Reading {
    /// `HTTP 403, AccessDenied: …`, `HTTP 502, an HTML page (a proxy or captive portal?)`, …
    pub fn describe(&self) -> String {
        let mut out = match self.status {
            Some(s) => format!("HTTP {s}"),
            None => "a reply".to_string(),
        };
        match (&self.code, &self.message) {
            (Some(c), Some(m)) => out.push_str(&format!(", {c}: {m}")),
            (Some(c), None) => out.push_str(&format!(", {c}")),
            (None, Some(m)) => out.push_str(&format!(": {m}")),
            (None, None) if self.html => {
                out.push_str(", an HTML page (a proxy or captive portal?)")
            }
            (None, None) if self.empty => out.push_str(" with an empty body"),
            (None, None) => out.push_str(" with no error code in its body"),
        }
        out
    }
}

/// Reads a reply's status and body.
pub fn read(status: Option<u16>, body: &[u8]) -> Reading {
    let scanned = &body[..body.len().min(MAX_SCAN)];
    let text = String::from_utf8_lossy(scanned);
    let trimmed = text.trim_start();
    let mut reading = Reading {
        status,
        empty: trimmed.is_empty(),
        ..Reading::default()
    };
    if trimmed.starts_with('{') {
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(trimmed) {
            let (code, message) = json_fields(&v);
            reading.code = code.as_deref().and_then(clean_code);
            reading.message = message.as_deref().and_then(clean_message);
        }
        return reading;
    }
    reading.code = xml_element(trimmed, "Code").and_then(|c| clean_code(&c));
    if reading.code.is_some() {
        reading.message = xml_element(trimmed, "Message").and_then(|m| clean_message(&m));
    } else {
        let head: String = trimmed
            .chars()
            .take(2048)
            .collect::<String>()
            .to_ascii_lowercase();
        reading.html = head.starts_with("<!doctype html") || head.contains("<html");
    }
    reading
}

/// Code and message of a JSON error: top level or under `Error`/`error`, in the spellings AWS
/// services use (`__type` may be `namespace#Code`).
fn json_fields(v: &serde_json::Value) -> (Option<String>, Option<String>) {
    let pick = |obj: &serde_json::Value, keys: &[&str]| {
        keys.iter()
            .find_map(|k| obj.get(*k).and_then(|x| x.as_str()).map(str::to_string))
    };
    let mut scopes = vec![v];
    for k in ["Error", "error"] {
        if let Some(inner) = v.get(k).filter(|x| x.is_object()) {
            scopes.push(inner);
        }
    }
    let code = scopes
        .iter()
        .find_map(|s| pick(s, &["Code", "code", "__type", "errorCode", "ErrorCode"]))
        .map(|c| c.rsplit('#').next().unwrap_or("").to_string());
    let message = scopes
        .iter()
        .find_map(|s| pick(s, &["Message", "message", "errorMessage", "ErrorMessage"]));
    (code, message)
}

/// The text of the first `<name>…</name>`, entities decoded. No attributes, no nesting: AWS's
/// `<Code>` and `<Message>` have neither.
fn xml_element(text: &str, name: &str) -> Option<String> {
    let open = format!("<{name}>");
    let close = format!("</{name}>");
    let start = text.find(&open)? + open.len();
    let len = text[start..].find(&close)?;
    let raw = &text[start..start + len];
    if let Some(inner) = raw
        .trim()
        .strip_prefix("<![CDATA[")
        .and_then(|r| r.strip_suffix("]]>"))
    {
        return Some(inner.to_string());
    }
    Some(
        raw.replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&apos;", "'")
            .replace("&amp;", "&"),
    )
}

/// An error code is one short word of letters, digits and `._:-`; anything else is not one.
fn clean_code(code: &str) -> Option<String> {
    let code = code.trim();
    let ok = !code.is_empty()
        && code.len() <= MAX_CODE
        && code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | ':' | '-'));
    ok.then(|| code.to_string())
}

/// One line, no control characters, no token-shaped runs, at most [`MAX_MESSAGE`] characters.
fn clean_message(message: &str) -> Option<String> {
    let words: Vec<&str> = message
        .split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|w| !w.is_empty())
        .map(|w| {
            if w.chars().count() > MAX_WORD {
                "[…]"
            } else {
                w
            }
        })
        .collect();
    let line = words.join(" ");
    if line.is_empty() {
        return None;
    }
    if line.chars().count() <= MAX_MESSAGE {
        return Some(line);
    }
    let cut: String = line.chars().take(MAX_MESSAGE).collect();
    Some(format!("{cut}…"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(status: u16, body: &str) -> Reading {
        read(Some(status), body.as_bytes())
    }

    #[test]
    fn shapes_of_error_bodies() {
        // (status, body, code, message, html, described as)
        type Case<'a> = (
            u16,
            &'a str,
            Option<&'a str>,
            Option<&'a str>,
            bool,
            &'a str,
        );
        let cases: &[Case] = &[
            (
                403,
                "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>not authorized</Message></Error></ErrorResponse>",
                Some("AccessDenied"),
                Some("not authorized"),
                false,
                "HTTP 403, AccessDenied: not authorized",
            ),
            (
                403,
                "<?xml version=\"1.0\"?>\n<ErrorResponse><Errors><Error><Code>AccessDenied</Code><Message>User: arn:aws:iam::2:user/x is not authorized &amp; &lt;so&gt;</Message></Error></Errors></ErrorResponse>",
                Some("AccessDenied"),
                Some("User: arn:aws:iam::2:user/x is not authorized & <so>"),
                false,
                "HTTP 403, AccessDenied: User",
            ),
            (
                403,
                "<ErrorResponse><Errors><Error><Code>AccessDenied</Code><Message><![CDATA[a & <b>]]></Message></Error></Errors></ErrorResponse>",
                Some("AccessDenied"),
                Some("a & <b>"),
                false,
                "HTTP 403, AccessDenied: a & <b>",
            ),
            (
                400,
                r#"{"__type":"com.amazonaws.sts#ThrottlingException","message":"Rate exceeded"}"#,
                Some("ThrottlingException"),
                Some("Rate exceeded"),
                false,
                "HTTP 400, ThrottlingException: Rate exceeded",
            ),
            (
                500,
                r#"{"Error":{"Code":"InternalError","Message":"try again"}}"#,
                Some("InternalError"),
                Some("try again"),
                false,
                "HTTP 500, InternalError: try again",
            ),
            (
                403,
                "<!DOCTYPE html><html><body><h1>Access denied by proxy</h1></body></html>",
                None,
                None,
                true,
                "HTTP 403, an HTML page (a proxy or captive portal?)",
            ),
            (
                502,
                "\n  <HTML><HEAD><TITLE>502 Bad Gateway</TITLE></HEAD></HTML>",
                None,
                None,
                true,
                "HTTP 502, an HTML page",
            ),
            (500, "", None, None, false, "HTTP 500 with an empty body"),
            (
                500,
                "   \n",
                None,
                None,
                false,
                "HTTP 500 with an empty body",
            ),
            (
                503,
                "upstream connect error",
                None,
                None,
                false,
                "HTTP 503 with no error code in its body",
            ),
            (
                500,
                "{not json",
                None,
                None,
                false,
                "HTTP 500 with no error code",
            ),
            (
                500,
                "<Code>Not a code, it has spaces</Code>",
                None,
                None,
                false,
                "HTTP 500 with no error code",
            ),
            (
                500,
                "<Code>Unclosed",
                None,
                None,
                false,
                "HTTP 500 with no error code",
            ),
            (
                500,
                "<Code></Code><Message>m</Message>",
                None,
                None,
                false,
                "HTTP 500 with no error code",
            ),
        ];
        for (status, body, code, message, html, described) in cases {
            let got = r(*status, body);
            assert_eq!(got.code.as_deref(), *code, "{body}");
            assert_eq!(got.message.as_deref(), *message, "{body}");
            assert_eq!(got.html, *html, "{body}");
            assert!(
                got.describe().starts_with(described),
                "{body}: {}",
                got.describe()
            );
        }
    }

    #[test]
    fn nothing_but_code_and_message_leaves_and_both_are_bounded() {
        let token = "IQoJb3JpZ2luX2VjE".repeat(20);
        let body = format!(
            "<Error><Code>AccessDenied</Code><Message>bad\ttoken {token}\n{}</Message><Token>{token}</Token></Error>",
            "word ".repeat(200)
        );
        let got = r(403, &body);
        let m = got.message.unwrap();
        assert!(!m.contains("IQoJb3JpZ2lu"), "{m}");
        assert!(m.starts_with("bad token […] word"), "{m}");
        assert!(m.chars().count() <= MAX_MESSAGE + 1, "{}", m.len());
        assert!(!m.contains('\n') && !m.contains('\t'));
        let json = format!(r#"{{"code":"{}","message":"x"}}"#, "A".repeat(65));
        assert_eq!(r(400, &json).code, None, "over-long codes are not codes");
    }

    #[test]
    fn odd_bytes_never_panic() {
        let huge = "<html>".repeat(MAX_SCAN);
        let bodies: Vec<Vec<u8>> = vec![
            vec![0xff, 0xfe, 0x00, b'<'],
            b"<Code>\xe2\x82</Code>".to_vec(),
            "é<Code>é</Code>".as_bytes().to_vec(),
            huge.into_bytes(),
            b"{\"Error\": 5, \"code\": 7}".to_vec(),
        ];
        for b in bodies {
            let got = read(None, &b);
            let _ = got.describe();
        }
        // A multi-byte character cut at the scan limit is replaced, not a panic.
        let mut cut = vec![b'a'; MAX_SCAN - 1];
        cut.extend("é".as_bytes());
        let _ = read(Some(500), &cut);
    }
}
