//! The endpoint's authorization token: 32 bytes from the operating system's random source,
//! held only in memory (and in the `--token-file` a user asks for), checked in constant time.
//!
//! The random bytes come from aws-lc-rs (`RAND_bytes`, seeded by the OS: getrandom(2) on
//! Linux), which rustls already links into this binary for TLS: a vetted CSPRNG on every
//! platform, with no new code compiled. Nothing here prints the token: `Debug` is redacted and
//! [`Token::expose`] is used only for the child's environment, the variables `serve` prints,
//! and the token file.

use crate::error::{Error, Result};
use sha2::{Digest, Sha256};

/// 256 bits: far beyond guessing, over a loopback socket or otherwise.
const BYTES: usize = 32;

pub struct Token {
    /// Lowercase hex: safe in a header, an environment variable, a file and every shell.
    text: String,
    digest: [u8; 32],
}

impl Token {
    pub fn generate() -> Result<Token> {
        let mut bytes = [0u8; BYTES];
        aws_lc_rs::rand::fill(&mut bytes).map_err(|_| {
            Error::config(
                "could not get random bytes from the operating system for the endpoint's token",
            )
            .hint("The system's random source is unavailable; nothing was started.")
        })?;
        let text: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        Ok(Token::from_text(text))
    }

    pub(crate) fn from_text(text: String) -> Token {
        let digest = Sha256::digest(text.as_bytes()).into();
        Token { text, digest }
    }

    pub fn expose(&self) -> &str {
        &self.text
    }

    /// Whether `presented` is exactly the token. Both sides are hashed first, so the time taken
    /// depends on neither the token nor how many leading bytes of it a guess got right, and the
    /// comparison of the digests touches every byte with no early exit.
    pub fn matches(&self, presented: Option<&[u8]>) -> bool {
        let Some(presented) = presented else {
            return false;
        };
        let theirs: [u8; 32] = Sha256::digest(presented).into();
        let mut diff = 0u8;
        for (a, b) in self.digest.iter().zip(theirs.iter()) {
            diff |= a ^ b;
        }
        std::hint::black_box(diff) == 0
    }
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(** redacted **)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_random_hex_and_never_repeat() {
        let a = Token::generate().unwrap();
        let b = Token::generate().unwrap();
        assert_eq!(a.expose().len(), 64);
        assert!(a.expose().bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a.expose(), b.expose());
        assert!(!format!("{a:?}").contains(a.expose()));
    }

    #[test]
    fn only_the_exact_token_matches() {
        let t = Token::from_text("abc123".into());
        assert!(t.matches(Some(b"abc123")));
        for wrong in [
            &b""[..],
            b"abc12",
            b"abc1234",
            b"ABC123",
            b"abc123 ",
            b"Bearer abc123",
        ] {
            assert!(!t.matches(Some(wrong)), "{wrong:?}");
        }
        assert!(!t.matches(None));
    }
}
