//! `console --federated --open`'s local redirect page: the sign-in URL carries a token that
//! signs anyone in, so the browser is handed a file to open (its path is all that reaches the
//! opener's argv, which every local user sees in `ps`), not the URL.
//!
//! The page is created exclusively, 0600, in `console/` under the cache directory (0700, the
//! user's own, checked as the cache is). It cannot be removed once the browser has read it,
//! since nothing says when that is: each run removes the pages older than the sign-in token's
//! 15 minutes, and the token works only once anyway. Never writes the URL anywhere else.

use crate::cache::CacheDir;
use crate::error::{Error, Result};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// AWS's sign-in tokens last 15 minutes; a page older than that opens nothing.
const PAGE_LIFETIME: Duration = Duration::from_secs(15 * 60);
const PREFIX: &str = "signin-";

/// Writes the page for `url` into `console/` under `cache_dir`, after removing expired pages.
pub(super) fn write_page(cache_dir: PathBuf, url: &str) -> Result<PathBuf> {
    CacheDir::open(cache_dir.clone())?;
    let dir = CacheDir::open(cache_dir.join("console"))?;
    sweep(dir.path(), SystemTime::now());
    let path = dir.path().join(format!("{PREFIX}{}.html", random_name()?));
    let written = create_private(&path).and_then(|mut f| {
        f.write_all(page(url).as_bytes())?;
        f.sync_all()
    });
    written.map_err(|e| {
        let _ = std::fs::remove_file(&path);
        Error::cache(format!(
            "could not write the sign-in page {}: {e}",
            path.display()
        ))
        .hint("Run without --open: the URL is printed on stdout.")
    })?;
    Ok(path)
}

/// Removes the pages in `dir` written more than [`PAGE_LIFETIME`] before `now`.
fn sweep(dir: &Path, now: SystemTime) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let ours = name
            .to_str()
            .is_some_and(|n| n.starts_with(PREFIX) && n.ends_with(".html"));
        let expired = entry
            .metadata()
            .and_then(|m| m.modified())
            .is_ok_and(|t| now.duration_since(t).is_ok_and(|age| age > PAGE_LIFETIME));
        if ours && expired {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

fn random_name() -> Result<String> {
    crate::disk::private_file::random_hex(16).map_err(|_| {
        Error::config("could not get random bytes for the sign-in page's name")
            .hint("Run without --open: the URL is printed on stdout.")
    })
}

#[cfg(unix)]
fn create_private(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
}

#[cfg(not(unix))]
fn create_private(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
}

/// A page that goes to `url` at once: a meta refresh, a script for browsers that block it, and
/// a link. No referrer, so the sign-in URL is not sent on to the console.
pub(super) fn page(url: &str) -> String {
    let attr = html_escape(url);
    // As a JS string: JSON's escaping, and no `<` that could close the script element.
    let js = serde_json::to_string(url)
        .unwrap_or_default()
        .replace('<', "\\u003c");
    format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">\
         <meta name=\"referrer\" content=\"no-referrer\">\
         <meta http-equiv=\"refresh\" content=\"0;url={attr}\">\
         <title>AWS console sign-in</title></head>\n\
         <body><script>location.replace({js});</script>\
         <a href=\"{attr}\">Continue to the AWS console</a></body></html>\n"
    )
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_redirects_to_the_url_and_nothing_in_it_can_break_out() {
        let url = "https://signin.example/federation?Action=login&SigninToken=t\"</script><b>";
        let html = page(url);
        assert!(html.contains("content=\"0;url=https://signin.example/federation?Action=login&amp;SigninToken=t&quot;&lt;/script&gt;&lt;b&gt;\""), "{html}");
        assert!(html.contains(r#"location.replace("https://signin.example/federation?Action=login&SigninToken=t\"\u003c/script>\u003cb>");"#), "{html}");
        assert_eq!(html.matches("</script>").count(), 1, "{html}");
    }

    #[test]
    fn only_expired_pages_of_ours_are_swept() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["signin-old.html", "signin-new.html", "other.html"] {
            std::fs::write(dir.path().join(name), "x").unwrap();
        }
        let later = SystemTime::now() + PAGE_LIFETIME + Duration::from_secs(5);
        sweep(dir.path(), SystemTime::now());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 3);
        sweep(dir.path(), later);
        let left: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(left, ["other.html"]);
    }
}
