//! A missing / unloadable ONNX Runtime library is an error naming the fix, never a panic.
//! Own test binary: loading ONNX Runtime is process-global, so nothing else may run here.

use assist_core::assets::AssetPaths;
use assist_core::nlp::{EmbedError, MiniLmEmbedder, MiniLmOptions};
use assist_core::testing::real_asset_paths;

#[test]
fn missing_or_broken_onnx_runtime_is_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let real = real_asset_paths();
    let copy = AssetPaths::in_dir(tmp.path());
    for (from, dest) in real.files().iter().zip(copy.files()) {
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        if dest != copy.ort_dylib.as_path() {
            std::fs::copy(from, dest).unwrap();
        }
    }

    // Missing library: locate reports it with the fix.
    let err =
        MiniLmEmbedder::from_candidates(&[tmp.path().to_path_buf()], &MiniLmOptions::default())
            .unwrap_err();
    let EmbedError::Assets(msg) = err else {
        panic!("expected Assets error")
    };
    assert!(
        msg.contains("onnxruntime/libonnxruntime.so") && msg.contains("fetch-assets.py"),
        "{msg}"
    );

    // A file that is not a shared library: loading it fails cleanly (no panic).
    std::fs::write(&copy.ort_dylib, vec![0x42u8; 2_000_000]).unwrap();
    let err = MiniLmEmbedder::load(&copy, &MiniLmOptions::default()).unwrap_err();
    let EmbedError::Assets(msg) = err else {
        panic!("expected Assets error")
    };
    assert!(
        msg.contains("ONNX Runtime library") && msg.contains("fetch-assets.py"),
        "{msg}"
    );
}
