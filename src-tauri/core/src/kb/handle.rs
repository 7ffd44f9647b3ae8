//! [`KbHandle`]: the current snapshot behind an atomically swapped `Arc`, and the single writer that updates it.
//!
//! Readers clone the `Arc` (the lock is held only for that clone) and query without blocking. The writer applies store
//! changes as a delta (visible in milliseconds), then compacts (rebuilds the HNSW graph) in `spawn_blocking` once the
//! delta passes a threshold; queries keep using the previous snapshot until the new one is swapped in. With
//! [`GraphFiles`], each compacted graph is also saved, so the next start loads it instead of rebuilding it.

use std::sync::{Arc, RwLock};

use crate::kb::graph_file::{GraphFiles, SaveError};
use crate::kb::snapshot::{KbSnapshot, SnapshotError};
use crate::kb::store::AppliedChanges;

/// Delta size (new slots + tombstones) above which the graph is rebuilt.
pub const DEFAULT_COMPACTION_THRESHOLD: usize = 256;

/// Why an update could not be published; the previous snapshot stays in place.
#[derive(Debug, thiserror::Error)]
pub enum UpdateError {
    #[error(transparent)]
    Snapshot(#[from] SnapshotError),
    /// The blocking task building the snapshot panicked or was cancelled.
    #[error("snapshot build task failed: {0}")]
    Task(String),
}

/// Shared access to the current KB snapshot.
pub struct KbHandle {
    current: RwLock<Arc<KbSnapshot>>,
    writer: tokio::sync::Mutex<()>,
    compaction_threshold: usize,
    graph_files: Option<GraphFiles>,
}

impl KbHandle {
    /// A handle serving `snapshot`.
    pub fn new(snapshot: KbSnapshot) -> Self {
        Self::with_threshold(snapshot, DEFAULT_COMPACTION_THRESHOLD)
    }

    /// A handle that compacts once the delta exceeds `compaction_threshold`.
    pub fn with_threshold(snapshot: KbSnapshot, compaction_threshold: usize) -> Self {
        Self {
            current: RwLock::new(Arc::new(snapshot)),
            writer: tokio::sync::Mutex::new(()),
            compaction_threshold,
            graph_files: None,
        }
    }

    /// Saves every compacted graph to `files` (see [`GraphFiles::load`] for the way back).
    pub fn with_graph_files(mut self, files: GraphFiles) -> Self {
        self.graph_files = Some(files);
        self
    }

    /// The current snapshot; cheap, never waits for an update in progress.
    pub fn snapshot(&self) -> Arc<KbSnapshot> {
        match self.current.read() {
            Ok(guard) => Arc::clone(&guard),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// Replaces the current snapshot (e.g. after a full rebuild).
    pub fn replace(&self, snapshot: Arc<KbSnapshot>) {
        match self.current.write() {
            Ok(mut guard) => *guard = snapshot,
            Err(poisoned) => *poisoned.into_inner() = snapshot,
        }
    }

    /// Publishes store changes: first as a delta snapshot, then compacted in the background of this call if the delta
    /// is large. Returns once the delta is visible and any compaction finished. Writers are serialised.
    pub async fn apply(&self, changes: AppliedChanges) -> Result<(), UpdateError> {
        let _writer = self.writer.lock().await;
        let base = self.snapshot();
        let next = tokio::task::spawn_blocking(move || {
            base.with_changes(&changes.upserted, &changes.deleted)
        })
        .await
        .map_err(|e| UpdateError::Task(e.to_string()))??;
        let pending = next.pending_compaction();
        let next = Arc::new(next);
        self.replace(Arc::clone(&next));
        if pending > self.compaction_threshold {
            self.compact_locked(next).await?;
        }
        Ok(())
    }

    /// Rebuilds the graph over the live articles now (queries continue on the current snapshot meanwhile).
    pub async fn compact(&self) -> Result<(), UpdateError> {
        let _writer = self.writer.lock().await;
        self.compact_locked(self.snapshot()).await
    }

    async fn compact_locked(&self, base: Arc<KbSnapshot>) -> Result<(), UpdateError> {
        let compacted = tokio::task::spawn_blocking(move || base.compacted())
            .await
            .map_err(|e| UpdateError::Task(e.to_string()))?;
        tracing::info!(articles = compacted.len(), "KB snapshot compacted");
        let compacted = Arc::new(compacted);
        self.replace(Arc::clone(&compacted));
        if let Some(files) = self.graph_files.clone() {
            // Still under the writer lock: saves never overlap. Queries already use the new snapshot.
            let saved = tokio::task::spawn_blocking(move || {
                let started = std::time::Instant::now();
                files.save(&compacted).map(|()| started.elapsed())
            })
            .await;
            match saved {
                Ok(Ok(took)) => tracing::info!(ms = took.as_millis() as u64, "HNSW graph saved"),
                Ok(Err(SaveError::Incomplete)) => tracing::debug!("no graph to save (empty KB)"),
                Ok(Err(error)) => {
                    tracing::warn!(%error, "HNSW graph not saved; the next start rebuilds it")
                }
                Err(error) => tracing::warn!(%error, "HNSW graph save task failed"),
            }
        }
        Ok(())
    }
}
