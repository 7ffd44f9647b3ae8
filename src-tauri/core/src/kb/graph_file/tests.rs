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

#[test]
fn a_saved_graph_comes_back_and_answers_like_the_original() {
    let (_dir, files, built) = saved(300);
    let mut warm = without_graph(entries(300, 7));
    assert_eq!(warm.fingerprint(), built.fingerprint());
    let graph = files.load(&warm).expect("loads");
    assert!(warm.adopt_graph(graph).is_ok());
    assert_eq!(warm.pending_compaction(), 0, "no background rebuild needed");
    for (query, _) in entries(20, 99).iter().map(|(a, v)| (v, a)) {
        let a: Vec<_> = built
            .dense_top_k(query, 10)
            .into_iter()
            .map(|(id, _)| id.clone())
            .collect();
        let b: Vec<_> = warm
            .dense_top_k(query, 10)
            .into_iter()
            .map(|(id, _)| id.clone())
            .collect();
        assert_eq!(a, b, "the same graph gives the same neighbours");
    }
}

#[test]
fn a_changed_kb_does_not_take_the_old_graph() {
    let (_dir, files, _) = saved(100);
    let mut changed = entries(100, 7);
    changed[40].1[0] += 0.01;
    assert!(matches!(
        files.load(&without_graph(changed)),
        Err(NotLoaded::Stale)
    ));
    assert!(matches!(
        files.load(&without_graph(entries(99, 7))),
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
    let warm = without_graph(entries(100, 7));
    let Err(error) = files.load(&warm) else {
        panic!("a damaged graph file was loaded")
    };
    assert!(
        matches!(&error, NotLoaded::Corrupt(why) if why.contains("checksum")),
        "{error}"
    );

    fs::write(root.join(MANIFEST), "{ not json").unwrap();
    assert!(matches!(files.load(&warm), Err(NotLoaded::Corrupt(_))));
    fs::remove_file(root.join(MANIFEST)).unwrap();
    assert!(matches!(files.load(&warm), Err(NotLoaded::Missing)));
}

#[test]
fn a_manifest_cannot_point_outside_its_folder() {
    let (dir, files, built) = saved(50);
    let path = dir.path().join("kb-graph").join(MANIFEST);
    let mut manifest: Manifest = serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
    let saved_folder = manifest.folder.clone();
    manifest.folder = format!("{FOLDER_PREFIX}x/../..");
    fs::write(&path, serde_json::to_string(&manifest).unwrap()).unwrap();
    let warm = without_graph(entries(50, 7));
    assert_eq!(warm.fingerprint(), built.fingerprint());
    assert!(matches!(files.load(&warm), Err(NotLoaded::Corrupt(why)) if why.contains("folder")));
    manifest.folder = saved_folder;
    manifest.basename = "../../kb".into();
    fs::write(&path, serde_json::to_string(&manifest).unwrap()).unwrap();
    assert!(matches!(files.load(&warm), Err(NotLoaded::Corrupt(why)) if why.contains("basename")));
    manifest.basename = "kb".into();
    manifest.files[1] = manifest.files[0].clone(); // the data file left unchecked
    fs::write(&path, serde_json::to_string(&manifest).unwrap()).unwrap();
    assert!(matches!(files.load(&warm), Err(NotLoaded::Corrupt(why)) if why.contains("basename")));
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
