//! Hybrid ranking as pure functions: fuse dense cosine, normalised BM25 and an exact-identifier bonus.
//!
//! `fused = w_dense·max(cosine, 0) + w_bm25·(bm25 / max_bm25_of_query) + w_exact·exact`, where `exact` is the share of the
//! query's identifiers (error codes, hex codes, order numbers, plan names with digits) found verbatim in the article.
//! A leg that did not find a document contributes 0, so finding a document by more legs never lowers its rank.
//! Ties are broken by article id, so the order is deterministic.

use serde::{Deserialize, Serialize};

use crate::domain::{ArticleId, LegScores, RankedArticle};

/// Weights of each leg in the fused score.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FusionWeights {
    pub dense: f32,
    pub bm25: f32,
    pub exact: f32,
}

impl Default for FusionWeights {
    /// The seed's 0.6 / 0.4 split plus the exact-identifier bonus measured on the dev set (docs/benchmarks.md).
    fn default() -> Self {
        Self {
            dense: 0.6,
            bm25: 0.4,
            exact: 0.3,
        }
    }
}

/// One candidate with whatever each leg found (None = that leg did not retrieve it).
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub article_id: ArticleId,
    /// True cosine similarity in [-1, 1].
    pub dense: Option<f32>,
    /// Raw BM25 score (≥ 0).
    pub bm25: Option<f32>,
    /// Share of the query's identifiers present in the article, in [0, 1].
    pub exact: f32,
}

/// Fuses candidates into a ranking: sorted by fused score descending, then article id ascending.
pub fn fuse(candidates: &[Candidate], weights: &FusionWeights) -> Vec<RankedArticle> {
    let max_bm25 = candidates
        .iter()
        .filter_map(|c| c.bm25)
        .fold(0f32, f32::max);
    let mut ranked: Vec<RankedArticle> = candidates
        .iter()
        .map(|c| RankedArticle {
            article_id: c.article_id.clone(),
            scores: leg_scores(c, max_bm25, weights),
            also_in: Vec::new(),
        })
        .collect();
    sort_ranked(&mut ranked);
    ranked
}

/// Collapses a ranking's duplicates (same key, e.g. [`duplicate_key`](crate::domain::duplicate_key) of title and text): the
/// best-ranked article stays, in its place, and lists the others in `also_in`. `key_of` gives an article's key
/// (`None` = unknown article, kept as is). Stops once `keep` distinct articles are found; the rest is dropped.
pub fn collapse_duplicates<K: std::hash::Hash + Eq>(
    ranked: Vec<RankedArticle>,
    keep: usize,
    mut key_of: impl FnMut(&ArticleId) -> Option<K>,
) -> Vec<RankedArticle> {
    let mut kept: Vec<RankedArticle> = Vec::with_capacity(keep.min(ranked.len()));
    let mut seen: std::collections::HashMap<K, usize> = std::collections::HashMap::new();
    for article in ranked {
        let Some(key) = key_of(&article.article_id) else {
            if kept.len() < keep {
                kept.push(article);
            }
            continue;
        };
        if let Some(&at) = seen.get(&key) {
            kept[at].also_in.push(article.article_id);
            continue;
        }
        if kept.len() == keep {
            continue; // only duplicates of what is kept still matter
        }
        seen.insert(key, kept.len());
        kept.push(article);
    }
    kept
}

/// Sorts by fused score descending, ties by article id ascending.
pub fn sort_ranked(ranked: &mut [RankedArticle]) {
    ranked.sort_by(|a, b| {
        b.scores
            .fused
            .total_cmp(&a.scores.fused)
            .then_with(|| a.article_id.cmp(&b.article_id))
    });
}

fn leg_scores(candidate: &Candidate, max_bm25: f32, weights: &FusionWeights) -> LegScores {
    let dense = candidate.dense.unwrap_or(0.0).clamp(-1.0, 1.0);
    let bm25 = candidate.bm25.unwrap_or(0.0).max(0.0);
    let bm25_norm = if max_bm25 > 0.0 {
        (bm25 / max_bm25).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let exact = candidate.exact.clamp(0.0, 1.0);
    let fused = weights.dense * dense.max(0.0) + weights.bm25 * bm25_norm + weights.exact * exact;
    LegScores {
        dense,
        bm25,
        bm25_norm,
        exact,
        fused,
    }
}

/// Identifiers in `text`: tokens with a digit that look like codes (`E-1234`, `0x80070005`, `ORD-55512`, `X200`,
/// `#123456`), upper-cased, sorted and de-duplicated. Plain numbers under five digits and ordinals are not identifiers.
pub fn identifiers(text: &str) -> Vec<String> {
    let mut found: Vec<String> = text
        .split(|c: char| !(c.is_alphanumeric() || matches!(c, '-' | '_' | '/' | '.' | '#')))
        .map(|t| t.trim_matches(|c: char| matches!(c, '-' | '_' | '/' | '.' | '#')))
        .filter(|t| is_identifier(t))
        .map(str::to_uppercase)
        .collect();
    found.sort();
    found.dedup();
    found
}

fn is_identifier(token: &str) -> bool {
    let digits = token.chars().filter(char::is_ascii_digit).count();
    let letters = token.chars().filter(|c| c.is_alphabetic()).count();
    if digits == 0 || token.chars().count() < 3 {
        return false;
    }
    if letters == 0 {
        return digits >= 5 && token.chars().all(|c| c.is_ascii_digit());
    }
    !is_ordinal_or_unit(token)
}

fn is_ordinal_or_unit(token: &str) -> bool {
    let lower = token.to_lowercase();
    let suffix = lower.trim_start_matches(|c: char| c.is_ascii_digit());
    let all_digits_then_suffix =
        suffix.len() < lower.len() && suffix.chars().all(char::is_alphabetic);
    all_digits_then_suffix
        && matches!(
            suffix,
            "st" | "nd" | "rd" | "th" | "am" | "pm" | "s" | "min" | "mins"
        )
}

/// Share of `query_ids` that occur in `article_ids` (both sorted, as from [`identifiers`]); 0 when the query has none.
pub fn exact_share(query_ids: &[String], article_ids: &[String]) -> f32 {
    if query_ids.is_empty() {
        return 0.0;
    }
    let hits = query_ids
        .iter()
        .filter(|id| article_ids.binary_search(id).is_ok())
        .count();
    hits as f32 / query_ids.len() as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cand(id: &str, dense: Option<f32>, bm25: Option<f32>, exact: f32) -> Candidate {
        Candidate {
            article_id: id.into(),
            dense,
            bm25,
            exact,
        }
    }

    /// Seen on a real FAQ collection: the same article under two ids gave the same card twice for one call.
    #[test]
    fn identical_cards_collapse_into_the_best_ranked_article() {
        let ranked = fuse(
            &[
                cand("dup-b", Some(0.9), Some(4.0), 0.0),
                cand("dup-a", Some(0.9), Some(4.0), 0.0),
                cand("other", Some(0.8), Some(3.0), 0.0),
                cand("dup-c", Some(0.9), Some(4.0), 0.0),
                cand("third", Some(0.5), None, 0.0),
                cand("fourth", Some(0.4), None, 0.0),
                cand("late-dup", Some(0.1), None, 0.0),
            ],
            &FusionWeights::default(),
        );
        let key = |id: &ArticleId| {
            Some(
                if id.contains("dup") {
                    "same"
                } else {
                    id.as_str()
                }
                .to_owned(),
            )
        };
        let collapsed = collapse_duplicates(ranked, 3, key);
        let ids: Vec<&str> = collapsed.iter().map(|r| r.article_id.as_str()).collect();
        assert_eq!(ids, ["dup-a", "other", "third"]);
        assert_eq!(
            collapsed[0].also_in,
            ["dup-b", "dup-c", "late-dup"],
            "a duplicate below the cut is listed too"
        );
        assert!(collapsed[1].also_in.is_empty());
    }

    #[test]
    fn golden_values_with_default_weights() {
        let ranked = fuse(
            &[
                cand("a", Some(0.5), Some(4.0), 0.0),
                cand("b", Some(0.8), Some(2.0), 0.0),
                cand("c", None, None, 1.0),
            ],
            &FusionWeights::default(),
        );
        let ids: Vec<&str> = ranked.iter().map(|r| r.article_id.as_str()).collect();
        assert_eq!(ids, ["a", "b", "c"]);
        assert!((ranked[0].scores.fused - (0.6 * 0.5 + 0.4)).abs() < 1e-6);
        assert!((ranked[1].scores.fused - (0.6 * 0.8 + 0.4 * 0.5)).abs() < 1e-6);
        assert!((ranked[2].scores.fused - 0.3).abs() < 1e-6);
        assert_eq!(ranked[0].scores.bm25_norm, 1.0);
        assert_eq!(ranked[1].scores.bm25, 2.0);
    }

    #[test]
    fn negative_cosine_is_reported_but_not_rewarded_or_punished() {
        let ranked = fuse(
            &[cand("a", Some(-0.4), Some(1.0), 0.0)],
            &FusionWeights::default(),
        );
        assert_eq!(ranked[0].scores.dense, -0.4);
        assert!((ranked[0].scores.fused - 0.4).abs() < 1e-6);
    }

    #[test]
    fn identifiers_are_codes_not_plain_numbers() {
        let text = "Error E-1234 and 0x80070005 on order #5551234 for plan Unlimited50GB at 10am, the 2nd time in 2024.";
        assert_eq!(
            identifiers(text),
            ["0X80070005", "5551234", "E-1234", "UNLIMITED50GB"]
        );
        assert!(identifiers("I paid 45 dollars 3 times").is_empty());
    }

    #[test]
    fn exact_share_counts_matching_query_identifiers() {
        let query = identifiers("codes E-1234 and E-9999");
        let article = identifiers("Fix for E-1234.");
        assert_eq!(exact_share(&query, &article), 0.5);
        assert_eq!(exact_share(&[], &article), 0.0);
    }
}
