//! Cache entry bytes → a valid entry or a miss; never a panic, never a served entry whose
//! recorded role differs from the plan's (src/fuzzing/cache_entry.rs).
#![no_main]
libfuzzer_sys::fuzz_target!(|bytes: &[u8]| xacct_cred::fuzzing::check_cache_entry(bytes));
