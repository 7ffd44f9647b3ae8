//! Fuzz target `redact`: runs `assist_core::fuzzing::check_redact` on each input; a violated invariant is a crash.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Err(violation) = assist_core::fuzzing::check_redact(data) {
        panic!("redact: {violation}");
    }
});
