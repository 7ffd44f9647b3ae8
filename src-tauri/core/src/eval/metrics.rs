//! Ranking metrics with binary relevance: recall@k, MRR@k, nDCG@k, and their means over queries.

use serde::Serialize;

/// recall@3, MRR@10, nDCG@10 of one method (means over queries).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct MethodMetrics {
    #[serde(rename = "recall@3")]
    pub recall_at_3: f64,
    #[serde(rename = "mrr@10")]
    pub mrr_at_10: f64,
    #[serde(rename = "ndcg@10")]
    pub ndcg_at_10: f64,
}

/// Share of `relevant` found in the first `k` of `ranked`.
pub fn recall_at(ranked: &[String], relevant: &[String], k: usize) -> f64 {
    if relevant.is_empty() {
        return 0.0;
    }
    let hits = relevant
        .iter()
        .filter(|r| ranked.iter().take(k).any(|id| id == *r))
        .count();
    hits as f64 / relevant.len() as f64
}

/// 1 / rank of the first relevant result within the first `k`, else 0.
pub fn reciprocal_rank_at(ranked: &[String], relevant: &[String], k: usize) -> f64 {
    ranked
        .iter()
        .take(k)
        .position(|id| relevant.contains(id))
        .map_or(0.0, |p| 1.0 / (p as f64 + 1.0))
}

/// Normalised discounted cumulative gain at `k` (gain 1 per relevant result).
pub fn ndcg_at(ranked: &[String], relevant: &[String], k: usize) -> f64 {
    let discount = |i: usize| 1.0 / (i as f64 + 2.0).log2();
    let dcg: f64 = ranked
        .iter()
        .take(k)
        .enumerate()
        .filter(|(_, id)| relevant.contains(id))
        .map(|(i, _)| discount(i))
        .sum();
    let ideal: f64 = (0..relevant.len().min(k)).map(discount).sum();
    if ideal > 0.0 {
        dcg / ideal
    } else {
        0.0
    }
}

/// Accumulates per-query metrics into means.
#[derive(Debug, Default)]
pub struct MetricsSum {
    sum: MethodMetrics,
    queries: usize,
}

impl MetricsSum {
    /// Adds one query's ranking.
    pub fn add(&mut self, ranked: &[String], relevant: &[String]) {
        self.sum.recall_at_3 += recall_at(ranked, relevant, 3);
        self.sum.mrr_at_10 += reciprocal_rank_at(ranked, relevant, 10);
        self.sum.ndcg_at_10 += ndcg_at(ranked, relevant, 10);
        self.queries += 1;
    }

    /// The means (zeros when no query was added).
    pub fn mean(&self) -> MethodMetrics {
        let n = self.queries.max(1) as f64;
        MethodMetrics {
            recall_at_3: self.sum.recall_at_3 / n,
            mrr_at_10: self.sum.mrr_at_10 / n,
            ndcg_at_10: self.sum.ndcg_at_10 / n,
        }
    }
}

/// The `q`-quantile (0..=1) of `values` by nearest rank; 0 for none.
pub fn quantile(values: &[f64], q: f64) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn golden_metrics() {
        let ranked = ids(&["a", "b", "c", "d"]);
        let relevant = ids(&["b", "d"]);
        assert_eq!(recall_at(&ranked, &relevant, 3), 0.5);
        assert_eq!(reciprocal_rank_at(&ranked, &relevant, 10), 0.5);
        let dcg = 1.0 / 3f64.log2() + 1.0 / 5f64.log2();
        let ideal = 1.0 + 1.0 / 3f64.log2();
        assert!((ndcg_at(&ranked, &relevant, 10) - dcg / ideal).abs() < 1e-12);
        assert_eq!(ndcg_at(&ids(&["b", "d"]), &relevant, 10), 1.0);
    }

    #[test]
    fn quantiles_by_nearest_rank() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(quantile(&v, 0.5), 50.0);
        assert_eq!(quantile(&v, 0.99), 99.0);
        assert_eq!(quantile(&[], 0.5), 0.0);
    }
}
