#!/usr/bin/env bash
# Installs what is missing, then runs every gate and every test suite (what CI runs via .ci/run).
#   scripts/test.sh
# Stages: fmt, clippy, rustdoc, "core does not depend on tauri", Rust unit + integration tests (real model, real sled,
# loopback simulator, real gnome-keyring under dbus-run-session), fuzz-target build, WebDriver E2E under Xvfb.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
LOGDIR=${SUPERVISOR_ASSIST_TEST_LOGS:-$ROOT/artifacts/test-logs}
mkdir -p "$LOGDIR"
start=$(date +%s)
stage() { printf '\n=== %s (%ss) ===\n' "$1" "$(( $(date +%s) - start ))"; }

# One-shot runs gain nothing from incremental caches (they were 13 GB of a warm target); a developer can set it back.
export CARGO_INCREMENTAL=${CARGO_INCREMENTAL:-0}
# Absolute, so fuzz-build.sh (which runs in fuzz/) and this script mean the same folder.
if [[ -n ${CARGO_TARGET_DIR:-} ]]; then export CARGO_TARGET_DIR; CARGO_TARGET_DIR=$(realpath -m "$CARGO_TARGET_DIR"); fi
target_dir=${CARGO_TARGET_DIR:-$ROOT/target}
disk_report() {  # free space where the build writes; a cold run peaked at 5.4 GB (README troubleshooting)
  local free_kb; mkdir -p "$target_dir" || return 0
  free_kb=$(df -Pk "$target_dir" 2>/dev/null | awk 'NR==2 {print $4}') || true
  [[ $free_kb =~ ^[0-9]+$ ]] || { echo "disk: free space unknown at $target_dir"; return 0; }
  echo "disk: $(( free_kb / 1024 / 1024 )) GiB free at $target_dir; target uses $(du -sh "$target_dir" 2>/dev/null | cut -f1)"
  if (( free_kb < 8 * 1024 * 1024 )); then echo "disk: WARNING less than 8 GiB free; a cold build may fail with 'No space left on device'" >&2; fi
}
disk_report

stage "install dependencies"
scripts/install-deps.sh --tests

stage "cargo fmt --check"
cargo fmt --all -- --check

stage "cargo clippy -D warnings"
cargo clippy --workspace --all-targets --quiet -- -D warnings

stage "rustdoc without warnings"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --quiet

stage "core crate does not depend on tauri"
# Match crate names (the path src-tauri/core itself contains "tauri").
if cargo tree -p assist-core -e normal --prefix none --format '{p}' | awk '{print $1}' | grep -E '^tauri'; then
  echo "FAIL: assist-core depends on tauri" >&2; exit 1
fi
echo "ok: cargo tree -p assist-core -e normal lists no tauri crate ($(cargo tree -p assist-core -e normal --prefix none | sort -u | wc -l) crates checked)"

stage "Rust tests (real model, sled, loopback simulator, real gnome-keyring)"
export SUPERVISOR_ASSIST_REQUIRE_KEYCHAIN=1
set +e  # keep going to the summary; the exit status is decided at the end
XDG_DATA_HOME=$(mktemp -d) \
dbus-run-session -- sh -c 'echo -n ci | gnome-keyring-daemon --unlock --components=secrets >/dev/null && keyctl session - cargo test --workspace --no-fail-fast 2>&1' \
  | tee "$LOGDIR/cargo-test.log"
rust_status=${PIPESTATUS[0]}

stage "fuzz targets build (cargo fuzz build; running them: scripts/fuzz.sh)"
fuzz_target=${CARGO_TARGET_DIR:+$CARGO_TARGET_DIR/fuzz}; fuzz_target=${fuzz_target:-$ROOT/fuzz/target}
fuzz_target_existed=$([[ -d $fuzz_target ]] && echo 1 || echo 0)
scripts/fuzz-build.sh 2>&1 | tee "$LOGDIR/fuzz-build.log"
fuzz_status=${PIPESTATUS[0]}
# A clean clone keeps nothing from the sanitizer build (~3 GB): free it before the E2E build. A target dir chosen with
# CARGO_TARGET_DIR is a cache the caller keeps.
if [[ $fuzz_target_existed == 0 && -z ${CARGO_TARGET_DIR:-} ]]; then echo "fuzz-build: removing $fuzz_target (created by this run)"; rm -rf "$fuzz_target"; fi
disk_report

stage "UI unit tests (node --test tests/ui/)"
node --test tests/ui/ 2>&1 | tee "$LOGDIR/ui-unit.log"
ui_status=${PIPESTATUS[0]}

e2e_status=0
stage "WebDriver E2E under Xvfb"
{
  cargo build -p supervisor-assist --quiet
  XDG_DATA_HOME=$(mktemp -d) \
  dbus-run-session -- sh -c 'echo -n ci | gnome-keyring-daemon --unlock --components=secrets >/dev/null && keyctl session - xvfb-run -a -s "-screen 0 1280x800x24" node --test --test-concurrency=1 tests/e2e/ 2>&1' \
    | tee "$LOGDIR/e2e.log"
  e2e_status=${PIPESTATUS[0]}
}

set -e
stage "summary"
awk '/^test result:/ { p+=$4; f+=$6; i+=$8 } END { printf "Rust tests: %d passed, %d failed, %d ignored\n", p, f, i }' "$LOGDIR/cargo-test.log"
grep -E '^test result:|Running ' "$LOGDIR/cargo-test.log" | paste - - | sed -E 's/ +Running ([^ ]+).*test result: (.*)/  \1: \2/' || true
if [[ -f "$LOGDIR/e2e.log" ]]; then
  echo "UI unit tests: $(grep -E '^# (pass|fail)' "$LOGDIR/ui-unit.log" | tr '\n' ' ')"
  echo "E2E tests: $(grep -E '^# (pass|fail)' "$LOGDIR/e2e.log" | tr '\n' ' ')"
  ls "$ROOT"/artifacts/screenshots/*.png 2>/dev/null | sed 's/^/  screenshot: /' || true
fi
disk_report
echo "total time: $(( $(date +%s) - start ))s"
if [[ $rust_status -ne 0 || $fuzz_status -ne 0 || $ui_status -ne 0 || $e2e_status -ne 0 ]]; then
  echo "FAILED (rust=$rust_status fuzz-build=$fuzz_status ui=$ui_status e2e=$e2e_status)" >&2; exit 1
fi
echo "ALL GREEN"
