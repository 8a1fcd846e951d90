//! The credential endpoint's request parser on any bytes (src/fuzzing/endpoint.rs).
#![no_main]
libfuzzer_sys::fuzz_target!(|bytes: &[u8]| xacct_cred::fuzzing::check_request(bytes));
