//! Retrieval evaluation: recall@3, MRR@10 and nDCG@10 of BM25 alone, dense alone, the seed's method and our hybrid on a
//! JSONL dev set, plus the per-query latency of ours (key phrases + embedding + retrieval).
//!
//! [`run`] is what `supervisor-assist eval` calls; its [`EvalReport`] serialises to
//! `{"bm25":{…},"dense":{…},"seed":{…},"hybrid":{…},"latency_ms":{"p50":…,"p99":…}}`.

pub mod data;
pub mod metrics;
pub mod seed;

use std::path::Path;
use std::time::Instant;

use serde::Serialize;

use crate::domain::Article;
use crate::kb::store::embedding_text;
use crate::kb::{retrieve, HnswParams, KbSnapshot, RetrieveParams};
use crate::nlp::{EmbedError, Embedder};
use data::EvalQuery;
use metrics::{quantile, MethodMetrics, MetricsSum};

/// Why an evaluation could not run.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{file} line {line}: {reason}")]
    Malformed {
        file: String,
        line: usize,
        reason: String,
    },
    #[error(transparent)]
    Embed(#[from] EmbedError),
    #[error(transparent)]
    Snapshot(#[from] crate::kb::snapshot::SnapshotError),
}

/// Latency percentiles in milliseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Latency {
    pub p50: f64,
    pub p99: f64,
}

/// The evaluation result (serialises to the documented JSON shape).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct EvalReport {
    /// BM25 over the whole KB with our key phrases as the query.
    pub bm25: MethodMetrics,
    /// BM25 with the whole transcript as the query: the baseline that shows what key phrases add.
    pub bm25_transcript: MethodMetrics,
    pub dense: MethodMetrics,
    pub seed: MethodMetrics,
    pub hybrid: MethodMetrics,
    pub latency_ms: Latency,
}

/// Turns a transcript into the BM25 query text (our key phrases).
pub type KeyphraseQuery<'a> = &'a (dyn Fn(&str) -> String + Sync);
/// The seed's top-5 sub-word "key phrases".
pub type SeedKeyphrases<'a> = &'a (dyn Fn(&str) -> Vec<String> + Sync);

/// How to run the evaluation.
pub struct EvalOptions<'a> {
    pub params: RetrieveParams,
    pub hnsw: HnswParams,
    pub keyphrase_query: KeyphraseQuery<'a>,
    pub seed_keyphrases: SeedKeyphrases<'a>,
}

impl Default for EvalOptions<'_> {
    /// Default retrieval; the whole transcript as BM25 query and [`fallback_seed_keyphrases`] (callers with the
    /// `nlp::keyphrases` extractors should pass them in).
    fn default() -> Self {
        Self {
            params: RetrieveParams::default(),
            hnsw: HnswParams::default(),
            keyphrase_query: &|t: &str| t.to_string(),
            seed_keyphrases: &fallback_seed_keyphrases,
        }
    }
}

/// Approximation of the seed's extractor when the attention-based one is not available: the first five words.
pub fn fallback_seed_keyphrases(transcript: &str) -> Vec<String> {
    transcript
        .split_whitespace()
        .take(5)
        .map(str::to_string)
        .collect()
}

/// Reads the dev set, builds the index with `embedder` and evaluates every method.
pub fn run(
    kb_path: &Path,
    queries_path: &Path,
    embedder: &dyn Embedder,
    options: &EvalOptions<'_>,
) -> Result<EvalReport, EvalError> {
    let articles = data::read_kb(kb_path)?;
    let queries = data::read_queries(queries_path)?;
    evaluate(articles, &queries, embedder, options)
}

/// Builds an in-memory snapshot of `articles` and evaluates every method on `queries`.
pub fn evaluate(
    articles: Vec<Article>,
    queries: &[EvalQuery],
    embedder: &dyn Embedder,
    options: &EvalOptions<'_>,
) -> Result<EvalReport, EvalError> {
    let snapshot = build_snapshot(articles, embedder, options.hnsw)?;
    let mut sums: [MetricsSum; 5] = Default::default();
    let mut latencies = Vec::with_capacity(queries.len());
    let params = RetrieveParams {
        top_n: 10,
        ..options.params
    };
    for query in queries {
        let started = Instant::now();
        let lexical = (options.keyphrase_query)(&query.transcript);
        let vector = embed_one(embedder, &query.transcript)?;
        let hybrid = retrieve(&snapshot, &vector, &lexical, &query.transcript, &params);
        latencies.push(started.elapsed().as_secs_f64() * 1000.0);
        let hybrid: Vec<String> = hybrid.into_iter().map(|r| r.article_id).collect();
        let bm25 = ids(snapshot.bm25(&lexical).top_k(10));
        let bm25_transcript = ids(snapshot.bm25(&query.transcript).top_k(10));
        let dense = ids(snapshot.dense_exact_top_k(&vector, 10));
        let seed = seed::seed_rank(
            &snapshot,
            &vector,
            &(options.seed_keyphrases)(&query.transcript),
            10,
        );
        let methods = [&bm25, &bm25_transcript, &dense, &seed, &hybrid];
        for (sum, ranked) in sums.iter_mut().zip(methods) {
            sum.add(ranked, &query.relevant);
        }
    }
    let [bm25, bm25_transcript, dense, seed, hybrid] = sums.map(|s| s.mean());
    let latency_ms = Latency {
        p50: quantile(&latencies, 0.5),
        p99: quantile(&latencies, 0.99),
    };
    Ok(EvalReport {
        bm25,
        bm25_transcript,
        dense,
        seed,
        hybrid,
        latency_ms,
    })
}

/// Embeds `articles` in batches and builds a snapshot (no sled).
pub fn build_snapshot(
    articles: Vec<Article>,
    embedder: &dyn Embedder,
    hnsw: HnswParams,
) -> Result<KbSnapshot, EvalError> {
    let mut entries = Vec::with_capacity(articles.len());
    for chunk in articles.chunks(64) {
        let texts: Vec<String> = chunk.iter().map(embedding_text).collect();
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        entries.extend(chunk.iter().cloned().zip(embedder.embed(&refs)?));
    }
    Ok(KbSnapshot::build(entries, embedder.dim(), hnsw)?)
}

fn embed_one(embedder: &dyn Embedder, text: &str) -> Result<Vec<f32>, EvalError> {
    embedder.embed(&[text])?.pop().ok_or_else(|| {
        EvalError::Embed(EmbedError::Inference("embedder returned no vector".into()))
    })
}

fn ids(hits: Vec<(&String, f32)>) -> Vec<String> {
    hits.into_iter().map(|(id, _)| id.clone()).collect()
}

impl EvalReport {
    /// A human-readable table.
    pub fn to_table(&self) -> String {
        let mut out = String::from("method            recall@3  mrr@10  ndcg@10\n");
        for (name, m) in [
            ("bm25", self.bm25),
            ("bm25_transcript", self.bm25_transcript),
            ("dense", self.dense),
            ("seed", self.seed),
            ("hybrid", self.hybrid),
        ] {
            out.push_str(&format!(
                "{name:<17} {:>8.3} {:>7.3} {:>8.3}\n",
                m.recall_at_3, m.mrr_at_10, m.ndcg_at_10
            ));
        }
        out.push_str(&format!(
            "hybrid latency (key phrases + embed + retrieve): p50 {:.2} ms, p99 {:.2} ms\n",
            self.latency_ms.p50, self.latency_ms.p99
        ));
        out
    }
}
