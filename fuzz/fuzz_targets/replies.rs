//! The replies xacct-cred parses itself: a first byte 0 picks the federation endpoint's
//! getSigninToken reply, 2 an error reply (status in the next two bytes), any other the IMDS
//! credentials document (src/fuzzing/replies.rs).
#![no_main]
libfuzzer_sys::fuzz_target!(|bytes: &[u8]| xacct_cred::fuzzing::check_reply_input(bytes));
