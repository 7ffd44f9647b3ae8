//! The HNSW graph on disk, so a warm start searches the graph at once instead of rebuilding it (seconds at 10k).
//!
//! Written after each compaction, the only moment the graph covers exactly the live KB: hnsw_rs's own dump and the
//! article id + vector digest of each graph slot (`slots.json`) go into a fresh folder, then a manifest naming that
//! folder, the graph settings and the SHA-256 of each file replaces the previous manifest atomically. A load hands the
//! files to hnsw_rs's loader (which asserts on bad input; a panic is still caught) only when the settings match and
//! every file hashes as recorded, so a torn or edited dump is never parsed. [`KbSnapshot::with_saved_graph`] then
//! reuses each slot whose article is unchanged. Anything else is [`NotLoaded`], and the caller builds the graph as
//! before: losing these files costs seconds, never results.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use hnsw_rs::api::AnnT;
use hnsw_rs::hnsw::Hnsw;
use hnsw_rs::hnswio::HnswIo;
use serde::{Deserialize, Serialize};

use crate::digest::file_sha256;
use crate::domain::ArticleId;
use crate::kb::snapshot::{HnswParams, KbSnapshot, NormalisedDot};

/// A graph as the snapshot holds it.
pub type Graph = Hnsw<'static, f32, NormalisedDot>;

const MANIFEST: &str = "hnsw.json";
const FOLDER_PREFIX: &str = "hnsw-";
const BASENAME: &str = "kb";
const SLOTS: &str = "slots.json";
/// Bound on `slots.json` per point (an id and a 16-hex digest, JSON-quoted).
const SLOTS_MAX_BYTES_PER_POINT: u64 = 1024;
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
    /// Vector dimension and construction settings the graph was built with.
    dim: usize,
    max_connections: usize,
    ef_construction: usize,
    points: usize,
    /// Sub-folder holding hnsw_rs's files.
    folder: String,
    /// hnsw_rs's basename (`<basename>.hnsw.graph`, `<basename>.hnsw.data`).
    basename: String,
    /// (file name, SHA-256) of each file in `folder`: the graph, the data, the slots.
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
    #[error("the saved graph was built with other settings or by another version")]
    Stale,
    #[error("the saved graph is unusable: {0}")]
    Corrupt(String),
}

/// A verified, loaded graph and the (article id, vector digest) of each of its slots.
pub struct SavedGraph {
    pub graph: Graph,
    pub slots: Vec<(ArticleId, String)>,
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
        let slots = snapshot.graph_slots().ok_or(SaveError::Incomplete)?;
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |e: &dyn std::fmt::Display| SaveError::Io {
                path: path.clone(),
                reason: e.to_string(),
            }
        };
        fs::create_dir_all(&self.dir).map_err(|e| io(&self.dir)(&e))?;
        let nonce = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        // A new folder per save: the one the current manifest names is never touched.
        let folder = format!("{FOLDER_PREFIX}{nonce}");
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
            let slots_json = serde_json::to_vec(&slots).map_err(|e| io(&folder_path)(&e))?;
            fs::write(folder_path.join(SLOTS), slots_json).map_err(|e| io(&folder_path)(&e))?;
            let names = [
                format!("{basename}.hnsw.graph"),
                format!("{basename}.hnsw.data"),
                SLOTS.to_string(),
            ];
            for name in names {
                let path = folder_path.join(&name);
                sync_file(&path).map_err(|e| io(&path)(&e))?;
                files.push((name, file_sha256(&path).map_err(|e| io(&path)(&e))?));
            }
            sync_dir(&folder_path).map_err(|e| io(&folder_path)(&e))?;
            let manifest = Manifest {
                format: format_tag(),
                dim: snapshot.dim(),
                max_connections: snapshot.params().max_connections,
                ef_construction: snapshot.params().ef_construction,
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

    /// The saved graph and its slots, if it was built with `dim` and `params` and its files are intact.
    pub fn load(&self, dim: usize, params: HnswParams) -> Result<SavedGraph, NotLoaded> {
        let manifest = self.read_manifest()?;
        let settings = (dim, params.max_connections, params.ef_construction);
        if manifest.format != format_tag()
            || (
                manifest.dim,
                manifest.max_connections,
                manifest.ef_construction,
            ) != settings
        {
            return Err(NotLoaded::Stale);
        }
        let plain = |name: &str| !name.is_empty() && !name.contains(['/', '\\']) && name != "..";
        if !manifest.folder.starts_with(FOLDER_PREFIX) || !plain(&manifest.folder) {
            return Err(NotLoaded::Corrupt(format!(
                "folder name {:?}",
                manifest.folder
            )));
        }
        // Left by a save that did not finish.
        self.remove_other_folders(&manifest.folder);
        // Exactly the files hnsw_rs and we will open, so nothing read escapes the checksums.
        let graph_name = format!("{}.hnsw.graph", manifest.basename);
        let data_name = format!("{}.hnsw.data", manifest.basename);
        let names: Vec<&str> = manifest.files.iter().map(|(n, _)| n.as_str()).collect();
        if !plain(&manifest.basename) || names != [graph_name.as_str(), data_name.as_str(), SLOTS] {
            return Err(NotLoaded::Corrupt(
                "expected <basename>.hnsw.graph, <basename>.hnsw.data and slots.json".into(),
            ));
        }
        let folder = self.dir.join(&manifest.folder);
        let n = manifest.points as u64;
        let data_bytes = 12 + n * (20 + 4 * dim as u64);
        let size = |name: &str| {
            fs::metadata(folder.join(name))
                .map(|m| m.len())
                .unwrap_or(0)
        };
        if size(&data_name) != data_bytes
            || size(&graph_name) > 64 * 1024 + n * GRAPH_MAX_BYTES_PER_POINT
            || size(SLOTS) > 64 + n * SLOTS_MAX_BYTES_PER_POINT
        {
            return Err(NotLoaded::Corrupt(format!(
                "file sizes do not fit {n} points of dimension {dim}"
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
        let slots: Vec<(ArticleId, String)> = fs::read(folder.join(SLOTS))
            .map_err(|e| e.to_string())
            .and_then(|bytes| serde_json::from_slice(&bytes).map_err(|e| e.to_string()))
            .map_err(|e| NotLoaded::Corrupt(format!("{SLOTS}: {e}")))?;
        let found_dim = graph.get_point_indexation().get_data_dimension();
        if graph.get_nb_point() != manifest.points
            || slots.len() != manifest.points
            || found_dim != dim
        {
            return Err(NotLoaded::Corrupt(format!(
                "{} points and {} slots of dimension {found_dim}, the manifest says {} of {dim}",
                graph.get_nb_point(),
                slots.len(),
                manifest.points
            )));
        }
        Ok(SavedGraph { graph, slots })
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
mod tests;
