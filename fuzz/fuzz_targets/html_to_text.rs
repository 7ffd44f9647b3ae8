//! Fuzz target `html_to_text`: runs `assist_core::fuzzing::check_html_to_text` on each input; a violated invariant is a crash.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Err(violation) = assist_core::fuzzing::check_html_to_text(data) {
        panic!("html_to_text: {violation}");
    }
});
