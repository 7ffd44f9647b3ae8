//! Fuzz target `event_frame`: runs `assist_core::fuzzing::check_event_frame` on each input; a violated invariant is a crash.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Err(violation) = assist_core::fuzzing::check_event_frame(data) {
        panic!("event_frame: {violation}");
    }
});
