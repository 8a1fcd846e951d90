//! Not API: the properties of every parser, editor and encoder the binary owns, as functions
//! that panic when a property fails.
//!
//! The cargo-fuzz targets in `fuzz/` call them on millions of inputs (built with the `fuzzing`
//! feature, which alone makes this module public); the property tests in [`props`] call them on
//! a few hundred generated inputs in every `cargo test`. One home per property, so the fuzzers
//! and the tests cannot drift apart. Nothing here touches the network or the real files.

mod cache;
mod endpoint;
mod export;
mod fields;
mod input;
mod plan;
mod replies;
mod setup;

#[cfg(test)]
mod props;
#[cfg(test)]
mod shells;

pub use cache::check_cache_entry;
pub use endpoint::check_request;
pub use export::check_export;
pub use fields::check_fields;
pub use input::{check_export_input, check_plan_input, check_reply_input, check_setup_input};
pub use plan::{Flags, check_plan, credential_source};
pub use replies::{check_error_reply, check_imds_reply, check_signin_reply};
pub use setup::{SetupInput, check_setup};

pub use crate::plan::RoleInputs;
