//! Not API: the properties of every parser, editor and encoder the binary owns, as functions
//! that panic when a property fails.
//!
//! The cargo-fuzz targets in `fuzz/` call them on millions of inputs (built with the `fuzzing`
//! feature, which alone makes this module public); the property tests in [`props`] call them on
//! a few hundred generated inputs in every `cargo test`. One home per property, so the fuzzers
//! and the tests cannot drift apart. Nothing here touches the network or the real files.

mod cache_entry;
mod endpoint_request;
mod export;
mod input;
mod plan;
mod replies;
mod role_fields;
mod setup_edit;

#[cfg(test)]
mod props;
#[cfg(test)]
mod shells;

pub use cache_entry::check_cache_entry;
pub use endpoint_request::check_request;
pub use export::check_export;
pub use input::{check_export_input, check_plan_input, check_reply_input, check_setup_input};
pub use plan::{Flags, check_plan, credential_source};
pub use replies::{check_error_reply, check_imds_reply, check_signin_reply};
pub use role_fields::check_fields;
pub use setup_edit::{SetupInput, check_setup};

pub use crate::plan::RoleInputs;
