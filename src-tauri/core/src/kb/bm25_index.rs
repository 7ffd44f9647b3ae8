//! BM25 over the whole KB (title + content), with the `bm25` crate's tokenizer (English stemming, stop words) and
//! term weights, and an inverted index of our own keyed by snapshot slot.
//!
//! The crate's `SearchEngine` scores by scanning each matching document's token list; postings with precomputed
//! term weights make a query cost proportional to the postings it touches. Posting lists are `Arc`-shared, so a
//! one-article update clones only the lists of that article's terms (copy on write) and never blocks readers.

use std::collections::HashMap;
use std::sync::Arc;

use bm25::{DefaultTokenizer, Language, TokenEmbedder, Tokenizer};

use crate::domain::Article;

/// One posting: the slot of a document and its saturated term-frequency weight.
type Posting = (u32, f32);

/// An immutable BM25 index; [`Bm25Index::with_changes`] returns an updated copy sharing untouched posting lists.
#[derive(Clone)]
pub struct Bm25Index {
    tokenizer: Arc<DefaultTokenizer>,
    /// Average document length (tokens) of the corpus the index was built from.
    avgdl: f32,
    postings: HashMap<u32, Arc<Vec<Posting>>>,
    live_docs: usize,
}

/// The text indexed for an article.
pub fn indexed_text(article: &Article) -> String {
    format!("{} {}", article.title, article.content)
}

impl Bm25Index {
    /// Builds the index for `docs` (slot, text); the average document length is fitted to these texts.
    ///
    /// Each text is tokenized once, on several threads (the crate's fit-then-embed would tokenize it twice on one);
    /// the weights are the crate's own formula, so postings are identical to embedding each text with the fitted
    /// weigher (`tests::one_pass_build_matches_the_crates_fit_and_embed`). At 10k articles this is most of a warm start.
    pub fn build(docs: &[(u32, String)]) -> Self {
        let tokenizer = tokenizer();
        let tokenized = tokenize_all(&tokenizer, docs);
        let total_tokens: usize = tokenized.iter().map(Vec::len).sum();
        let avgdl = if docs.is_empty() {
            FALLBACK_AVGDL
        } else {
            (total_tokens as f64 / docs.len() as f64) as f32
        };
        let mut postings: HashMap<u32, Vec<Posting>> = HashMap::new();
        for ((slot, _), terms) in docs.iter().zip(&tokenized) {
            for (term, weight) in term_weights(terms, avgdl) {
                postings.entry(term).or_default().push((*slot, weight));
            }
        }
        Self {
            tokenizer: Arc::new(tokenizer),
            avgdl,
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
            for term in self.distinct_terms(text) {
                if let Some(list) = next.postings.get_mut(&term) {
                    Arc::make_mut(list).retain(|(s, _)| s != slot);
                }
            }
        }
        for (slot, text) in added {
            for (term, weight) in term_weights(&term_ids(&self.tokenizer, text), self.avgdl) {
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
        for term in self.distinct_terms(query) {
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

    /// Each term of `text` once (sorted).
    fn distinct_terms(&self, text: &str) -> Vec<u32> {
        let mut terms = term_ids(&self.tokenizer, text);
        terms.sort_unstable();
        terms.dedup();
        terms
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

/// The bm25 crate's defaults (its `Embedder`'s k1 and b).
const K1: f32 = 1.2;
const B: f32 = 0.75;
/// The crate's average document length for an empty corpus (and for a non-positive one).
const FALLBACK_AVGDL: f32 = 256.0;

fn tokenizer() -> DefaultTokenizer {
    DefaultTokenizer::new(Language::English)
}

/// The term ids of every text, in order, tokenized on up to 4 threads.
fn tokenize_all(tokenizer: &DefaultTokenizer, docs: &[(u32, String)]) -> Vec<Vec<u32>> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(4));
    if docs.len() < 256 || threads < 2 {
        return docs
            .iter()
            .map(|(_, text)| term_ids(tokenizer, text))
            .collect();
    }
    let chunk = docs.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let parts: Vec<_> = docs
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|(_, text)| term_ids(tokenizer, text))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        parts
            .into_iter()
            .flat_map(|part| part.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    })
}

fn term_ids(tokenizer: &DefaultTokenizer, text: &str) -> Vec<u32> {
    tokenizer
        .tokenize(text)
        .iter()
        .map(|token| <u32 as TokenEmbedder>::embed(token))
        .collect()
}

/// Each distinct term of a tokenized document once with its weight: the crate's `Embedder::embed` formula, same
/// operations in the same order (so the same `f32`).
fn term_weights(terms: &[u32], avgdl: f32) -> Vec<(u32, f32)> {
    let avgdl = if avgdl <= 0.0 { FALLBACK_AVGDL } else { avgdl };
    let mut counts: HashMap<u32, u32> = HashMap::new();
    for term in terms {
        *counts.entry(*term).or_insert(0) += 1;
    }
    let length = terms.len() as f32;
    let mut weights: Vec<(u32, f32)> = counts
        .into_iter()
        .map(|(term, count)| {
            let tf = count as f32;
            let numerator = tf * (K1 + 1.0);
            let denominator = tf + K1 * (1.0 - B + B * (length / avgdl));
            (term, numerator / denominator)
        })
        .collect();
    weights.sort_unstable_by_key(|(term, _)| *term);
    weights
}

#[cfg(test)]
mod tests {
    use bm25::{Embedder, EmbedderBuilder};

    use super::*;

    /// The reference: each distinct term of `text` with the weight the bm25 crate's own embedder gives it.
    fn unique_terms(weigher: &Embedder, text: &str) -> Vec<(u32, f32)> {
        let mut seen: HashMap<u32, f32> = HashMap::new();
        for token in weigher.embed(text).iter() {
            seen.insert(token.index, token.value);
        }
        let mut terms: Vec<(u32, f32)> = seen.into_iter().collect();
        terms.sort_unstable_by_key(|(term, _)| *term);
        terms
    }

    fn docs(n: usize) -> Vec<(u32, String)> {
        let words = [
            "printer", "offline", "reset", "password", "the", "queue", "drivers", "refund",
            "charged", "twice", "router", "firmware", "update", "running", "runs", "keyboard",
        ];
        (0..n)
            .map(|i| {
                let text: Vec<&str> = (0..(5 + i % 23))
                    .map(|j| words[(i * 7 + j * 3) % words.len()])
                    .collect();
                (i as u32, text.join(" "))
            })
            .collect()
    }

    #[test]
    fn one_pass_build_matches_the_crates_fit_and_embed() {
        // 600 documents: above the threshold, so the threaded path is the one compared.
        let docs = docs(600);
        let index = Bm25Index::build(&docs);
        let corpus: Vec<&str> = docs.iter().map(|(_, t)| t.as_str()).collect();
        let fitted = EmbedderBuilder::<u32>::with_fit_to_corpus(Language::English, &corpus).build();
        assert_eq!(index.avgdl, fitted.avgdl());
        let mut expected: HashMap<u32, Vec<Posting>> = HashMap::new();
        for (slot, text) in &docs {
            for (term, weight) in unique_terms(&fitted, text) {
                expected.entry(term).or_default().push((*slot, weight));
            }
        }
        assert_eq!(index.postings.len(), expected.len());
        for (term, list) in &expected {
            assert_eq!(
                index.postings[term].as_slice(),
                list.as_slice(),
                "term {term}"
            );
        }
    }

    #[test]
    fn empty_corpus_uses_the_crates_fallback() {
        let index = Bm25Index::build(&[]);
        assert_eq!(index.avgdl, FALLBACK_AVGDL);
        assert!(index.top_k("printer", 0, 3).is_empty());
    }
}
