//! Retrieval benchmarks: HNSW top-20, BM25 over the whole KB and the hybrid query at 1k / 10k / 100k articles, single-article
//! update, warm start of 10k from sled, KB build throughput with the real embedder, peak RSS.
//!
//! Scale data is synthetic: articles of ~120 words drawn from a contact-center vocabulary (Zipf-like), with vectors drawn
//! around 300 random unit centroids (normalised), seeded so runs are comparable. Run: `cargo bench -p assist-core --bench retrieval`.
//! `RETRIEVAL_BENCH_SIZES=1000,10000` limits the sizes.

#[path = "../tests/support/real_embedder.rs"]
mod real_embedder;

use std::time::{Duration, Instant};

use assist_core::assemble::first_snapshot;
use assist_core::domain::Article;
use assist_core::kb::{retrieve, GraphFiles, HnswParams, KbSnapshot, KbStore, RetrieveParams};
use assist_core::nlp::{EmbedError, Embedder};
use criterion::{black_box, Criterion};
use rand::rngs::StdRng;
use rand::SeedableRng;

#[path = "support/synthetic.rs"]
mod synthetic;
use synthetic::{near, random_unit, synthetic, text, DIM};

fn sizes() -> Vec<usize> {
    std::env::var("RETRIEVAL_BENCH_SIZES")
        .ok()
        .map(|s| s.split(',').filter_map(|x| x.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![1_000, 10_000, 100_000])
}

fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn bench_size(c: &mut Criterion, n: usize) {
    let (entries, centroids) = synthetic(n, 42);
    let started = Instant::now();
    let snapshot = KbSnapshot::build(entries, DIM, HnswParams::default()).unwrap();
    println!(
        "[figure] n={n}: snapshot build (HNSW + BM25, no embedding) {:.2} s",
        started.elapsed().as_secs_f64()
    );
    let mut rng = StdRng::seed_from_u64(7);
    let queries: Vec<(Vec<f32>, String)> = (0..64)
        .map(|i| {
            (
                near(&mut rng, &centroids[i % centroids.len()]),
                text(&mut rng, 12),
            )
        })
        .collect();
    let params = RetrieveParams::default();
    let mut group = c.benchmark_group(format!("retrieval_{n}"));
    group
        .sample_size(30)
        .measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_millis(500));
    let mut i = 0;
    group.bench_function("hnsw_top20", |b| {
        b.iter(|| {
            i = (i + 1) % queries.len();
            black_box(snapshot.dense_top_k(&queries[i].0, 20).len())
        })
    });
    group.bench_function("bm25_top20_whole_kb", |b| {
        b.iter(|| {
            i = (i + 1) % queries.len();
            black_box(snapshot.bm25(&queries[i].1).top_k(20).len())
        })
    });
    group.bench_function("hybrid_top3", |b| {
        b.iter(|| {
            i = (i + 1) % queries.len();
            let (vector, words) = &queries[i];
            black_box(retrieve(&snapshot, vector, words, words, &params).len())
        })
    });
    group.finish();
    single_article_update(&snapshot, n);
}

fn single_article_update(snapshot: &KbSnapshot, n: usize) {
    let mut rng = StdRng::seed_from_u64(9);
    let times: Vec<Duration> = (0..15)
        .map(|k| {
            let id = format!("KB-{:06}", k * 7 % n);
            let article = Article {
                id,
                title: "Updated E-4242".into(),
                content: text(&mut rng, 120),
                url: None,
                updated_at: None,
            };
            let vector = random_unit(&mut rng);
            let started = Instant::now();
            let next = snapshot.with_changes(&[(article, vector)], &[]).unwrap();
            let elapsed = started.elapsed();
            black_box(next.len());
            elapsed
        })
        .collect();
    println!(
        "[figure] n={n}: single-article update → new snapshot (median of 15) {:.2} ms",
        median(times).as_secs_f64() * 1e3
    );
}

/// Hands out precomputed vectors in order, so the sled store can be filled without the model.
struct Precomputed(std::sync::Mutex<std::vec::IntoIter<Vec<f32>>>);

impl Embedder for Precomputed {
    fn model_name(&self) -> &str {
        "all-MiniLM-L6-v2"
    }
    fn dim(&self) -> usize {
        DIM
    }
    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        let mut source = self
            .0
            .lock()
            .map_err(|e| EmbedError::Inference(e.to_string()))?;
        Ok(texts.iter().filter_map(|_| source.next()).collect())
    }
}

fn warm_start_10k() {
    let dir = tempfile::tempdir().unwrap();
    let (entries, _) = synthetic(10_000, 43);
    let (articles, vectors): (Vec<Article>, Vec<Vec<f32>>) = entries.into_iter().unzip();
    {
        let store = KbStore::open(dir.path(), "all-MiniLM-L6-v2", DIM).unwrap();
        let embedder = Precomputed(std::sync::Mutex::new(vectors.into_iter()));
        store
            .apply(articles, vec![], &embedder, &mut |_, _| {})
            .unwrap();
    }
    let started = Instant::now();
    let store = KbStore::open(dir.path(), "all-MiniLM-L6-v2", DIM).unwrap();
    let loaded = store.load_all().unwrap();
    let loaded_at = started.elapsed();
    let serving = KbSnapshot::build_without_graph(loaded, DIM, HnswParams::default()).unwrap();
    let serving_at = started.elapsed();
    let mut rng = StdRng::seed_from_u64(5);
    let probes: Vec<Vec<f32>> = (0..51).map(|_| random_unit(&mut rng)).collect();
    let exact_query = median_top20(&serving, &probes);
    let graph_started = Instant::now();
    let snapshot = serving.compacted();
    let graph_built = graph_started.elapsed();
    println!(
        "[figure] warm start 10k from sled, no saved graph: serving queries after {:.2} s (sled open + load {:.2} s, BM25 build; dense by exact scan, \
         {:.2} ms per top-20, median of 51); HNSW graph built in the background in {:.2} s more; {} articles",
        serving_at.as_secs_f64(),
        loaded_at.as_secs_f64(),
        exact_query,
        graph_built.as_secs_f64(),
        snapshot.len()
    );
    let graph_dir = tempfile::tempdir().unwrap(); // beside the sled store, as the app keeps them
    let files = GraphFiles::new(graph_dir.path().join("kb-graph"));
    let save_started = Instant::now();
    files.save(&snapshot).unwrap();
    let saved_in = save_started.elapsed();
    drop((store, serving, snapshot));

    // The next start: the saved graph fits the stored KB, so the first snapshot already has it.
    let started = Instant::now();
    let store = KbStore::open(dir.path(), "all-MiniLM-L6-v2", DIM).unwrap();
    let loaded = store.load_all().unwrap();
    let built_at = started.elapsed();
    let warm = first_snapshot(loaded, DIM, &files).unwrap();
    assert!(warm.complete_graph().is_some());
    let ready_at = started.elapsed();
    let graph_query = median_top20(&warm, &probes);
    println!(
        "[figure] warm start 10k with the saved graph: searching the graph after {:.2} s (sled open + load {:.2} s, then graph \
         files verified and loaded and the snapshot built around them {:.2} s; {:.2} ms per top-20, median of 51); saving the graph took {:.2} s",
        ready_at.as_secs_f64(),
        built_at.as_secs_f64(),
        (ready_at - built_at).as_secs_f64(),
        graph_query,
        saved_in.as_secs_f64()
    );
    println!(
        "[figure] peak RSS after the 10k warm start: {:.0} MB (VmHWM)",
        peak_rss_mb()
    );
}

/// Median time (ms) of a dense top-20 over `probes`.
fn median_top20(snapshot: &KbSnapshot, probes: &[Vec<f32>]) -> f64 {
    let mut ms: Vec<f64> = probes
        .iter()
        .map(|probe| {
            let started = Instant::now();
            black_box(snapshot.dense_top_k(probe, 20).len());
            started.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    ms.sort_by(f64::total_cmp);
    ms[ms.len() / 2]
}

fn build_throughput_real_model() {
    let dir = tempfile::tempdir().unwrap();
    let embedder = real_embedder::load_real();
    let mut rng = StdRng::seed_from_u64(44);
    let articles: Vec<Article> = (0..256)
        .map(|i| Article {
            id: format!("KB-{i}"),
            title: text(&mut rng, 6),
            content: text(&mut rng, 120),
            url: None,
            updated_at: None,
        })
        .collect();
    let store = KbStore::open(dir.path(), "all-MiniLM-L6-v2", DIM).unwrap();
    let started = Instant::now();
    store
        .apply(articles, vec![], &embedder, &mut |_, _| {})
        .unwrap();
    let secs = started.elapsed().as_secs_f64();
    println!("[figure] KB build with the real model: 256 articles (~130 words) in {secs:.2} s = {:.0} articles/s", 256.0 / secs);
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    if !sizes().is_empty() {
        warm_start_10k();
        build_throughput_real_model();
    }
    for n in sizes() {
        bench_size(&mut c, n);
        println!(
            "[figure] peak RSS after n={n}: {:.0} MB (VmHWM)",
            peak_rss_mb()
        );
    }
    c.final_summary();
}
