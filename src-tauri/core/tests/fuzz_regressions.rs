//! Replays every input kept under `fuzz/regressions/<target>/` and `fuzz/corpus/<target>/` through the same
//! invariant check as the cargo-fuzz target of that name (`assist_core::fuzzing`), as an ordinary test.

use std::path::{Path, PathBuf};

use assist_core::fuzzing::{check_for, TARGETS};

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz")
}

/// Runs every file under `fuzz/<kind>/<target>/`; returns how many ran.
fn replay(kind: &str) -> usize {
    let mut ran = 0;
    for (target, _) in TARGETS {
        let dir = fuzz_dir().join(kind).join(target);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let check = check_for(target).unwrap();
        for entry in entries {
            let path = entry.unwrap().path();
            let input = std::fs::read(&path).unwrap();
            if let Err(violation) = check(&input) {
                panic!("{}: {violation}", path.display());
            }
            ran += 1;
        }
    }
    ran
}

#[test]
fn every_kept_crash_input_now_passes_its_check() {
    assert!(replay("regressions") > 0, "no regression inputs found");
}

#[test]
fn the_seed_corpus_passes_every_check() {
    assert!(replay("corpus") >= TARGETS.len(), "seed corpus missing");
}

#[test]
fn every_target_has_a_seed_corpus_folder() {
    for (target, _) in TARGETS {
        assert!(
            fuzz_dir().join("corpus").join(target).is_dir(),
            "fuzz/corpus/{target} missing"
        );
    }
}
