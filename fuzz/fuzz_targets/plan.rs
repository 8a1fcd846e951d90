//! Arbitrary config text (both files) + arbitrary flags and environment → a plan or an error;
//! never a panic, never a secret from the input in the error (src/fuzzing/plan.rs). Input:
//! config `%%` credentials `%%` `--flag value` lines `%%` `NAME=value` lines.
#![no_main]
libfuzzer_sys::fuzz_target!(|bytes: &[u8]| xacct_cred::fuzzing::check_plan_input(bytes));
