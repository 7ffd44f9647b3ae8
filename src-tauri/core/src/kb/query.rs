//! The retrieval entry point the pipeline calls (CPU-bound: run it in `spawn_blocking`).
//!
//! Candidates are the union of the dense top-k (HNSW), the BM25 top-k over the whole KB and the articles that contain an
//! identifier of the query verbatim; every candidate then gets its true cosine, its BM25 score and its identifier share,
//! and [`crate::rank::fuse`] orders them. Duplicate articles (same title and text) collapse into the best-ranked one
//! ([`crate::rank::collapse_duplicates`]).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::domain::{ArticleId, RankedArticle};
use crate::kb::snapshot::{cosine, Bm25Scores, KbSnapshot};
use crate::rank::{collapse_duplicates, exact_share, fuse, identifiers, Candidate, FusionWeights};

/// Retrieval knobs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RetrieveParams {
    /// Dense candidates taken from the HNSW graph.
    pub dense_k: usize,
    /// BM25 candidates taken from the whole KB.
    pub bm25_k: usize,
    /// Results returned.
    pub top_n: usize,
    pub weights: FusionWeights,
}

impl Default for RetrieveParams {
    fn default() -> Self {
        Self {
            dense_k: 20,
            bm25_k: 20,
            top_n: 3,
            weights: FusionWeights::default(),
        }
    }
}

/// Top-n articles for a query: `query_vec` is the embedded transcript, `bm25_query` the lexical query (key phrases),
/// `raw_text` the transcript in which identifiers are looked up.
pub fn retrieve(
    snapshot: &KbSnapshot,
    query_vec: &[f32],
    bm25_query: &str,
    raw_text: &str,
    params: &RetrieveParams,
) -> Vec<RankedArticle> {
    let mut candidates: BTreeMap<&ArticleId, Candidate> = BTreeMap::new();
    for (id, cos) in snapshot.dense_top_k(query_vec, params.dense_k) {
        candidate(&mut candidates, id).dense = Some(cos);
    }
    let lexical = snapshot.bm25(bm25_query);
    for (id, score) in lexical.top_k(params.bm25_k) {
        candidate(&mut candidates, id).bm25 = Some(score);
    }
    let query_ids = identifiers(raw_text);
    for id in snapshot.articles_with_identifiers(&query_ids) {
        candidate(&mut candidates, id);
    }
    complete_legs(snapshot, &mut candidates, query_vec, &lexical, &query_ids);
    let ranked = fuse(
        &candidates.into_values().collect::<Vec<_>>(),
        &params.weights,
    );
    // A KB's duplicate articles (same title and text under other ids) would give the same card twice.
    collapse_duplicates(ranked, params.top_n, |id| snapshot.duplicate_key_of(id))
}

fn candidate<'m, 'a>(
    map: &'m mut BTreeMap<&'a ArticleId, Candidate>,
    id: &'a ArticleId,
) -> &'m mut Candidate {
    map.entry(id).or_insert_with(|| Candidate {
        article_id: id.clone(),
        dense: None,
        bm25: None,
        exact: 0.0,
    })
}

/// Fills the legs a candidate's retriever did not report: exact cosine from the stored vector, BM25 score, identifiers.
fn complete_legs(
    snapshot: &KbSnapshot,
    candidates: &mut BTreeMap<&ArticleId, Candidate>,
    query_vec: &[f32],
    lexical: &Bm25Scores<'_>,
    query_ids: &[String],
) {
    for c in candidates.values_mut() {
        if c.dense.is_none() {
            c.dense = snapshot.vector(&c.article_id).map(|v| cosine(query_vec, v));
        }
        if c.bm25.is_none() {
            c.bm25 = Some(lexical.score_of(&c.article_id)).filter(|s| *s > 0.0);
        }
        c.exact = exact_share(query_ids, snapshot.identifiers_of(&c.article_id));
    }
}
