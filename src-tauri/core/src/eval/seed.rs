//! The seed's ranking, reproduced for comparison (its bugs included on purpose):
//! chroma's default squared-L2 distance on normalised vectors read as cosine (`1 − d` = `2·cos − 1`), dense top-20 only,
//! BM25Okapi (rank_bm25 defaults k1 1.5, b 0.75, ε 0.25) fitted on those 20 whitespace-split documents and queried
//! with the seed's sub-word key phrases, fused 0.6 / 0.4.

use std::collections::HashMap;

use crate::kb::KbSnapshot;

/// The seed's top results (ids, best first) for one query.
pub fn seed_rank(
    snapshot: &KbSnapshot,
    query_vec: &[f32],
    key_phrases: &[String],
    top: usize,
) -> Vec<String> {
    let hits = snapshot.dense_exact_top_k(query_vec, 20);
    let docs: Vec<Vec<&str>> = hits
        .iter()
        .map(|(id, _)| {
            snapshot
                .article(id)
                .map_or(Vec::new(), |a| a.content.split_whitespace().collect())
        })
        .collect();
    let bm25 = bm25_okapi(&docs, key_phrases);
    let max_bm25 = bm25.iter().copied().fold(f64::MIN, f64::max);
    let max_bm25 = if max_bm25 > 0.0 { max_bm25 } else { 1.0 };
    let mut scored: Vec<(String, f64)> = hits
        .iter()
        .zip(&bm25)
        .map(|((id, cos), b)| {
            let squared_l2 = 2.0 - 2.0 * f64::from(*cos);
            (
                (*id).clone(),
                0.6 * (1.0 - squared_l2) + 0.4 * (b / max_bm25),
            )
        })
        .collect();
    scored.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    scored.into_iter().take(top).map(|(id, _)| id).collect()
}

/// rank_bm25's `BM25Okapi(docs).get_scores(query)`.
pub fn bm25_okapi(docs: &[Vec<&str>], query: &[String]) -> Vec<f64> {
    let (k1, b, epsilon) = (1.5, 0.75, 0.25);
    let n = docs.len() as f64;
    if docs.is_empty() {
        return Vec::new();
    }
    let avgdl = docs.iter().map(Vec::len).sum::<usize>() as f64 / n;
    let mut df: HashMap<&str, f64> = HashMap::new();
    for doc in docs {
        let mut seen: Vec<&str> = doc.clone();
        seen.sort_unstable();
        seen.dedup();
        for term in seen {
            *df.entry(term).or_default() += 1.0;
        }
    }
    let mut idf: HashMap<&str, f64> = df
        .iter()
        .map(|(t, f)| (*t, ((n - f + 0.5) / (f + 0.5)).ln()))
        .collect();
    let average_idf = idf.values().sum::<f64>() / idf.len().max(1) as f64;
    for value in idf.values_mut() {
        if *value < 0.0 {
            *value = epsilon * average_idf;
        }
    }
    docs.iter()
        .map(|doc| {
            let dl = doc.len() as f64;
            query
                .iter()
                .map(|q| {
                    let tf = doc.iter().filter(|t| **t == q.as_str()).count() as f64;
                    idf.get(q.as_str()).copied().unwrap_or(0.0) * tf * (k1 + 1.0)
                        / (tf + k1 * (1.0 - b + b * dl / avgdl))
                })
                .sum()
        })
        .collect()
}
