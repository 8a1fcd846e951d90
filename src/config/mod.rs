//! The shared AWS config and credentials files: [`files`] reads them as the SDKs do (on the
//! cache-hit path, so cheaply and without a runtime); [`edit`] changes the config file the way
//! users keep it (for `setup`).

pub mod edit;
mod files;

pub use files::{SharedConfig, file_paths};
