//! The HNSW graph on disk, so a warm start searches the graph at once instead of rebuilding it (seconds at 10k).
//!
//! Written after each compaction, the only moment the graph covers exactly the live KB: hnsw_rs's own dump goes into
//! a fresh folder, then a manifest naming that folder, the fingerprint of the KB it was built from
//! ([`KbSnapshot::fingerprint`]) and the SHA-256 of each file replaces the previous manifest atomically. A load uses
//! the graph only when the stored KB has that fingerprint and both files hash as recorded, so a torn, stale or edited
//! dump is never handed to hnsw_rs's loader (which asserts on bad input; a panic is still caught). Anything else is
//! [`NotLoaded`], and the caller builds the graph as before: losing these files costs seconds, never results.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use hnsw_rs::api::AnnT;
use hnsw_rs::hnsw::Hnsw;
use hnsw_rs::hnswio::HnswIo;
use serde::{Deserialize, Serialize};

use crate::digest::file_sha256;
use crate::kb::snapshot::{KbSnapshot, NormalisedDot};

/// A graph as the snapshot holds it.
pub type Graph = Hnsw<'static, f32, NormalisedDot>;

const MANIFEST: &str = "hnsw.json";
const FOLDER_PREFIX: &str = "hnsw-";
const BASENAME: &str = "kb";
/// Largest manifest read (a real one is under 1 KiB).
const MANIFEST_MAX_BYTES: u64 = 64 * 1024;
/// Generous bound on the graph file per point: 16 layers of counts plus 17-byte neighbour records (2M at layer 0, M above).
const GRAPH_MAX_BYTES_PER_POINT: u64 = 8 * 1024;

/// What the dump's bytes depend on: our manifest version, hnsw_rs's dump format (native-endian, native `usize`), so a
/// data dir copied to another kind of machine, or an hnsw_rs upgrade, rebuilds instead of loading. Update the hnsw_rs
/// version with the dependency.
fn format_tag() -> String {
    let endian = if cfg!(target_endian = "little") {
        "le"
    } else {
        "be"
    };
    format!("v1 hnsw_rs-0.3.5 {endian} {}-bit", usize::BITS)
}

/// What the manifest records about the current dump.
#[derive(Debug, Serialize, Deserialize)]
struct Manifest {
    /// [`format_tag`] of the writer.
    format: String,
    /// [`KbSnapshot::fingerprint`] of the KB the graph was built over.
    fingerprint: String,
    points: usize,
    /// Sub-folder holding hnsw_rs's files.
    folder: String,
    /// hnsw_rs's basename (`<basename>.hnsw.graph`, `<basename>.hnsw.data`).
    basename: String,
    /// (file name, SHA-256) of each file in `folder`.
    files: Vec<(String, String)>,
}

/// The graph could not be saved.
#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    #[error("the snapshot has no complete graph to save (delta or tombstones pending)")]
    Incomplete,
    #[error("cannot write the graph files in {path}: {reason}")]
    Io { path: PathBuf, reason: String },
}

/// Why no graph was loaded; the caller builds one instead.
#[derive(Debug, thiserror::Error)]
pub enum NotLoaded {
    #[error("no saved graph")]
    Missing,
    #[error("the saved graph was built over another KB (it changed since)")]
    Stale,
    #[error("the saved graph is unusable: {0}")]
    Corrupt(String),
}

/// The folder holding the saved graph (e.g. `<data dir>/kb-graph`).
#[derive(Debug, Clone)]
pub struct GraphFiles {
    dir: PathBuf,
}

impl GraphFiles {
    /// Graph files kept in `dir` (created on the first save).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// Saves the snapshot's graph; it must cover every live article (right after [`KbSnapshot::compacted`]).
    pub fn save(&self, snapshot: &KbSnapshot) -> Result<(), SaveError> {
        let graph = snapshot.complete_graph().ok_or(SaveError::Incomplete)?;
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |e: &dyn std::fmt::Display| SaveError::Io {
                path: path.clone(),
                reason: e.to_string(),
            }
        };
        fs::create_dir_all(&self.dir).map_err(|e| io(&self.dir)(&e))?;
        let fingerprint = snapshot.fingerprint();
        let nonce = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        // A new folder per save: the one the current manifest names is never touched.
        let folder = format!("{FOLDER_PREFIX}{}-{nonce}", &fingerprint[..12]);
        let folder_path = self.dir.join(&folder);
        fs::create_dir(&folder_path).map_err(|e| io(&folder_path)(&e))?;
        let written = (|| {
            // hnsw_rs panics when it cannot create a file (e.g. a full disk): that is a failed save, not a crash.
            let dumped = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                graph.file_dump(&folder_path, BASENAME)
            }))
            .map_err(|_| io(&folder_path)(&"hnsw_rs panicked while writing the dump"))?;
            let basename = dumped.map_err(|e| io(&folder_path)(&e))?;
            let mut files = Vec::new();
            for suffix in ["hnsw.graph", "hnsw.data"] {
                let name = format!("{basename}.{suffix}");
                let path = folder_path.join(&name);
                sync_file(&path).map_err(|e| io(&path)(&e))?;
                files.push((name, file_sha256(&path).map_err(|e| io(&path)(&e))?));
            }
            sync_dir(&folder_path).map_err(|e| io(&folder_path)(&e))?;
            let manifest = Manifest {
                format: format_tag(),
                fingerprint,
                points: graph.get_nb_point(),
                folder: folder.clone(),
                basename,
                files,
            };
            self.write_manifest(&manifest)
        })();
        match written {
            Ok(()) => {
                self.remove_other_folders(&folder);
                Ok(())
            }
            Err(error) => {
                let _ = fs::remove_dir_all(&folder_path);
                Err(error)
            }
        }
    }

    /// The saved graph, if it was built over exactly `snapshot`'s articles and vectors and its files are intact.
    pub fn load(&self, snapshot: &KbSnapshot) -> Result<Graph, NotLoaded> {
        let manifest = self.read_manifest()?;
        if manifest.format != format_tag() || manifest.fingerprint != snapshot.fingerprint() {
            return Err(NotLoaded::Stale);
        }
        if manifest.points != snapshot.len() {
            return Err(NotLoaded::Corrupt(format!(
                "{} points recorded for a KB of {}",
                manifest.points,
                snapshot.len()
            )));
        }
        let plain = |name: &str| !name.is_empty() && !name.contains(['/', '\\']) && name != "..";
        if !manifest.folder.starts_with(FOLDER_PREFIX) || !plain(&manifest.folder) {
            return Err(NotLoaded::Corrupt(format!(
                "folder name {:?}",
                manifest.folder
            )));
        }
        self.remove_other_folders(&manifest.folder); // left by a save that did not finish
                                                     // Exactly the two files hnsw_rs will open, so nothing it reads escapes the checksums.
        let graph_name = format!("{}.hnsw.graph", manifest.basename);
        let data_name = format!("{}.hnsw.data", manifest.basename);
        let names: Vec<&str> = manifest.files.iter().map(|(n, _)| n.as_str()).collect();
        if !plain(&manifest.basename) || names != [graph_name.as_str(), data_name.as_str()] {
            return Err(NotLoaded::Corrupt(
                "expected <basename>.hnsw.graph and <basename>.hnsw.data".into(),
            ));
        }
        let folder = self.dir.join(&manifest.folder);
        let n = snapshot.len() as u64;
        let data_bytes = 12 + n * (20 + 4 * snapshot.dim() as u64);
        let size = |name: &str| {
            fs::metadata(folder.join(name))
                .map(|m| m.len())
                .unwrap_or(0)
        };
        if size(&data_name) != data_bytes
            || size(&graph_name) > 64 * 1024 + n * GRAPH_MAX_BYTES_PER_POINT
        {
            return Err(NotLoaded::Corrupt(format!(
                "file sizes do not fit {n} points of dimension {}",
                snapshot.dim()
            )));
        }
        for (name, expected) in &manifest.files {
            let actual = file_sha256(&folder.join(name))
                .map_err(|e| NotLoaded::Corrupt(format!("{name}: {e}")))?;
            if &actual != expected {
                return Err(NotLoaded::Corrupt(format!("{name}: checksum mismatch")));
            }
        }
        // hnsw_rs ties the graph's lifetime to its loader; one small loader is leaked per load (once per start).
        let loader: &'static mut HnswIo =
            Box::leak(Box::new(HnswIo::new(&folder, &manifest.basename)));
        let graph: Graph = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
            let loader = loader; // moved in: the closure is FnOnce
            load_from(loader)
        }))
        .map_err(|_| NotLoaded::Corrupt("the loader panicked".into()))?
        .map_err(NotLoaded::Corrupt)?;
        if graph.get_nb_point() != snapshot.len()
            || graph.get_point_indexation().get_data_dimension() != snapshot.dim()
        {
            return Err(NotLoaded::Corrupt(format!(
                "{} points of dimension {}, the KB has {} of {}",
                graph.get_nb_point(),
                graph.get_point_indexation().get_data_dimension(),
                snapshot.len(),
                snapshot.dim()
            )));
        }
        Ok(graph)
    }

    fn read_manifest(&self) -> Result<Manifest, NotLoaded> {
        let path = self.dir.join(MANIFEST);
        let len = match fs::metadata(&path) {
            Ok(meta) => meta.len(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(NotLoaded::Missing),
            Err(e) => return Err(NotLoaded::Corrupt(format!("manifest unreadable: {e}"))),
        };
        if len > MANIFEST_MAX_BYTES {
            return Err(NotLoaded::Corrupt(format!("manifest of {len} bytes")));
        }
        let text = fs::read_to_string(&path)
            .map_err(|e| NotLoaded::Corrupt(format!("manifest unreadable: {e}")))?;
        serde_json::from_str(&text).map_err(|e| NotLoaded::Corrupt(format!("manifest: {e}")))
    }

    fn write_manifest(&self, manifest: &Manifest) -> Result<(), SaveError> {
        let path = self.dir.join(MANIFEST);
        let temp = self.dir.join(format!("{MANIFEST}.{}.tmp", manifest.folder));
        let io = |e: std::io::Error| SaveError::Io {
            path: path.clone(),
            reason: e.to_string(),
        };
        let json = serde_json::to_vec_pretty(manifest).map_err(|e| SaveError::Io {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        let mut file = fs::File::create(&temp).map_err(io)?;
        file.write_all(&json).map_err(io)?;
        file.sync_all().map_err(io)?;
        sync_dir(&self.dir).map_err(io)?; // the new folder's entry is durable before the manifest names it
        fs::rename(&temp, &path).map_err(io)?;
        let _ = sync_dir(&self.dir);
        Ok(())
    }

    fn remove_other_folders(&self, keep: &str) {
        let Ok(entries) = fs::read_dir(&self.dir) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if name.starts_with(FOLDER_PREFIX) && name != keep {
                let _ = fs::remove_dir_all(entry.path());
            } else if name.starts_with(MANIFEST) && name.ends_with(".tmp") {
                let _ = fs::remove_file(entry.path());
            }
        }
    }
}

fn load_from(loader: &'static mut HnswIo) -> Result<Graph, String> {
    loader.load_hnsw().map_err(|e| e.to_string())
}

fn sync_dir(path: &Path) -> std::io::Result<()> {
    fs::File::open(path)?.sync_all()
}

fn sync_file(path: &Path) -> std::io::Result<()> {
    fs::OpenOptions::new().read(true).open(path)?.sync_all()
}

#[cfg(test)]
mod tests {
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
        let mut manifest: Manifest =
            serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
        let saved_folder = manifest.folder.clone();
        manifest.folder = format!("{FOLDER_PREFIX}x/../..");
        fs::write(&path, serde_json::to_string(&manifest).unwrap()).unwrap();
        let warm = without_graph(entries(50, 7));
        assert_eq!(warm.fingerprint(), built.fingerprint());
        assert!(
            matches!(files.load(&warm), Err(NotLoaded::Corrupt(why)) if why.contains("folder"))
        );
        manifest.folder = saved_folder;
        manifest.basename = "../../kb".into();
        fs::write(&path, serde_json::to_string(&manifest).unwrap()).unwrap();
        assert!(
            matches!(files.load(&warm), Err(NotLoaded::Corrupt(why)) if why.contains("basename"))
        );
        manifest.basename = "kb".into();
        manifest.files[1] = manifest.files[0].clone(); // the data file left unchecked
        fs::write(&path, serde_json::to_string(&manifest).unwrap()).unwrap();
        assert!(
            matches!(files.load(&warm), Err(NotLoaded::Corrupt(why)) if why.contains("basename"))
        );
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
}
