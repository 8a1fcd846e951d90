//! ARN and field validation: any text keeps each type's rule (src/fuzzing/role_fields.rs).
#![no_main]
libfuzzer_sys::fuzz_target!(|bytes: &[u8]| {
    if let Ok(text) = std::str::from_utf8(bytes) {
        xacct_cred::fuzzing::check_fields(text);
    }
});
