//! A snapshot around a saved HNSW graph ([`crate::kb::graph_file`]): graph slot `i` is the article saved at `i` when the
//! store still holds it with the same vector; an article changed or removed since is a tombstone there, and new or
//! changed articles go to the exact-scan delta. The graph is reused even when the KB changed a little since it was
//! saved; the usual compaction threshold decides when it is rebuilt.

use std::collections::HashMap;
use std::sync::Arc;

use sha2::{Digest, Sha256};

use super::{lookup_indexes, new_slot, HnswParams, KbSnapshot, Slot, SnapshotError};
use crate::domain::{Article, ArticleId};
use crate::kb::bm25_index::{indexed_text, Bm25Index};
use crate::kb::graph_file::{Graph, SavedGraph};

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
        if let Some((a, v)) = entries.iter().find(|(_, v)| v.len() != dim) {
            return Err(SnapshotError::WrongDimension {
                id: a.id.clone(),
                actual: v.len(),
                expected: dim,
            });
        }
        let SavedGraph {
            graph,
            slots: saved_slots,
        } = saved;
        let mut by_id: HashMap<ArticleId, (Article, Vec<f32>)> =
            entries.into_iter().map(|e| (e.0.id.clone(), e)).collect();
        let mut slots = Vec::with_capacity(by_id.len().max(saved_slots.len()));
        let mut alive = Vec::with_capacity(slots.capacity());
        for (id, digest) in &saved_slots {
            match by_id.get(id) {
                Some((_, vector)) if vector_digest(vector) == *digest => {
                    let (article, vector) = by_id.remove(id).expect("present");
                    slots.push(new_slot(article, vector));
                    alive.push(true);
                }
                _ => {
                    slots.push(tombstone(dim));
                    alive.push(false);
                }
            }
        }
        let indexed = slots.len();
        let reused = alive.iter().filter(|a| **a).count();
        let mut delta: Vec<(Article, Vec<f32>)> = by_id.into_values().collect();
        delta.sort_by(|a, b| a.0.id.cmp(&b.0.id));
        let added = delta.len();
        for (article, vector) in delta {
            slots.push(new_slot(article, vector));
            alive.push(true);
        }
        let docs: Vec<(u32, String)> = slots
            .iter()
            .zip(&alive)
            .enumerate()
            .filter(|(_, (_, live))| **live)
            .map(|(i, (slot, _))| (i as u32, indexed_text(&slot.article)))
            .collect();
        let (id_to_slot, identifier_index) = lookup_indexes(&slots, &alive);
        let snapshot = Self {
            bm25: Bm25Index::build(&docs),
            tombstones_in_graph: indexed - reused,
            hnsw: Some(Arc::new(graph) as Arc<Graph>),
            slots,
            alive,
            id_to_slot,
            indexed,
            identifier_index,
            dim,
            params,
        };
        let reuse = Reuse {
            reused,
            stale: indexed - reused,
            added,
        };
        Ok((snapshot, reuse))
    }
}

/// A dead graph slot: never returned (filtered out of graph results), never indexed.
fn tombstone(dim: usize) -> Slot {
    Slot {
        article: Arc::new(Article {
            id: String::new(),
            title: String::new(),
            content: String::new(),
            url: None,
            updated_at: None,
        }),
        vector: vec![0.0; dim].into(),
        identifiers: Arc::from(Vec::new()),
    }
}
