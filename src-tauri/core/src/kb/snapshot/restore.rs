//! A snapshot around a saved HNSW graph ([`crate::kb::graph_file`]): graph slot `i` is the article saved at `i` when the
//! store still holds it with the same vector; an article changed or removed since is a tombstone there, and new or
//! changed articles go to the exact-scan delta. The graph is reused even when the KB changed a little since it was
//! saved; the usual compaction threshold decides when it is rebuilt.

use std::collections::HashMap;

use sha2::{Digest, Sha256};

use super::{check_dimension, GraphFor, HnswParams, KbSnapshot, SnapshotError};
use crate::domain::{Article, ArticleId};
use crate::kb::graph_file::SavedGraph;

/// How much of a saved graph a restored snapshot could use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reuse {
    /// Graph slots whose article and vector are unchanged.
    pub reused: usize,
    /// Graph slots whose article changed or was removed (tombstones).
    pub stale: usize,
    /// Articles outside the graph (new or changed), in the exact-scan delta.
    pub added: usize,
}

/// Short digest of a vector's bytes: what a saved graph slot is compared by.
pub fn vector_digest(vector: &[f32]) -> String {
    let mut hasher = Sha256::new();
    for x in vector {
        hasher.update(x.to_le_bytes());
    }
    crate::digest::hex(&hasher.finalize()[..8])
}

impl KbSnapshot {
    /// (article id, [`vector_digest`]) of each graph slot, when the graph covers every live article and nothing else.
    pub fn graph_slots(&self) -> Option<Vec<(ArticleId, String)>> {
        self.complete_graph()?;
        Some(
            self.slots
                .iter()
                .map(|s| (s.article.id.clone(), vector_digest(&s.vector)))
                .collect(),
        )
    }

    /// A snapshot of `entries` (the stored KB) that searches `saved`'s graph for every article it still fits.
    pub fn with_saved_graph(
        entries: Vec<(Article, Vec<f32>)>,
        dim: usize,
        params: HnswParams,
        saved: SavedGraph,
    ) -> Result<(Self, Reuse), SnapshotError> {
        check_dimension(&entries, dim)?;
        let SavedGraph {
            graph,
            slots: saved_slots,
        } = saved;
        let mut by_id: HashMap<ArticleId, (Article, Vec<f32>)> =
            entries.into_iter().map(|e| (e.0.id.clone(), e)).collect();
        let mut layout: Vec<Option<(Article, Vec<f32>)>> = saved_slots
            .iter()
            .map(|(id, digest)| match by_id.get(id) {
                Some((_, vector)) if vector_digest(vector) == *digest => by_id.remove(id),
                _ => None,
            })
            .collect();
        let indexed = layout.len();
        let reused = layout.iter().filter(|e| e.is_some()).count();
        let mut delta: Vec<(Article, Vec<f32>)> = by_id.into_values().collect();
        delta.sort_by(|a, b| a.0.id.cmp(&b.0.id));
        let added = delta.len();
        layout.extend(delta.into_iter().map(Some));
        let snapshot = Self::from_layout(layout, dim, params, GraphFor::Saved { graph, indexed });
        let reuse = Reuse {
            reused,
            stale: indexed - reused,
            added,
        };
        Ok((snapshot, reuse))
    }
}
