//! One file per subcommand, the default credential_process one included.

pub mod background_renewal;
pub mod cache;
pub mod console;
pub mod credential_process;
pub mod doctor;
pub mod exec;
pub mod generate;
pub mod keys;
pub mod policy;
pub mod serve;
pub mod setup;
