#!/usr/bin/env bash
# CI stage: the cargo-fuzz targets still build (stable toolchain + RUSTC_BOOTSTRAP=1). Running them: scripts/fuzz.sh.
# Their regression inputs run as ordinary tests in src-tauri/core/tests/fuzz_regressions.rs.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
command -v cargo-fuzz >/dev/null || { echo "fuzz-build: cargo-fuzz missing (scripts/install-deps.sh --tests)" >&2; exit 1; }
RUSTC_BOOTSTRAP=1 cargo fuzz build -a ${CARGO_TARGET_DIR:+--target-dir "$CARGO_TARGET_DIR/fuzz"}
