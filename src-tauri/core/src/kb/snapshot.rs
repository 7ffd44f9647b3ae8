//! Immutable, query-ready view of the KB: articles by slot, vectors, an HNSW graph, BM25 and identifier indexes.
//!
//! hnsw_rs cannot delete points, so a snapshot is a *base* (slots `0..indexed`, all in the HNSW graph) plus a *delta*
//! (slots appended by later updates, scanned exactly) and tombstones (dead base slots, filtered out of HNSW results).
//! [`KbSnapshot::with_changes`] makes the next snapshot without re-embedding or touching the graph (milliseconds);
//! [`KbSnapshot::compacted`] rebuilds the graph over the live slots when the delta grows. Ids, never slots, leave this module.

use std::collections::HashMap;
use std::sync::Arc;

use hnsw_rs::hnsw::Hnsw;

use crate::domain::{duplicate_key, Article, ArticleId};
use crate::kb::bm25_index::{indexed_text, Bm25Index};
use crate::kb::graph_file::Graph;
pub use crate::kb::vector::{cosine, dot, NormalisedDot};
use crate::rank::identifiers;

/// HNSW construction and search settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HnswParams {
    pub max_connections: usize,
    pub ef_construction: usize,
    pub ef_search: usize,
}

impl Default for HnswParams {
    fn default() -> Self {
        Self {
            max_connections: 16,
            ef_construction: 64,
            ef_search: 64,
        }
    }
}

/// A snapshot cannot be built from these vectors.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("article {id} has a {actual}-dim vector, expected {expected}")]
    WrongDimension {
        id: ArticleId,
        actual: usize,
        expected: usize,
    },
}

mod restore;
mod scores;
pub use restore::{vector_digest, Reuse};
pub use scores::Bm25Scores;

#[derive(Clone)]
struct Slot {
    article: Arc<Article>,
    vector: Arc<[f32]>,
    identifiers: Arc<[String]>,
    /// Hash of [`duplicate_key`]: equal for the KB's duplicate articles (same title and text).
    duplicate_key: u64,
}

/// One immutable, shareable view of the KB. Queries take an `Arc` of it and never wait for updates.
#[derive(Clone)]
pub struct KbSnapshot {
    slots: Vec<Slot>,
    alive: Vec<bool>,
    id_to_slot: HashMap<ArticleId, u32>,
    hnsw: Option<Arc<Graph>>,
    indexed: usize,
    tombstones_in_graph: usize,
    bm25: Bm25Index,
    identifier_index: HashMap<String, Vec<u32>>,
    dim: usize,
    params: HnswParams,
}

impl KbSnapshot {
    /// Builds a snapshot (graph, BM25 and identifier indexes) from stored articles and vectors; no embedding.
    pub fn build(
        entries: Vec<(Article, Vec<f32>)>,
        dim: usize,
        params: HnswParams,
    ) -> Result<Self, SnapshotError> {
        check_dimension(&entries, dim)?;
        Ok(Self::build_checked(entries, dim, params, true))
    }

    /// Like [`KbSnapshot::build`] without the HNSW graph: every vector is in the exact-scan delta, so the
    /// snapshot is ready in the time it takes to build BM25 (a warm start serves queries at once; the
    /// graph comes later from [`KbSnapshot::compacted`], e.g. via `KbHandle::compact`).
    pub fn build_without_graph(
        entries: Vec<(Article, Vec<f32>)>,
        dim: usize,
        params: HnswParams,
    ) -> Result<Self, SnapshotError> {
        check_dimension(&entries, dim)?;
        Ok(Self::build_checked(entries, dim, params, false))
    }

    fn build_checked(
        mut entries: Vec<(Article, Vec<f32>)>,
        dim: usize,
        params: HnswParams,
        with_graph: bool,
    ) -> Self {
        entries.sort_by(|a, b| a.0.id.cmp(&b.0.id));
        entries.dedup_by(|later, earlier| later.0.id == earlier.0.id);
        let graph = if with_graph {
            GraphFor::Build
        } else {
            GraphFor::None
        };
        Self::from_layout(entries.into_iter().map(Some).collect(), dim, params, graph)
    }

    /// The snapshot of `layout` in slot order (`None` = a dead slot kept only for the graph's numbering), with BM25
    /// built on one core while the other makes the slots (identifier extraction) and, if asked, the graph.
    fn from_layout(
        layout: Vec<Option<(Article, Vec<f32>)>>,
        dim: usize,
        params: HnswParams,
        graph: GraphFor,
    ) -> Self {
        let docs: Vec<(u32, String)> = layout
            .iter()
            .enumerate()
            .filter_map(|(i, entry)| entry.as_ref().map(|(a, _)| (i as u32, indexed_text(a))))
            .collect();
        let alive: Vec<bool> = layout.iter().map(Option::is_some).collect();
        let (slots, hnsw, indexed, bm25) = std::thread::scope(|scope| {
            let bm25 = scope.spawn(|| Bm25Index::build(&docs));
            let slots: Vec<Slot> = layout
                .into_iter()
                .map(|entry| entry.map_or_else(|| tombstone(dim), |(a, v)| new_slot(a, v)))
                .collect();
            let (hnsw, indexed) = match graph {
                GraphFor::None => (None, 0),
                GraphFor::Build => (build_graph(&slots, params), slots.len()),
                GraphFor::Saved { graph, indexed } => (Some(Arc::new(graph)), indexed),
            };
            let bm25 = bm25
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            (slots, hnsw, indexed, bm25)
        });
        let (id_to_slot, identifier_index) = lookup_indexes(&slots, &alive);
        tracing::debug!(articles = id_to_slot.len(), "KB snapshot built");
        Self {
            tombstones_in_graph: alive[..indexed].iter().filter(|a| !**a).count(),
            alive,
            indexed,
            slots,
            id_to_slot,
            hnsw,
            bm25,
            identifier_index,
            dim,
            params,
        }
    }

    /// An empty snapshot (no KB yet).
    pub fn empty(dim: usize) -> Self {
        Self::build_checked(Vec::new(), dim, HnswParams::default(), true)
    }

    /// The next snapshot with `upserted` articles (and their stored vectors) and `deleted` ids applied; the HNSW graph is
    /// shared, new vectors go to the exact-scan delta. Fast: no embedding and no graph rebuild.
    pub fn with_changes(
        &self,
        upserted: &[(Article, Vec<f32>)],
        deleted: &[ArticleId],
    ) -> Result<Self, SnapshotError> {
        check_dimension(upserted, self.dim)?;
        let mut next = self.clone();
        let mut removed_docs = Vec::new();
        let ids_to_remove = deleted.iter().chain(upserted.iter().map(|(a, _)| &a.id));
        for id in ids_to_remove {
            if let Some(slot) = next.id_to_slot.remove(id) {
                next.kill(slot);
                removed_docs.push((slot, indexed_text(&self.slots[slot as usize].article)));
            }
        }
        let mut added_docs = Vec::new();
        for (article, vector) in upserted {
            let slot = next.slots.len() as u32;
            added_docs.push((slot, indexed_text(article)));
            next.id_to_slot.insert(article.id.clone(), slot);
            next.push_slot(new_slot(article.clone(), vector.clone()));
        }
        next.bm25 = self.bm25.with_changes(&removed_docs, &added_docs);
        Ok(next)
    }

    /// A fresh snapshot over the live articles only: new graph, no delta, no tombstones. CPU-heavy (seconds at 100k).
    pub fn compacted(&self) -> Self {
        let entries = self
            .live_slots()
            .map(|s| ((*s.article).clone(), s.vector.to_vec()))
            .collect();
        Self::build_checked(entries, self.dim, self.params, true)
    }

    /// The graph, when it covers every live article and nothing else (right after a build or compaction).
    pub fn complete_graph(&self) -> Option<&Graph> {
        let complete = self.indexed == self.slots.len() && self.tombstones_in_graph == 0;
        self.hnsw.as_deref().filter(|_| complete)
    }

    /// Number of live articles.
    pub fn len(&self) -> usize {
        self.id_to_slot.len()
    }

    /// True when the KB is empty.
    pub fn is_empty(&self) -> bool {
        self.id_to_slot.is_empty()
    }

    /// Vector dimension.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// True when queries search an HNSW graph (for some or all articles), false when every vector is scanned.
    pub fn has_graph(&self) -> bool {
        self.hnsw.is_some()
    }

    /// The HNSW settings this snapshot builds and searches with.
    pub fn params(&self) -> HnswParams {
        self.params
    }

    /// Live slots outside the graph plus dead slots inside it: the work a compaction would remove.
    pub fn pending_compaction(&self) -> usize {
        (self.slots.len() - self.indexed) + self.tombstones_in_graph
    }

    /// The live article with this id.
    pub fn article(&self, id: &str) -> Option<&Article> {
        self.id_to_slot
            .get(id)
            .map(|&slot| self.slots[slot as usize].article.as_ref())
    }

    /// A hash of the live article's normalised title and text ([`duplicate_key`]): equal for duplicates.
    pub fn duplicate_key_of(&self, id: &str) -> Option<u64> {
        self.id_to_slot
            .get(id)
            .map(|&slot| self.slots[slot as usize].duplicate_key)
    }

    /// The stored vector of the live article with this id.
    pub fn vector(&self, id: &str) -> Option<&[f32]> {
        self.id_to_slot
            .get(id)
            .map(|&slot| &*self.slots[slot as usize].vector)
    }

    /// Live articles, in slot order.
    pub fn articles(&self) -> impl Iterator<Item = &Article> {
        self.live_slots().map(|s| s.article.as_ref())
    }

    /// Dense top-k: (article id, true cosine), best first, ties by id. HNSW over the base, exact scan over the delta.
    pub fn dense_top_k(&self, query: &[f32], k: usize) -> Vec<(&ArticleId, f32)> {
        let mut hits: Vec<(u32, f32)> = self.graph_hits(query, k);
        hits.extend(
            (self.indexed..self.slots.len())
                .filter(|&s| self.alive[s])
                .map(|s| (s as u32, cosine(query, &self.slots[s].vector))),
        );
        self.sorted_ids(hits, k)
    }

    /// Dense top-k by exact scan over every live article (ground truth for the graph; small KBs and evaluation).
    pub fn dense_exact_top_k(&self, query: &[f32], k: usize) -> Vec<(&ArticleId, f32)> {
        let hits = (0..self.slots.len())
            .filter(|&s| self.alive[s])
            .map(|s| (s as u32, cosine(query, &self.slots[s].vector)))
            .collect();
        self.sorted_ids(hits, k)
    }

    /// BM25 over the whole KB for `query`: every live article's score, computed once.
    pub fn bm25(&self, query: &str) -> Bm25Scores<'_> {
        Bm25Scores {
            snapshot: self,
            scores: self.bm25.score_all(query, self.slots.len()),
        }
    }

    /// Live articles containing any of `query_ids` verbatim (upper-cased identifiers, see [`identifiers`]).
    pub fn articles_with_identifiers(&self, query_ids: &[String]) -> Vec<&ArticleId> {
        let mut slots: Vec<u32> = query_ids
            .iter()
            .filter_map(|id| self.identifier_index.get(id))
            .flatten()
            .copied()
            .filter(|&s| self.alive[s as usize])
            .collect();
        slots.sort_unstable();
        slots.dedup();
        slots
            .into_iter()
            .map(|s| &self.slots[s as usize].article.id)
            .collect()
    }

    /// The identifiers found in the live article `id` (sorted, upper-cased).
    pub fn identifiers_of(&self, id: &str) -> &[String] {
        self.id_to_slot
            .get(id)
            .map_or(&[], |&slot| &self.slots[slot as usize].identifiers)
    }

    fn graph_hits(&self, query: &[f32], k: usize) -> Vec<(u32, f32)> {
        let Some(graph) = &self.hnsw else {
            return Vec::new();
        };
        let ef = self.params.ef_search.max(k);
        let neighbours = if self.tombstones_in_graph == 0 {
            graph.search(query, k, ef)
        } else {
            let alive = |id: &usize| self.alive.get(*id).copied().unwrap_or(false);
            graph.search_filter(query, k, ef, Some(&alive))
        };
        neighbours
            .into_iter()
            .filter(|n| self.alive.get(n.d_id).copied().unwrap_or(false))
            .map(|n| (n.d_id as u32, cosine(query, &self.slots[n.d_id].vector)))
            .collect()
    }

    fn sorted_ids(&self, mut hits: Vec<(u32, f32)>, k: usize) -> Vec<(&ArticleId, f32)> {
        let mut out: Vec<(&ArticleId, f32)> = hits
            .drain(..)
            .map(|(s, score)| (&self.slots[s as usize].article.id, score))
            .collect();
        out.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(b.0)));
        out.truncate(k);
        out
    }

    fn live_slots(&self) -> impl Iterator<Item = &Slot> {
        self.slots
            .iter()
            .zip(&self.alive)
            .filter(|(_, alive)| **alive)
            .map(|(s, _)| s)
    }

    fn kill(&mut self, slot: u32) {
        let index = slot as usize;
        self.alive[index] = false;
        if index < self.indexed {
            self.tombstones_in_graph += 1;
        }
        for id in self.slots[index].identifiers.iter() {
            if let Some(list) = self.identifier_index.get_mut(id) {
                list.retain(|&s| s != slot);
            }
        }
    }

    fn push_slot(&mut self, slot: Slot) {
        let index = self.slots.len() as u32;
        for id in slot.identifiers.iter() {
            self.identifier_index
                .entry(id.clone())
                .or_default()
                .push(index);
        }
        self.slots.push(slot);
        self.alive.push(true);
    }
}

/// Where a new snapshot's HNSW graph comes from.
enum GraphFor {
    /// None yet: every vector is scanned exactly.
    None,
    /// Built now over every slot.
    Build,
    /// Loaded: it covers slots `0..indexed`.
    Saved { graph: Graph, indexed: usize },
}

/// Every vector has `dim` entries, or the error names the first article that does not.
fn check_dimension(entries: &[(Article, Vec<f32>)], dim: usize) -> Result<(), SnapshotError> {
    match entries.iter().find(|(_, v)| v.len() != dim) {
        Some((a, v)) => Err(SnapshotError::WrongDimension {
            id: a.id.clone(),
            actual: v.len(),
            expected: dim,
        }),
        None => Ok(()),
    }
}

/// A dead slot: never returned (filtered out of graph results), never indexed.
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
        duplicate_key: 0,
        identifiers: Arc::from(Vec::new()),
    }
}

/// Id → slot and identifier → slots over the live slots.
#[allow(clippy::type_complexity)]
fn lookup_indexes(
    slots: &[Slot],
    alive: &[bool],
) -> (HashMap<ArticleId, u32>, HashMap<String, Vec<u32>>) {
    let mut id_to_slot = HashMap::new();
    let mut identifier_index: HashMap<String, Vec<u32>> = HashMap::new();
    for (i, slot) in slots.iter().enumerate().filter(|(i, _)| alive[*i]) {
        id_to_slot.insert(slot.article.id.clone(), i as u32);
        for id in slot.identifiers.iter() {
            identifier_index
                .entry(id.clone())
                .or_default()
                .push(i as u32);
        }
    }
    (id_to_slot, identifier_index)
}

fn new_slot(article: Article, vector: Vec<f32>) -> Slot {
    let ids = identifiers(&format!("{} {}", article.title, article.content));
    let duplicate_key = {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        std::hash::Hash::hash(
            &duplicate_key(&article.title, &article.content),
            &mut hasher,
        );
        std::hash::Hasher::finish(&hasher)
    };
    Slot {
        article: Arc::new(article),
        vector: vector.into(),
        identifiers: ids.into(),
        duplicate_key,
    }
}

fn build_graph(slots: &[Slot], params: HnswParams) -> Option<Arc<Graph>> {
    if slots.is_empty() {
        return None;
    }
    // hnsw_rs's maximum, which its dump requires. Levels are drawn with scale 1/ln(M), so at M = 16 the top level
    // stays near log16(n) (4 at 65k points); the cap only bounds the draw.
    let layers = 16;
    let graph = Hnsw::new(
        params.max_connections,
        slots.len(),
        layers,
        params.ef_construction,
        NormalisedDot,
    );
    let data: Vec<(&[f32], usize)> = slots
        .iter()
        .enumerate()
        .map(|(i, s)| (&*s.vector, i))
        .collect();
    graph.parallel_insert_slice(&data);
    Some(Arc::new(graph))
}
