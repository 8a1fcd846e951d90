//! The shared AWS config and credentials files: [`paths`] finds them, [`files`] reads them as
//! the SDKs do (on the cache-hit path, so cheaply and without a runtime); [`ini`] edits the config file's text the way
//! users keep it (for `setup`; `crate::disk` writes it); [`lines`] takes key lines out of a
//! profile or sets one (`keys import`, the `keys export` line).

mod files;
pub mod ini;
pub mod lines;
mod paths;
pub mod self_command;

pub use files::{SharedConfig, read_profiles};
pub use paths::file_paths_to_edit;
