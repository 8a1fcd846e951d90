//! The arguments of `xacct-cred keys …` (the key store's commands; `cmd::keys` runs them).

use clap::{Args, Subcommand, ValueEnum};

pub const KEYS_ABOUT: &str =
    "Keep IAM user keys in the OS key store or an encrypted file, not ~/.aws/credentials";

pub const KEYS_AFTER_HELP: &str = "\
Examples:
  xacct-cred keys import dev            # move dev's keys out of ~/.aws/credentials
  xacct-cred keys add dev               # or type them in (the secret is not echoed)
  xacct-cred keys list
  xacct-cred keys rotate dev            # a new key in IAM and the store; the old one deleted
  [profile prod] source_profile = dev   # unchanged: dev now resolves from the store

Stores: secret-service (Linux desktops), keychain (macOS), wincred (Windows), keyutils
(Linux kernel, in memory: gone at reboot), file (encrypted with a passphrase from
XACCT_CRED_FILE_PASSPHRASE or the terminal; XACCT_CRED_KEYS_FILE says where).";

#[derive(Debug, Args)]
pub struct KeysArgs {
    #[command(subcommand)]
    pub action: KeysAction,
    /// The key store (default: the first of this platform's stores that answers).
    #[arg(long, global = true, value_enum, env = crate::env::KEYS_BACKEND)]
    pub backend: Option<KeysBackend>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum KeysBackend {
    SecretService,
    Keychain,
    Wincred,
    Keyutils,
    File,
}

#[derive(Debug, Subcommand)]
pub enum KeysAction {
    /// Store a profile's access key id and secret (asked on the terminal, or two lines on stdin).
    Add {
        /// The source profile the key belongs to (as source_profile names it).
        profile: String,
        /// Read the key id, then the secret, as two lines from standard input.
        #[arg(long)]
        stdin: bool,
        /// Also write `credential_process = xacct-cred keys export PROFILE` into the profile, for
        /// the AWS CLI and SDKs that use it directly.
        #[arg(long)]
        write_profile: bool,
    },
    /// Show the stored keys: profile, key id tail, store, age. Never a secret.
    List,
    /// Delete a profile's key (and its MFA session) from the store.
    Remove {
        /// The source profile the key belongs to.
        profile: String,
    },
    /// Move a profile's keys out of the shared credentials file into the store.
    Import {
        /// The source profile the key belongs to.
        profile: String,
    },
    /// Replace a profile's stored key with a new one (IAM CreateAccessKey, check, DeleteAccessKey of the old).
    Rotate {
        /// The source profile the key belongs to.
        profile: String,
    },
    /// Print a profile's stored key as credential_process JSON (for `credential_process = xacct-cred keys export PROFILE`).
    Export {
        /// The source profile the key belongs to.
        profile: String,
    },
}
