//! The file backend's encryption: a key derived from the passphrase with scrypt, and the
//! contents sealed with ChaCha20-Poly1305 — age's passphrase construction, from AWS-LC (which
//! xacct-cred already links for TLS), with the header authenticated as associated data.
//!
//! Pure: bytes in, bytes out. It never writes a file and never sees where the passphrase came
//! from; an error never contains plaintext.

use aws_lc_rs::aead::{Aad, CHACHA20_POLY1305, LessSafeKey, Nonce, UnboundKey};

/// The first line of every sealed file.
const MAGIC: &[u8] = b"xacct-cred keys v1\n";
/// scrypt's cost: N = 2^LOG_N, r = 8, p = 1 (64 MiB, ~0.2 s here). Written into the header,
/// so a later version may raise it and still read older files.
const LOG_N: u8 = 16;
const R: u32 = 8;
const P: u32 = 1;
/// What a header may ask for at most, so a crafted file cannot make us allocate gigabytes or
/// spend minutes: N up to 2^20, scrypt's memory 128·r·N up to 256 MiB (4 times ours), p up to 2.
const MAX_LOG_N: u8 = 20;
const MAX_MEMORY: u64 = 256 << 20;
const MAX_P: u32 = 2;
const SALT_LEN: usize = 16;
const NONCE_LEN: usize = 12;
const HEADER_LEN: usize = MAGIC.len() + 1 + 4 + 4 + SALT_LEN + NONCE_LEN;

/// A key derived from the passphrase and a salt: it seals any number of times (each with a
/// fresh random nonce), so one process derives once (scrypt is the slow part, on purpose).
pub struct Sealer {
    key: LessSafeKey,
    log_n: u8,
    r: u32,
    p: u32,
    salt: [u8; SALT_LEN],
}

impl Sealer {
    /// A sealer with a fresh salt, for a new file.
    pub fn new(passphrase: &str) -> Result<Sealer, String> {
        let mut salt = [0u8; SALT_LEN];
        aws_lc_rs::rand::fill(&mut salt).map_err(|_| "no random numbers")?;
        Ok(Sealer {
            key: derive(passphrase, &salt, LOG_N, R, P)?,
            log_n: LOG_N,
            r: R,
            p: P,
            salt,
        })
    }

    pub fn seal(&self, plain: &[u8]) -> Result<Vec<u8>, String> {
        let mut nonce = [0u8; NONCE_LEN];
        aws_lc_rs::rand::fill(&mut nonce).map_err(|_| "no random numbers")?;
        let mut out = Vec::with_capacity(HEADER_LEN + plain.len() + 16);
        out.extend_from_slice(MAGIC);
        out.push(self.log_n);
        out.extend_from_slice(&self.r.to_be_bytes());
        out.extend_from_slice(&self.p.to_be_bytes());
        out.extend_from_slice(&self.salt);
        out.extend_from_slice(&nonce);
        let mut body = plain.to_vec();
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(&out[..]),
                &mut body,
            )
            .map_err(|_| "encryption failed")?;
        out.extend_from_slice(&body);
        Ok(out)
    }
}

/// Opens what [`Sealer::seal`] wrote, and gives the sealer (same salt, same key) that writes
/// it back; a wrong passphrase and a changed byte are the same failure.
pub fn open(passphrase: &str, sealed: &[u8]) -> Result<(Vec<u8>, Sealer), String> {
    if sealed.len() < HEADER_LEN + 16 || !sealed.starts_with(MAGIC) {
        return Err("it is not an xacct-cred key file".into());
    }
    let (header, body) = sealed.split_at(HEADER_LEN);
    let rest = &header[MAGIC.len()..];
    let log_n = rest[0];
    let r = u32::from_be_bytes(rest[1..5].try_into().expect("4 bytes"));
    let p = u32::from_be_bytes(rest[5..9].try_into().expect("4 bytes"));
    let salt: [u8; SALT_LEN] = rest[9..9 + SALT_LEN].try_into().expect("16 bytes");
    let nonce: [u8; NONCE_LEN] = rest[9 + SALT_LEN..].try_into().expect("12 bytes");
    let in_range = (10..=MAX_LOG_N).contains(&log_n)
        && (1..=32).contains(&r)
        && (1..=MAX_P).contains(&p)
        && 128 * u64::from(r) * (1u64 << log_n) <= MAX_MEMORY;
    if !in_range {
        return Err("its scrypt parameters are out of range".into());
    }
    let key = derive(passphrase, &salt, log_n, r, p)?;
    let mut body = body.to_vec();
    let plain = key
        .open_in_place(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(header),
            &mut body,
        )
        .map_err(|_| "the passphrase is wrong, or the file was changed".to_string())?
        .to_vec();
    Ok((
        plain,
        Sealer {
            key,
            log_n,
            r,
            p,
            salt,
        },
    ))
}

fn derive(passphrase: &str, salt: &[u8], log_n: u8, r: u32, p: u32) -> Result<LessSafeKey, String> {
    let mut key = [0u8; 32];
    let n: u64 = 1 << log_n;
    // scrypt needs 128·r·N bytes (and a little more); allow twice that.
    let max_mem = 256 * (r as usize) * (n as usize);
    // SAFETY: every pointer is valid for the length passed with it, for the duration of the
    // call: the passphrase and salt are borrowed slices, `key` is a local array; AWS-LC reads
    // the first two and writes exactly `key.len()` bytes to the last.
    let ok = unsafe {
        aws_lc_sys::EVP_PBE_scrypt(
            passphrase.as_ptr().cast(),
            passphrase.len(),
            salt.as_ptr(),
            salt.len(),
            n,
            u64::from(r),
            u64::from(p),
            max_mem,
            key.as_mut_ptr(),
            key.len(),
        )
    };
    if ok != 1 {
        return Err("the key derivation (scrypt) failed".into());
    }
    let unbound = UnboundKey::new(&CHACHA20_POLY1305, &key).map_err(|_| "bad key length")?;
    key.fill(0);
    Ok(LessSafeKey::new(unbound))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_bytes_open_only_with_the_passphrase_and_unchanged() {
        let plain = b"{\"asi-dev\":\"secret-material\"}";
        let sealed = Sealer::new("correct horse").unwrap().seal(plain).unwrap();
        assert!(sealed.starts_with(MAGIC));
        assert!(
            !sealed.windows(15).any(|w| w == b"secret-material"),
            "the plaintext is not in the file"
        );
        let (opened, again) = open("correct horse", &sealed).unwrap();
        assert_eq!(opened, plain);
        let resealed = again.seal(plain).unwrap();
        assert_ne!(resealed, sealed, "a fresh nonce");
        assert_eq!(open("correct horse", &resealed).unwrap().0, plain);
        assert!(open("wrong horse", &sealed).is_err());
        for at in [MAGIC.len(), MAGIC.len() + 12, sealed.len() - 1] {
            let mut changed = sealed.clone();
            changed[at] ^= 1;
            assert!(open("correct horse", &changed).is_err(), "byte {at}");
        }
        let other = Sealer::new("correct horse").unwrap().seal(plain).unwrap();
        let salt = MAGIC.len() + 9..MAGIC.len() + 9 + SALT_LEN;
        assert_ne!(
            other[salt.clone()],
            sealed[salt],
            "a fresh salt per new file"
        );
    }

    #[test]
    fn a_header_asking_for_huge_memory_is_refused_before_deriving() {
        let mut sealed = Sealer::new("p").unwrap().seal(b"x").unwrap();
        sealed[MAGIC.len()] = 40;
        assert_eq!(
            open("p", &sealed).err().unwrap(),
            "its scrypt parameters are out of range"
        );
        assert!(open("p", b"short").is_err());
    }

    /// N = 2^20, r = 32, p = 4 is within each bound alone but costs ~4 GiB and minutes.
    #[test]
    fn a_header_whose_parameters_together_cost_too_much_is_refused() {
        let sealed = Sealer::new("p").unwrap().seal(b"x").unwrap();
        let crafted = |log_n: u8, r: u32, p: u32| {
            let mut c = sealed.clone();
            let at = MAGIC.len();
            c[at] = log_n;
            c[at + 1..at + 5].copy_from_slice(&r.to_be_bytes());
            c[at + 5..at + 9].copy_from_slice(&p.to_be_bytes());
            c
        };
        for (log_n, r, p) in [(20, 32, 4), (20, 8, 1), (17, 32, 1), (16, 8, 3)] {
            assert_eq!(
                open("p", &crafted(log_n, r, p)).err().unwrap(),
                "its scrypt parameters are out of range",
                "log_n {log_n}, r {r}, p {p}"
            );
        }
        // At the bound (256 MiB) it derives, and fails only on the changed header.
        assert_eq!(
            open("p", &crafted(18, 8, 1)).err().unwrap(),
            "the passphrase is wrong, or the file was changed"
        );
    }
}
