//! KB store and snapshots with the real MiniLM model and real sled files in temp dirs.

#[path = "support/real_embedder.rs"]
mod real_embedder;

use std::sync::Arc;

use assist_core::domain::Article;
use assist_core::kb::store::{ModelStamp, StoreState};
use assist_core::kb::{
    retrieve, HnswParams, KbHandle, KbSnapshot, KbStore, RetrieveParams, StoreError,
};
use assist_core::nlp::{EmbedError, Embedder};
use real_embedder::{shared_real, Counting};

fn article(id: &str, title: &str, content: &str) -> Article {
    Article {
        id: id.into(),
        title: title.into(),
        content: content.into(),
        url: None,
        updated_at: None,
    }
}

fn corpus() -> Vec<Article> {
    vec![
        article("KB-1", "Reset a forgotten password", "Open the login page, choose Forgot password and follow the emailed link."),
        article("KB-2", "Refund for a double charge", "If a customer was billed twice, issue a refund from the billing console within 5 days."),
        article("KB-3", "Error E-4012 when paying", "E-4012 means the card issuer declined the payment. Ask for another card."),
        article("KB-4", "Change the delivery address", "Orders can be redirected until they ship. Edit the address under My orders."),
        article("KB-5", "Upgrade to the Unlimited50GB plan", "The Unlimited50GB plan adds data; upgrades apply at the next billing cycle."),
    ]
}

fn real() -> Arc<dyn Embedder> {
    shared_real()
}

fn counting() -> Counting {
    Counting::new(real())
}

fn query_vec(text: &str) -> Vec<f32> {
    real().embed(&[text]).unwrap().remove(0)
}

fn top_ids(snapshot: &KbSnapshot, text: &str) -> Vec<String> {
    let params = RetrieveParams::default();
    retrieve(snapshot, &query_vec(text), text, text, &params)
        .into_iter()
        .map(|r| r.article_id)
        .collect()
}

#[test]
fn warm_start_loads_vectors_without_re_embedding() {
    let dir = tempfile::tempdir().unwrap();
    let embedder = counting();
    {
        let store = KbStore::open(dir.path(), "all-MiniLM-L6-v2", 384).unwrap();
        store
            .apply(corpus(), vec![], &embedder, &mut |_, _| {})
            .unwrap();
    }
    assert_eq!(embedder.count(), 5);
    let store = KbStore::open(dir.path(), "all-MiniLM-L6-v2", 384).unwrap();
    assert_eq!(store.state().unwrap(), StoreState::Ready);
    let snapshot =
        KbSnapshot::build(store.load_all().unwrap(), 384, HnswParams::default()).unwrap();
    assert_eq!(embedder.count(), 5, "warm start must not embed");
    assert_eq!(snapshot.len(), 5);
    assert_eq!(
        top_ids(&snapshot, "I was charged twice and want my money back")[0],
        "KB-2"
    );
}

#[test]
fn a_warm_start_serves_by_exact_scan_until_the_graph_is_built() {
    let dir = tempfile::tempdir().unwrap();
    let store = KbStore::open(dir.path(), "all-MiniLM-L6-v2", 384).unwrap();
    store
        .apply(corpus(), vec![], real().as_ref(), &mut |_, _| {})
        .unwrap();
    let entries = store.load_all().unwrap();
    let serving = KbSnapshot::build_without_graph(entries, 384, HnswParams::default()).unwrap();
    assert_eq!(
        serving.pending_compaction(),
        5,
        "every vector is in the exact-scan delta"
    );
    let question = "I was charged twice and want my money back";
    assert_eq!(top_ids(&serving, question)[0], "KB-2");
    let v = query_vec(question);
    assert_eq!(serving.dense_top_k(&v, 5), serving.dense_exact_top_k(&v, 5));
    let graphed = serving.compacted();
    assert_eq!(
        graphed.pending_compaction(),
        0,
        "the graph now covers every article"
    );
    assert_eq!(top_ids(&graphed, question), top_ids(&serving, question));
}

#[test]
fn incremental_apply_re_embeds_only_the_changed_article() {
    let dir = tempfile::tempdir().unwrap();
    let store = KbStore::open(dir.path(), "all-MiniLM-L6-v2", 384).unwrap();
    let embedder = counting();
    store
        .apply(corpus(), vec![], &embedder, &mut |_, _| {})
        .unwrap();
    let mut next = corpus();
    next[3].content = "Addresses can be changed until the parcel leaves the warehouse.".into();
    next[0].url = Some("https://kb.example/1".into());
    let mut progress = Vec::new();
    let applied = store
        .apply(next, vec!["KB-5".into()], &embedder, &mut |d, t| {
            progress.push((d, t))
        })
        .unwrap();
    assert_eq!(embedder.count(), 6);
    assert_eq!(applied.upserted.len(), 1);
    assert_eq!(applied.upserted[0].0.id, "KB-4");
    assert_eq!(applied.unchanged, 4);
    assert_eq!(applied.deleted, ["KB-5"]);
    assert_eq!(progress.last(), Some(&(1, 1)));
    assert_eq!(store.len(), 4);
    assert_eq!(
        store.get("KB-1").unwrap().unwrap().0.url.as_deref(),
        Some("https://kb.example/1")
    );
}

#[test]
fn full_listing_diff_finds_new_changed_and_removed() {
    let dir = tempfile::tempdir().unwrap();
    let store = KbStore::open(dir.path(), "all-MiniLM-L6-v2", 384).unwrap();
    store
        .apply(corpus(), vec![], &counting(), &mut |_, _| {})
        .unwrap();
    let mut listing = corpus();
    listing.remove(1);
    listing[0].title = "Reset your password".into();
    listing.push(article("KB-9", "Opening hours", "We are open 8am to 8pm."));
    let diff = store.diff_full_listing(listing).unwrap();
    let upserts: Vec<&str> = diff.upserts.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(upserts, ["KB-1", "KB-9"]);
    assert_eq!(diff.deletions, ["KB-2"]);
}

/// A deterministic stand-in for an older 768-dimension model.
struct OldModel;

impl Embedder for OldModel {
    fn model_name(&self) -> &str {
        "old-model"
    }
    fn dim(&self) -> usize {
        768
    }
    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        Ok(texts
            .iter()
            .map(|t| {
                (0..768)
                    .map(|i| if i == t.len() % 768 { 1.0 } else { 0.0 })
                    .collect()
            })
            .collect())
    }
}

#[test]
fn dimension_mismatch_is_detected_and_rebuilt_in_place() {
    let dir = tempfile::tempdir().unwrap();
    {
        let old = KbStore::open(dir.path(), "old-model", 768).unwrap();
        old.apply(corpus(), vec![], &OldModel, &mut |_, _| {})
            .unwrap();
    }
    let store = KbStore::open(dir.path(), "all-MiniLM-L6-v2", 384).unwrap();
    let expected = ModelStamp {
        model: "all-MiniLM-L6-v2".into(),
        dim: 384,
    };
    let recorded = ModelStamp {
        model: "old-model".into(),
        dim: 768,
    };
    assert_eq!(
        store.state().unwrap(),
        StoreState::NeedsRebuild { recorded, expected }
    );
    assert!(matches!(
        store.load_all(),
        Err(StoreError::NeedsRebuild { .. })
    ));
    let embedder = counting();
    assert!(matches!(
        store.apply(corpus(), vec![], &embedder, &mut |_, _| {}),
        Err(StoreError::NeedsRebuild { .. })
    ));
    let mut last = (0, 0);
    assert_eq!(
        store.rebuild(&embedder, &mut |d, t| last = (d, t)).unwrap(),
        5
    );
    assert_eq!((last, embedder.count()), ((5, 5), 5));
    assert_eq!(store.state().unwrap(), StoreState::Ready);
    let entries = store.load_all().unwrap();
    assert!(entries.iter().all(|(_, v)| v.len() == 384));
    drop(store);
    let reopened = KbStore::open(dir.path(), "all-MiniLM-L6-v2", 384).unwrap();
    assert_eq!(reopened.state().unwrap(), StoreState::Ready);
}

#[test]
fn an_embedder_other_than_the_stores_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = KbStore::open(dir.path(), "all-MiniLM-L6-v2", 384).unwrap();
    let error = store
        .apply(corpus(), vec![], &OldModel, &mut |_, _| {})
        .unwrap_err();
    assert!(matches!(error, StoreError::WrongEmbedder { .. }), "{error}");
    assert!(store.is_empty());
}

#[tokio::test]
async fn queries_keep_the_old_snapshot_while_an_update_is_applied() {
    let dir = tempfile::tempdir().unwrap();
    let store = KbStore::open(dir.path(), "all-MiniLM-L6-v2", 384).unwrap();
    let embedder = counting();
    store
        .apply(corpus(), vec![], &embedder, &mut |_, _| {})
        .unwrap();
    let handle = KbHandle::with_threshold(
        KbSnapshot::build(store.load_all().unwrap(), 384, HnswParams::default()).unwrap(),
        1,
    );
    let before = handle.snapshot();
    let new = article(
        "KB-7",
        "Cancel a subscription",
        "Subscriptions can be cancelled any time from Account settings.",
    );
    let changes = store
        .apply(vec![new], vec!["KB-2".into()], &embedder, &mut |_, _| {})
        .unwrap();
    assert_eq!(embedder.count(), 6);
    handle.apply(changes).await.unwrap();
    let after = handle.snapshot();
    assert!(before.article("KB-2").is_some() && before.article("KB-7").is_none());
    assert_eq!(
        top_ids(&before, "I was charged twice and want my money back")[0],
        "KB-2"
    );
    assert!(after.article("KB-2").is_none());
    assert_eq!(
        top_ids(&after, "how do I cancel my subscription")[0],
        "KB-7"
    );
    assert!(
        !top_ids(&after, "I was charged twice and want my money back")
            .contains(&"KB-2".to_string())
    );
    assert_eq!(
        after.pending_compaction(),
        0,
        "threshold 1: compacted after the delta"
    );
}

#[test]
fn delta_snapshot_finds_updates_without_touching_the_graph() {
    let entries: Vec<(Article, Vec<f32>)> = {
        let texts: Vec<String> = corpus()
            .iter()
            .map(assist_core::kb::store::embedding_text)
            .collect();
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        corpus()
            .into_iter()
            .zip(real().embed(&refs).unwrap())
            .collect()
    };
    let base = KbSnapshot::build(entries, 384, HnswParams::default()).unwrap();
    let changed = article(
        "KB-3",
        "Error E-9001 at checkout",
        "E-9001 means the basket expired; reload the page.",
    );
    let vector = query_vec(&assist_core::kb::store::embedding_text(&changed));
    let next = base
        .with_changes(&[(changed, vector)], &["KB-1".into()])
        .unwrap();
    assert_eq!(
        next.pending_compaction(),
        3,
        "one new delta slot, two tombstones"
    );
    assert_eq!(top_ids(&next, "checkout says E-9001")[0], "KB-3");
    assert!(!top_ids(&next, "I forgot my password").contains(&"KB-1".to_string()));
    assert_eq!(
        top_ids(&next.compacted(), "checkout says E-9001")[0],
        "KB-3"
    );
}
