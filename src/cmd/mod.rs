//! One file per subcommand beyond the default credential_process one.

pub mod cache;
pub mod console;
pub mod doctor;
pub mod exec;
pub mod generate;
pub mod policy;
pub mod setup;
