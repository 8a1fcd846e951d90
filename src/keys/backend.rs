//! Which store holds the keys: `--backend` / `XACCT_CRED_KEYS_BACKEND`, else the first of this
//! platform's stores that answers, with the reason `doctor` and `keys list` show.
//!
//! The rule is pure ([`choose`]); whether a store answers is asked through a probe, so tests
//! decide it. It never reads or writes an item.

use crate::env::{self, Environment};
use crate::error::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// The desktop's Secret Service (GNOME Keyring, KWallet) over D-Bus.
    SecretService,
    /// The macOS login keychain.
    Keychain,
    /// The Windows Credential Manager.
    WinCred,
    /// The Linux kernel's key store (persistent keyring): in memory only.
    Keyutils,
    /// A file encrypted with a passphrase.
    File,
}

impl Backend {
    pub const ALL: [Backend; 5] = [
        Backend::SecretService,
        Backend::Keychain,
        Backend::WinCred,
        Backend::Keyutils,
        Backend::File,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Backend::SecretService => "secret-service",
            Backend::Keychain => "keychain",
            Backend::WinCred => "wincred",
            Backend::Keyutils => "keyutils",
            Backend::File => "file",
        }
    }

    pub fn parse(name: &str) -> Option<Backend> {
        Backend::ALL.into_iter().find(|b| b.name() == name)
    }

    /// The stores this build has, in the order "first available" tries them.
    pub fn on_this_platform() -> &'static [Backend] {
        if cfg!(target_os = "macos") {
            &[Backend::Keychain, Backend::File]
        } else if cfg!(windows) {
            &[Backend::WinCred, Backend::File]
        } else if cfg!(target_os = "linux") {
            &[Backend::SecretService, Backend::Keyutils, Backend::File]
        } else if cfg!(unix) {
            &[Backend::SecretService, Backend::File]
        } else {
            &[Backend::File]
        }
    }

    /// Whether it loses its items without being asked (keyutils: at reboot).
    pub fn forgets(self) -> bool {
        self == Backend::Keyutils
    }

    /// How long an item lives there, for `keys add` and `doctor`.
    pub fn persistence(self) -> &'static str {
        match self {
            Backend::Keyutils => {
                "in kernel memory only: gone at reboot; kept while the user has processes, and, where the kernel lets it into the persistent keyring, up to its expiry after the last one (/proc/sys/kernel/keys/persistent_keyring_expiry, 3 days by default)"
            }
            Backend::File => "on disk, encrypted with the passphrase",
            _ => "until removed",
        }
    }
}

/// The store chosen, and why (for `doctor` and `keys list`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    pub backend: Backend,
    pub why: String,
    /// Named by the user (flag or variable), not the first that answered.
    pub named: bool,
}

/// `flag` (from `--backend`), else `XACCT_CRED_KEYS_BACKEND`, else `XACCT_CRED_KEYS_FILE` (the
/// file), else the first store of this platform that `probe` says answers.
pub fn choose(
    flag: Option<Backend>,
    env: &Environment,
    probe: &dyn Fn(Backend) -> std::result::Result<(), String>,
) -> Result<Choice> {
    let named = match (flag, env.get(env::KEYS_BACKEND)) {
        (Some(b), _) => Some((b, format!("--backend {}", b.name()))),
        (None, Some(text)) => {
            let b = Backend::parse(text).ok_or_else(|| {
                Error::config(format!("{} = {text} is not a key store", env::KEYS_BACKEND))
                    .hint(format!("Use one of: {}.", names(&Backend::ALL)))
            })?;
            Some((b, format!("{}={text}", env::KEYS_BACKEND)))
        }
        (None, None) => None,
    };
    if let Some((backend, why)) = named {
        if !Backend::on_this_platform().contains(&backend) {
            return Err(Error::config(format!(
                "the key store {} ({why}) does not exist on this platform",
                backend.name()
            ))
            .hint(format!(
                "Use one of: {}.",
                names(Backend::on_this_platform())
            )));
        }
        return Ok(Choice {
            backend,
            why,
            named: true,
        });
    }
    if env.get(env::KEYS_FILE).is_some() {
        return Ok(Choice {
            backend: Backend::File,
            why: format!("{} is set", env::KEYS_FILE),
            named: true,
        });
    }
    let mut passed = Vec::new();
    for &backend in Backend::on_this_platform() {
        if backend == Backend::File {
            break;
        }
        match probe(backend) {
            Ok(()) => {
                let mut why = format!("the first store that answers: {}", backend.name());
                if !passed.is_empty() {
                    why.push_str(&format!(" ({})", passed.join("; ")));
                }
                return Ok(Choice {
                    backend,
                    why,
                    named: false,
                });
            }
            Err(e) => passed.push(format!("no {}: {e}", backend.name())),
        }
    }
    Ok(Choice {
        backend: Backend::File,
        why: format!("no OS store answers ({})", passed.join("; ")),
        named: false,
    })
}

fn names(backends: &[Backend]) -> String {
    backends
        .iter()
        .map(|b| b.name())
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_flag_then_the_variable_then_the_first_store_that_answers() {
        let none = Environment::default();
        let all_answer = |_: Backend| Ok(());
        let first = Backend::on_this_platform()[0];
        let c = choose(Some(Backend::File), &none, &all_answer).unwrap();
        assert_eq!(
            (c.backend, c.why.as_str()),
            (Backend::File, "--backend file")
        );
        let env = Environment::from_pairs([(env::KEYS_BACKEND, "file")]);
        let c = choose(None, &env, &|_| panic!("no probing when named")).unwrap();
        assert_eq!(c.why, "XACCT_CRED_KEYS_BACKEND=file");
        let c = choose(None, &none, &all_answer).unwrap();
        assert_eq!(c.backend, first);
        let c = choose(None, &none, &|_| Err("nothing on the bus".into())).unwrap();
        assert_eq!(c.backend, Backend::File);
        assert!(c.why.contains("nothing on the bus"), "{}", c.why);
        let env = Environment::from_pairs([(env::KEYS_FILE, "/x/keys")]);
        assert_eq!(
            choose(None, &env, &all_answer).unwrap().backend,
            Backend::File
        );
    }

    #[test]
    fn an_unknown_or_foreign_store_is_refused_with_the_names_that_work() {
        let env = Environment::from_pairs([(env::KEYS_BACKEND, "kwallet")]);
        let e = choose(None, &env, &|_| Ok(())).unwrap_err();
        assert!(e.to_string().contains("secret-service, keychain"), "{e}");
        let foreign = Backend::ALL
            .into_iter()
            .find(|b| !Backend::on_this_platform().contains(b))
            .unwrap();
        let e = choose(Some(foreign), &Environment::default(), &|_| Ok(())).unwrap_err();
        assert!(e.what().contains("does not exist on this platform"), "{e}");
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn on_linux_keyutils_comes_after_a_secret_service_that_does_not_answer() {
        let probe = |b: Backend| match b {
            Backend::SecretService => Err("no session bus".to_string()),
            _ => Ok(()),
        };
        let c = choose(None, &Environment::default(), &probe).unwrap();
        assert_eq!(c.backend, Backend::Keyutils);
        assert!(
            c.why.contains("no secret-service: no session bus"),
            "{}",
            c.why
        );
    }
}
