//! The shared AWS config and credentials files: [`files`] reads them as the SDKs do (on the
//! cache-hit path, so cheaply and without a runtime); [`ini`] edits the config file's text the way
//! users keep it (for `setup`; `crate::disk` writes it).

mod files;
pub mod ini;
pub mod self_command;

pub use files::{SharedConfig, file_paths};
