//! Save/load round trip, stale and damaged files, manifests pointing elsewhere.

use super::*;
use crate::domain::Article;
use crate::kb::HnswParams;

const DIM: usize = 32;

/// `n` articles with deterministic, normalised pseudo-random vectors.
fn entries(n: usize, seed: u64) -> Vec<(Article, Vec<f32>)> {
    let mut state = seed;
    let mut next = move || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((state >> 33) as f32 / (1u64 << 31) as f32) - 0.5
    };
    (0..n)
        .map(|i| {
            let v: Vec<f32> = (0..DIM).map(|_| next()).collect();
            let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
            let article = Article {
                id: format!("a{i:04}"),
                title: format!("article {i}"),
                content: format!("body {i}"),
                url: None,
                updated_at: None,
            };
            (article, v.into_iter().map(|x| x / norm).collect())
        })
        .collect()
}

fn without_graph(entries: Vec<(Article, Vec<f32>)>) -> KbSnapshot {
    KbSnapshot::build_without_graph(entries, DIM, HnswParams::default()).unwrap()
}

fn saved(n: usize) -> (tempfile::TempDir, GraphFiles, KbSnapshot) {
    let dir = tempfile::tempdir().unwrap();
    let files = GraphFiles::new(dir.path().join("kb-graph"));
    let built = KbSnapshot::build(entries(n, 7), DIM, HnswParams::default()).unwrap();
    files.save(&built).unwrap();
    (dir, files, built)
}

fn load(files: &GraphFiles) -> Result<SavedGraph, NotLoaded> {
    files.load(DIM, HnswParams::default())
}

fn restore(
    files: &GraphFiles,
    entries: Vec<(Article, Vec<f32>)>,
) -> (KbSnapshot, crate::kb::snapshot::Reuse) {
    let saved = load(files).unwrap_or_else(|e| panic!("loads: {e}"));
    KbSnapshot::with_saved_graph(entries, DIM, HnswParams::default(), saved).unwrap()
}

fn top_ids(snapshot: &KbSnapshot, query: &[f32], k: usize) -> Vec<String> {
    snapshot
        .dense_top_k(query, k)
        .into_iter()
        .map(|(id, _)| id.clone())
        .collect()
}

#[test]
fn a_saved_graph_comes_back_and_answers_like_the_original() {
    let (_dir, files, built) = saved(300);
    let (warm, reuse) = restore(&files, entries(300, 7));
    assert_eq!((reuse.reused, reuse.stale, reuse.added), (300, 0, 0));
    assert!(warm.complete_graph().is_some());
    assert_eq!(warm.pending_compaction(), 0, "no background rebuild needed");
    for (_, query) in entries(20, 99) {
        assert_eq!(
            top_ids(&built, &query, 10),
            top_ids(&warm, &query, 10),
            "the same graph gives the same neighbours"
        );
    }
}

#[test]
fn a_changed_kb_reuses_the_graph_for_what_did_not_change() {
    let (_dir, files, _) = saved(100);
    let mut changed = entries(100, 7);
    changed.remove(10); // deleted since the save
    changed[40].1.reverse(); // a changed vector (a0041)
    let (extra, _) = entries(1, 3).remove(0);
    let new_vector = entries(1, 5).remove(0).1;
    changed.push((
        Article {
            id: "new-1".into(),
            ..extra
        },
        new_vector.clone(),
    ));
    let (warm, reuse) = restore(&files, changed.clone());
    assert_eq!((reuse.reused, reuse.stale, reuse.added), (98, 2, 2));
    assert_eq!(warm.len(), 100);
    assert_eq!(
        warm.pending_compaction(),
        4,
        "2 tombstones + 2 in the delta"
    );
    assert!(warm.article("a0010").is_none(), "deleted stays deleted");
    assert_eq!(
        top_ids(&warm, &new_vector, 1),
        ["new-1"],
        "a new article is found"
    );
    let changed_vector = changed[40].1.clone();
    assert_eq!(
        top_ids(&warm, &changed_vector, 1),
        ["a0041"],
        "found by its new vector"
    );
    for (_, query) in entries(20, 99) {
        let hits = top_ids(&warm, &query, 10);
        assert!(
            !hits.contains(&String::new()),
            "a tombstone is never returned"
        );
        assert_eq!(hits.len(), 10);
    }
    // BM25 and identifiers see the live articles only.
    assert_eq!(warm.bm25("body 10").score_of("a0010"), 0.0);
    assert!(warm.bm25("body 41").score_of("a0041") > 0.0);
}

#[test]
fn other_settings_do_not_take_the_saved_graph() {
    let (_dir, files, _) = saved(50);
    let other = HnswParams {
        max_connections: 8,
        ..HnswParams::default()
    };
    assert!(matches!(files.load(DIM, other), Err(NotLoaded::Stale)));
    assert!(matches!(
        files.load(DIM + 1, HnswParams::default()),
        Err(NotLoaded::Stale)
    ));
}

#[test]
fn damaged_files_are_refused_without_parsing_them() {
    let (dir, files, _) = saved(100);
    let root = dir.path().join("kb-graph");
    let folder = fs::read_dir(&root)
        .unwrap()
        .flatten()
        .find(|e| e.file_name().to_string_lossy().starts_with(FOLDER_PREFIX))
        .unwrap()
        .path();
    let graph_file = folder.join("kb.hnsw.graph");
    let mut bytes = fs::read(&graph_file).unwrap();
    bytes[0] ^= 0xff; // would trip hnsw_rs's magic-number assert if it were parsed
    fs::write(&graph_file, &bytes).unwrap();
    let Err(error) = load(&files) else {
        panic!("a damaged graph file was loaded")
    };
    assert!(
        matches!(&error, NotLoaded::Corrupt(why) if why.contains("checksum")),
        "{error}"
    );

    fs::write(root.join(MANIFEST), "{ not json").unwrap();
    assert!(matches!(load(&files), Err(NotLoaded::Corrupt(_))));
    fs::remove_file(root.join(MANIFEST)).unwrap();
    assert!(matches!(load(&files), Err(NotLoaded::Missing)));
}

#[test]
fn a_manifest_cannot_point_outside_its_folder() {
    let (dir, files, _) = saved(50);
    let path = dir.path().join("kb-graph").join(MANIFEST);
    let mut manifest: Manifest = serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
    let saved_folder = manifest.folder.clone();
    manifest.folder = format!("{FOLDER_PREFIX}x/../..");
    fs::write(&path, serde_json::to_string(&manifest).unwrap()).unwrap();
    assert!(matches!(load(&files), Err(NotLoaded::Corrupt(why)) if why.contains("folder")));
    manifest.folder = saved_folder;
    manifest.basename = "../../kb".into();
    fs::write(&path, serde_json::to_string(&manifest).unwrap()).unwrap();
    assert!(matches!(load(&files), Err(NotLoaded::Corrupt(why)) if why.contains("basename")));
    manifest.basename = "kb".into();
    manifest.files[1] = manifest.files[0].clone(); // the data file left unchecked
    fs::write(&path, serde_json::to_string(&manifest).unwrap()).unwrap();
    assert!(matches!(load(&files), Err(NotLoaded::Corrupt(why)) if why.contains("basename")));
}

#[test]
fn each_save_replaces_the_last_and_only_complete_graphs_are_saved() {
    let (dir, files, built) = saved(60);
    files.save(&built).unwrap();
    let folders = fs::read_dir(dir.path().join("kb-graph"))
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(FOLDER_PREFIX))
        .count();
    assert_eq!(folders, 1, "older dumps are removed");
    let with_delta = built.with_changes(&entries(1, 3), &[]).unwrap();
    assert!(matches!(
        files.save(&with_delta),
        Err(SaveError::Incomplete)
    ));
    assert!(matches!(
        files.save(&without_graph(entries(5, 1))),
        Err(SaveError::Incomplete)
    ));
}
