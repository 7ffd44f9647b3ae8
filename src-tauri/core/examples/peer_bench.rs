//! Our retrieval stack measured the way `scripts/peer/seed_peer.py` measures the seed's, on the same files:
//! `cargo run --release -p assist-core --example peer_bench -- KB.jsonl QUERIES.jsonl WORK_DIR`.
//!
//! Build = embed every article with the real model into a fresh sled store under `WORK_DIR`, build the HNSW + BM25
//! snapshot and save the graph (as the app does after each compaction); warm start = reopen the store, build the
//! serving snapshot from the stored vectors and load the saved graph (the app's start-up path; `warm_start_graph_s` is
//! when the graph is searchable, equal to `warm_start_s` once the saved graph loads);
//! each query = key phrases + embedding + hybrid retrieval (top 10). Prints one JSON object with the Python side's keys
//! (`scripts/compare-with-seed.sh` reads both). The metric definitions are the crate's (`eval::metrics`).

use std::path::Path;
use std::time::Instant;

use assist_core::assemble::first_snapshot;
use assist_core::eval::data::{read_kb, read_queries, EvalQuery};
use assist_core::eval::metrics::{quantile, MetricsSum};
use assist_core::kb::{retrieve, GraphFiles, HnswParams, KbSnapshot, KbStore, RetrieveParams};
use assist_core::nlp::{extract_keyphrases, query_text, Embedder, KeyPhraseOptions};
use assist_core::testing::real_model::real_embedder;
use serde_json::json;

type BenchResult<T> = Result<T, Box<dyn std::error::Error>>;

fn main() -> BenchResult<()> {
    let args: Vec<String> = std::env::args().collect();
    let [_, kb, queries, work] = args.as_slice() else {
        return Err("usage: peer_bench KB.jsonl QUERIES.jsonl WORK_DIR".into());
    };
    let (articles, queries) = (read_kb(Path::new(kb))?, read_queries(Path::new(queries))?);
    let article_count = articles.len();
    let sled_dir = Path::new(work).join("sled");
    if sled_dir.exists() {
        std::fs::remove_dir_all(&sled_dir)?;
    }

    let started = Instant::now();
    let embedder = real_embedder();
    let model_load_s = started.elapsed().as_secs_f64();

    let started = Instant::now();
    let (store, snapshot) = build_fresh(&sled_dir, &embedder, articles)?;
    graph_files(work).save(&snapshot)?;
    let build_s = started.elapsed().as_secs_f64();
    drop((store, snapshot));

    let started = Instant::now();
    let store = KbStore::open(&sled_dir, embedder.model_name(), embedder.dim())?;
    let snapshot = first_snapshot(store.load_all()?, embedder.dim(), &graph_files(work))?;
    let warm_start_s = started.elapsed().as_secs_f64();
    if snapshot.complete_graph().is_none() {
        return Err("the saved graph was not used at warm start (see the log)".into());
    }
    let warm_start_graph_s = warm_start_s;
    if snapshot.len() != article_count {
        return Err(format!("reopened {} of {article_count} articles", snapshot.len()).into());
    }

    let run = run_queries(&snapshot, &embedder, &queries)?;
    let metrics = run.metrics.mean();
    let report = json!({
        "stack": "ours-rust",
        "articles": article_count,
        "queries": queries.len(),
        "threads": assist_core::nlp::MiniLmOptions::default().intra_threads,
        "model_load_s": model_load_s,
        "build_s": build_s,
        "warm_start_s": warm_start_s,
        "warm_start_graph_s": warm_start_graph_s,
        "latency_ms": {"p50": quantile(&run.latencies_ms, 0.5), "p99": quantile(&run.latencies_ms, 0.99)},
        "throughput_qps": queries.len() as f64 / run.total_s,
        "peak_rss_mb": peak_rss_mb()?,
        "recall@3": metrics.recall_at_3,
        "mrr@10": metrics.mrr_at_10,
        "ndcg@10": metrics.ndcg_at_10,
    });
    println!("{report}");
    Ok(())
}

fn graph_files(work: &str) -> GraphFiles {
    GraphFiles::new(Path::new(work).join("kb-graph"))
}

/// A fresh build: embeds and stores `articles` in a new sled store at `dir`, then builds the full snapshot (HNSW + BM25).
fn build_fresh(
    dir: &Path,
    embedder: &dyn Embedder,
    articles: Vec<assist_core::domain::Article>,
) -> BenchResult<(KbStore, KbSnapshot)> {
    let store = KbStore::open(dir, embedder.model_name(), embedder.dim())?;
    store.apply(articles, Vec::new(), embedder, &mut |_, _| {})?;
    let snapshot = KbSnapshot::build(store.load_all()?, embedder.dim(), HnswParams::default())?;
    Ok((store, snapshot))
}

struct QueryRun {
    latencies_ms: Vec<f64>,
    total_s: f64,
    metrics: MetricsSum,
}

/// One query at a time, as the app serves them: key phrases, embedding, hybrid retrieval of the top 10.
fn run_queries(
    snapshot: &KbSnapshot,
    embedder: &dyn Embedder,
    queries: &[EvalQuery],
) -> BenchResult<QueryRun> {
    let params = RetrieveParams {
        top_n: 10,
        ..RetrieveParams::default()
    };
    let options = KeyPhraseOptions::default();
    let mut run = QueryRun {
        latencies_ms: Vec::with_capacity(queries.len()),
        total_s: 0.0,
        metrics: MetricsSum::default(),
    };
    let all_started = Instant::now();
    for query in queries {
        let started = Instant::now();
        let lexical = query_text(&extract_keyphrases(&query.transcript, &options));
        let vector = embedder
            .embed(&[query.transcript.as_str()])?
            .pop()
            .ok_or("the embedder returned no vector")?;
        let ranked = retrieve(snapshot, &vector, &lexical, &query.transcript, &params);
        run.latencies_ms
            .push(started.elapsed().as_secs_f64() * 1000.0);
        let ids: Vec<String> = ranked.into_iter().map(|r| r.article_id).collect();
        run.metrics.add(&ids, &query.relevant);
    }
    run.total_s = all_started.elapsed().as_secs_f64();
    Ok(run)
}

/// Peak resident set size of this process (VmHWM), in MiB.
fn peak_rss_mb() -> BenchResult<f64> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    let kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or("no VmHWM in /proc/self/status")?;
    Ok(kib / 1024.0)
}
