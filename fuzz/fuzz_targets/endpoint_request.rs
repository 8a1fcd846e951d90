//! The credential endpoint's request decision on any request head (src/fuzzing/endpoint_request.rs).
#![no_main]
libfuzzer_sys::fuzz_target!(|bytes: &[u8]| xacct_cred::fuzzing::check_request(bytes));
