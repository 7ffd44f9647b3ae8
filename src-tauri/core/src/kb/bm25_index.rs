//! BM25 over the whole KB (title + content), with the `bm25` crate's tokenizer (English stemming, stop words) and
//! term weights, and an inverted index of our own keyed by snapshot slot.
//!
//! The crate's `SearchEngine` scores by scanning each matching document's token list; postings with precomputed
//! term weights make a query cost proportional to the postings it touches. Posting lists are `Arc`-shared, so a
//! one-article update clones only the lists of that article's terms (copy on write) and never blocks readers.

use std::collections::HashMap;
use std::sync::Arc;

use bm25::{Embedder as TermWeigher, EmbedderBuilder, Language};

use crate::domain::Article;

/// One posting: the slot of a document and its saturated term-frequency weight.
type Posting = (u32, f32);

/// An immutable BM25 index; [`Bm25Index::with_changes`] returns an updated copy sharing untouched posting lists.
#[derive(Clone)]
pub struct Bm25Index {
    weigher: Arc<TermWeigher>,
    postings: HashMap<u32, Arc<Vec<Posting>>>,
    live_docs: usize,
}

/// The text indexed for an article.
pub fn indexed_text(article: &Article) -> String {
    format!("{} {}", article.title, article.content)
}

impl Bm25Index {
    /// Builds the index for `docs` (slot, text); the average document length is fitted to these texts.
    pub fn build(docs: &[(u32, String)]) -> Self {
        let corpus: Vec<&str> = docs.iter().map(|(_, text)| text.as_str()).collect();
        let weigher =
            EmbedderBuilder::<u32>::with_fit_to_corpus(Language::English, &corpus).build();
        let mut postings: HashMap<u32, Vec<Posting>> = HashMap::new();
        for (slot, text) in docs {
            for (term, weight) in unique_terms(&weigher, text) {
                postings.entry(term).or_default().push((*slot, weight));
            }
        }
        Self {
            weigher: Arc::new(weigher),
            postings: postings
                .into_iter()
                .map(|(k, v)| (k, Arc::new(v)))
                .collect(),
            live_docs: docs.len(),
        }
    }

    /// Number of indexed documents.
    pub fn len(&self) -> usize {
        self.live_docs
    }

    /// True when nothing is indexed.
    pub fn is_empty(&self) -> bool {
        self.live_docs == 0
    }

    /// A copy with `removed` documents (slot, old text) taken out and `added` ones put in.
    pub fn with_changes(&self, removed: &[(u32, String)], added: &[(u32, String)]) -> Self {
        let mut next = self.clone();
        for (slot, text) in removed {
            for (term, _) in unique_terms(&self.weigher, text) {
                if let Some(list) = next.postings.get_mut(&term) {
                    Arc::make_mut(list).retain(|(s, _)| s != slot);
                }
            }
        }
        for (slot, text) in added {
            for (term, weight) in unique_terms(&self.weigher, text) {
                Arc::make_mut(next.postings.entry(term).or_default()).push((*slot, weight));
            }
        }
        next.live_docs = (self.live_docs + added.len()).saturating_sub(removed.len());
        next
    }

    /// BM25 score of every matching slot, in a dense vector of `slot_count` entries (0 = no match).
    pub fn score_all(&self, query: &str, slot_count: usize) -> Vec<f32> {
        let mut scores = vec![0f32; slot_count];
        let n = self.live_docs as f32;
        for (term, _) in unique_terms(&self.weigher, query) {
            let Some(list) = self.postings.get(&term) else {
                continue;
            };
            let df = list.len() as f32;
            let idf = (1.0 + (n - df + 0.5) / (df + 0.5)).ln();
            for &(slot, weight) in list.iter() {
                if let Some(score) = scores.get_mut(slot as usize) {
                    *score += idf * weight;
                }
            }
        }
        scores
    }

    /// The `k` best (slot, score) pairs with score > 0, best first, ties by slot.
    pub fn top_k(&self, query: &str, slot_count: usize, k: usize) -> Vec<(u32, f32)> {
        top_k_of(&self.score_all(query, slot_count), k)
    }
}

/// The `k` largest positive entries of `scores` as (index, score), best first, ties by index.
pub fn top_k_of(scores: &[f32], k: usize) -> Vec<(u32, f32)> {
    let mut hits: Vec<(u32, f32)> = scores
        .iter()
        .enumerate()
        .filter(|(_, s)| **s > 0.0)
        .map(|(i, s)| (i as u32, *s))
        .collect();
    let by_score = |a: &(u32, f32), b: &(u32, f32)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
    if hits.len() > k && k > 0 {
        hits.select_nth_unstable_by(k - 1, by_score);
        hits.truncate(k);
    }
    hits.sort_by(by_score);
    hits.truncate(k);
    hits
}

/// Each distinct term of `text` once, with its saturated term-frequency weight.
fn unique_terms(weigher: &TermWeigher, text: &str) -> Vec<(u32, f32)> {
    let mut seen: HashMap<u32, f32> = HashMap::new();
    for token in weigher.embed(text).iter() {
        seen.insert(token.index, token.value);
    }
    let mut terms: Vec<(u32, f32)> = seen.into_iter().collect();
    terms.sort_unstable_by_key(|(term, _)| *term);
    terms
}
