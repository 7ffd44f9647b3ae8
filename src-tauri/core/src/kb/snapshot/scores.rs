//! [`Bm25Scores`]: one query's BM25 scores over a snapshot's slots, read by id or as a top-k of live articles.

use super::KbSnapshot;
use crate::domain::ArticleId;

/// BM25 scores of one query over the whole KB.
pub struct Bm25Scores<'a> {
    pub(super) snapshot: &'a KbSnapshot,
    pub(super) scores: Vec<f32>,
}

impl<'a> Bm25Scores<'a> {
    /// The `k` best matching live articles, best first, ties by id.
    pub fn top_k(&self, k: usize) -> Vec<(&'a ArticleId, f32)> {
        let snapshot = self.snapshot;
        let live: Vec<f32> = self
            .scores
            .iter()
            .zip(&snapshot.alive)
            .map(|(s, a)| if *a { *s } else { 0.0 })
            .collect();
        let hits = crate::kb::bm25_index::top_k_of(&live, k);
        snapshot.sorted_ids(hits, k)
    }

    /// Raw score of a live article (0 when it does not match or is unknown).
    pub fn score_of(&self, id: &str) -> f32 {
        self.snapshot
            .id_to_slot
            .get(id)
            .map_or(0.0, |&s| self.scores[s as usize])
    }
}
