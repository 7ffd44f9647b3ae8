#!/usr/bin/env bash
# Side by side: our Rust retrieval stack vs the seed's own Python pipeline (sentence-transformers + attention key phrases
# + chromadb + rank_bm25, fixed only where it cannot run: see scripts/peer/seed_peer.py), same KB, same queries, one run.
#   scripts/compare-with-seed.sh            # 1k and 10k articles (10k takes long: ~10 articles/s to embed on 2 cores)
#   SIZES=1000 scripts/compare-with-seed.sh
# Prints build time, warm start, per-query p50/p99, throughput, peak RSS and recall@3 / MRR@10 / nDCG@10 for both
# stacks and the ratios against the targets (>= 3x lower p50, <= 1/4 peak RSS, equal or better nDCG@10).
# Not part of CI (minutes to hours); the venv lives outside git in /work/venvs/seed-peer (or $SEED_PEER_VENV).
set -euo pipefail
cd "$(dirname "$0")/.."
SIZES=${SIZES:-"1000 10000"}
VENV=${SEED_PEER_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/supervisor-assist/seed-peer-venv}
[[ -d /work/venvs/seed-peer && -z "${SEED_PEER_VENV:-}" ]] && VENV=/work/venvs/seed-peer
WORK=${COMPARE_WORK:-$(mktemp -d)}
QUERIES=data/dev/queries.jsonl

if [[ ! -x "$VENV/bin/python" ]]; then
  echo "creating the seed's venv in $VENV (torch from PyPI pulls CUDA wheels, ~4 GB)"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q -r scripts/peer/requirements.txt
fi
python3 scripts/fetch-assets.py >/dev/null
cargo build --release -q -p assist-core --features test-util --example peer_bench
RUST_BIN=${CARGO_TARGET_DIR:-target}/release/examples/peer_bench

for n in $SIZES; do
  kb="$WORK/kb-$n.jsonl"
  python3 scripts/peer/make_kb.py data/dev/kb.jsonl "$n" "$kb"
  echo "== $n articles: ours (Rust)"
  "$RUST_BIN" "$kb" "$QUERIES" "$WORK/rust-$n" 2>/dev/null | tail -1 > "$WORK/rust-$n.json"
  echo "== $n articles: the seed (Python)"
  HF_HUB_OFFLINE=1 "$VENV/bin/python" scripts/peer/seed_peer.py "$kb" "$QUERIES" "$WORK/py-$n" 2>/dev/null | tail -1 > "$WORK/py-$n.json"
done

python3 - "$WORK" $SIZES <<'PY'
import json, sys
work, sizes = sys.argv[1], sys.argv[2:]
rows = [("index build (s)", "build_s", "{:.1f}"), ("warm start (s)", "warm_start_s", "{:.2f}"),
        ("  graph searchable (s)", "warm_start_graph_s", "{:.2f}"),
        ("query p50 (ms)", ("latency_ms", "p50"), "{:.1f}"), ("query p99 (ms)", ("latency_ms", "p99"), "{:.1f}"),
        ("throughput (q/s)", "throughput_qps", "{:.1f}"), ("peak RSS (MB)", "peak_rss_mb", "{:.0f}"),
        ("recall@3", "recall@3", "{:.3f}"), ("MRR@10", "mrr@10", "{:.3f}"), ("nDCG@10", "ndcg@10", "{:.3f}")]
def get(d, key):
    return d[key[0]][key[1]] if isinstance(key, tuple) else d.get(key)
def show(fmt, value):
    return "-" if value is None else fmt.format(value)
for n in sizes:
    ours, seed = (json.load(open(f"{work}/{s}-{n}.json")) for s in ("rust", "py"))
    print(f"\n{n} articles, {ours['queries']} queries")
    print(f"{'':<22} {'ours (Rust)':>12} {'seed (Python)':>14}")
    for label, key, fmt in rows:
        print(f"{label:<22} {show(fmt, get(ours, key)):>12} {show(fmt, get(seed, key)):>14}")
    p50 = get(seed, ("latency_ms", "p50")) / get(ours, ("latency_ms", "p50"))
    rss = ours["peak_rss_mb"] / seed["peak_rss_mb"]
    print(f"p50 {p50:.1f}x lower (target >= 3x): {'met' if p50 >= 3 else 'NOT met'}; "
          f"peak RSS {rss:.2f} of the seed's (target <= 0.25): {'met' if rss <= 0.25 else 'NOT met'}; "
          f"nDCG@10 {ours['ndcg@10']:.3f} vs {seed['ndcg@10']:.3f}: {'met' if ours['ndcg@10'] >= seed['ndcg@10'] else 'NOT met'}")
PY
