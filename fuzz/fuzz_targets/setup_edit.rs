//! setup's editor on any config text aws-config accepts and any setup arguments: every line
//! kept in order, the same profiles plus the new ones, idempotent (src/fuzzing/setup_edit.rs).
//! Input: config `%%` setup's `--flag value` lines.
#![no_main]
libfuzzer_sys::fuzz_target!(|bytes: &[u8]| xacct_cred::fuzzing::check_setup_input(bytes));
