//! The app's start-up path (`assemble::open_kb`) with the real model, real sled files and real HNSW graph files: the
//! first start builds the graph in the background and saves it; the next start loads it and searches the graph at
//! once (no rebuild); damaged graph files cost a rebuild, never an answer; a KB changed since the save reuses the graph
//! for what did not change.

#[path = "support/real_embedder.rs"]
mod real_embedder;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use assist_core::assemble::open_kb;
use assist_core::domain::Article;
use assist_core::kb::{KbHandle, KbSnapshot, KbStore};
use assist_core::nlp::Embedder;
use real_embedder::{shared_real, Counting};

/// More articles than the compaction threshold (256), so a start builds the graph.
const ARTICLES: usize = 320;

fn corpus() -> Vec<Article> {
    let topics = [
        "password",
        "refund",
        "delivery",
        "invoice",
        "router",
        "voicemail",
        "roaming",
        "warranty",
    ];
    let actions = [
        "reset",
        "cancel",
        "change",
        "track",
        "dispute",
        "upgrade",
        "configure",
        "renew",
    ];
    (0..ARTICLES)
        .map(|i| {
            let (topic, action) = (topics[i % topics.len()], actions[(i / topics.len()) % actions.len()]);
            Article {
                id: format!("KB-{i:04}"),
                title: format!("How to {action} the {topic} ({i})"),
                content: format!("Step {i}: to {action} your {topic}, open settings, choose {topic} and confirm."),
                url: None,
                updated_at: None,
            }
        })
        .collect()
}

fn graph_manifest(data_dir: &Path) -> std::path::PathBuf {
    data_dir.join("kb-graph").join("hnsw.json")
}

async fn wait_for_graph(kb: &KbHandle, data_dir: &Path) {
    let deadline = Instant::now() + Duration::from_secs(120);
    while kb.snapshot().complete_graph().is_none() || !graph_manifest(data_dir).exists() {
        assert!(
            Instant::now() < deadline,
            "the graph was not built and saved in 120 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn dense_ids(snapshot: &KbSnapshot, query: &[f32]) -> Vec<String> {
    snapshot
        .dense_top_k(query, 10)
        .into_iter()
        .map(|(id, _)| id.clone())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_loads_the_saved_graph_and_damaged_files_only_cost_a_rebuild() {
    let dir = tempfile::tempdir().unwrap();
    let real: Arc<dyn Embedder> = shared_real();
    {
        let store = KbStore::open(&dir.path().join("kb"), real.model_name(), real.dim()).unwrap();
        store
            .apply(corpus(), vec![], real.as_ref(), &mut |_, _| {})
            .unwrap();
    }
    let queries: Vec<Vec<f32>> = real
        .embed(&[
            "I forgot my password",
            "where is my delivery",
            "the router keeps rebooting",
        ])
        .unwrap();

    // First start: exact scan at once, the graph built and saved in the background.
    let (store, kb) = open_kb(dir.path(), real.clone()).await.unwrap();
    wait_for_graph(&kb, dir.path()).await;
    let first: Vec<Vec<String>> = queries
        .iter()
        .map(|q| dense_ids(&kb.snapshot(), q))
        .collect();
    let exact_first: Vec<Vec<String>> = queries
        .iter()
        .map(|q| {
            let snapshot = kb.snapshot();
            let hits = snapshot.dense_exact_top_k(q, 10);
            hits.into_iter().map(|(id, _)| id.clone()).collect()
        })
        .collect();
    drop((store, kb));

    // Second start: the saved graph is in the first snapshot; nothing is re-embedded.
    let counting = Arc::new(Counting::new(real.clone()));
    let (store, kb) = open_kb(dir.path(), counting.clone()).await.unwrap();
    let snapshot = kb.snapshot();
    assert!(
        snapshot.complete_graph().is_some(),
        "the saved graph is loaded at start"
    );
    assert_eq!(
        snapshot.pending_compaction(),
        0,
        "nothing left for a background rebuild"
    );
    assert_eq!(snapshot.len(), ARTICLES);
    let second: Vec<Vec<String>> = queries.iter().map(|q| dense_ids(&snapshot, q)).collect();
    assert_eq!(second, first, "the loaded graph answers as the one built");
    assert_eq!(counting.count(), 0, "a warm start embeds nothing");
    drop((store, kb, snapshot));

    // Damaged graph data: refused by its checksum, the start serves by exact scan and rebuilds the graph.
    let folder = std::fs::read_dir(dir.path().join("kb-graph"))
        .unwrap()
        .flatten()
        .find(|e| e.path().is_dir())
        .unwrap()
        .path();
    let data = folder.join("kb.hnsw.data");
    let mut bytes = std::fs::read(&data).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x5a;
    std::fs::write(&data, bytes).unwrap();
    let damaged_manifest = std::fs::read_to_string(graph_manifest(dir.path())).unwrap();
    let (_store, kb) = open_kb(dir.path(), real.clone()).await.unwrap();
    let snapshot = kb.snapshot();
    assert!(
        snapshot.complete_graph().is_none(),
        "a damaged graph is not used"
    );
    let exact: Vec<Vec<String>> = queries.iter().map(|q| dense_ids(&snapshot, q)).collect();
    assert_eq!(exact, exact_first, "served by exact scan meanwhile");
    wait_for_graph(&kb, dir.path()).await;
    let deadline = Instant::now() + Duration::from_secs(60);
    // Saved anew, and the damaged dump removed (right after the new manifest is written).
    while std::fs::read_to_string(graph_manifest(dir.path())).unwrap() == damaged_manifest
        || folder.exists()
    {
        assert!(
            Instant::now() < deadline,
            "the rebuilt graph was not saved in place of the damaged one"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let old_vector = snapshot.vector("KB-0007").unwrap().to_vec();
    drop((_store, kb, snapshot));

    // The KB changed since the save: the graph is reused for every unchanged article.
    {
        let store = KbStore::open(&dir.path().join("kb"), real.model_name(), real.dim()).unwrap();
        let mut article = corpus().remove(7);
        article.title = "Voicemail PIN reset with *86".into();
        article.content = "Dial *86, enter the old PIN, then choose a new one.".into();
        store
            .apply(vec![article], vec![], real.as_ref(), &mut |_, _| {})
            .unwrap();
    }
    let (_store, kb) = open_kb(dir.path(), real.clone()).await.unwrap();
    let snapshot = kb.snapshot();
    assert!(snapshot.has_graph(), "the saved graph is reused");
    assert_eq!(
        snapshot.pending_compaction(),
        2,
        "the changed article: a tombstone in the graph, its new version in the delta"
    );
    let new_vector = snapshot.vector("KB-0007").unwrap().to_vec();
    assert_ne!(new_vector, old_vector);
    assert_eq!(
        dense_ids(&snapshot, &new_vector)[0],
        "KB-0007",
        "found by its new vector"
    );
    let by_old = snapshot.dense_top_k(&old_vector, 1);
    assert!(
        by_old[0].1 < 0.9999,
        "the old vector is gone with its graph slot"
    );
    assert_eq!(snapshot.len(), ARTICLES);
}
