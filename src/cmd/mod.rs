//! One file per subcommand beyond the default credential_process one.

pub mod cache;
