//! Export rendering: any values round-trip through each format's reference parser, or are
//! refused clearly (src/fuzzing/export.rs). Input: key id `%%` secret `%%` token.
#![no_main]
libfuzzer_sys::fuzz_target!(|bytes: &[u8]| xacct_cred::fuzzing::check_export_input(bytes));
