//! Fuzz target `kb_page`: runs `assist_core::fuzzing::check_kb_page` on each input; a violated invariant is a crash.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Err(violation) = assist_core::fuzzing::check_kb_page(data) {
        panic!("kb_page: {violation}");
    }
});
