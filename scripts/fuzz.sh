#!/usr/bin/env bash
# Runs every cargo-fuzz target for a bounded time (not part of CI; CI only builds them: scripts/fuzz-build.sh).
#   scripts/fuzz.sh [seconds-per-target]      # default 300; two targets at a time
# Works on a stable toolchain: RUSTC_BOOTSTRAP=1 lets stable rustc accept the -Z flags cargo-fuzz passes.
# New corpus entries go to a scratch dir ($FUZZ_WORK, default /tmp/assist-fuzz), not into git; the seed corpus in
# fuzz/corpus/<target>/ is read. A crash lands in fuzz/artifacts/<target>/: fix it, then keep the input in
# fuzz/regressions/<target>/ (replayed by src-tauri/core/tests/fuzz_regressions.rs).
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
seconds="${1:-300}"
work="${FUZZ_WORK:-/tmp/assist-fuzz}"
export RUSTC_BOOTSTRAP=1
unset CARGO_TARGET_DIR  # cargo-fuzz looks for its binaries under fuzz/target
command -v cargo-fuzz >/dev/null || { echo "fuzz: cargo-fuzz missing (scripts/install-deps.sh --tests)" >&2; exit 1; }
cargo fuzz build -a
run_target() {
  local target="$1"
  mkdir -p "$work/$target"
  cargo fuzz run -a "$target" "$work/$target" "corpus/$target" -- \
    -max_total_time="$seconds" -max_len=4096 -print_final_stats=1 >"$work/$target.log" 2>&1 \
    && echo "fuzz: $target ok: $(grep -E '^stat::number_of_executed_units' "$work/$target.log" | awk '{print $2}') runs in ${seconds}s" \
    || { echo "fuzz: $target FAILED (see $work/$target.log, input in fuzz/artifacts/$target/)"; return 1; }
}
status=0
targets=($(cargo fuzz list))
for ((i = 0; i < ${#targets[@]}; i += 2)); do
  pids=()
  for t in "${targets[@]:i:2}"; do run_target "$t" & pids+=($!); done
  for p in "${pids[@]}"; do wait "$p" || status=1; done
done
exit $status
