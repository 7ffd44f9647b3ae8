//! Latency metrics: event → card queued and approved → delivered, as p50/p99 over a sliding window.
//!
//! [`LatencyRecorder`] keeps the last `capacity` samples (bounded memory however long the app runs);
//! [`PipelineLatencies`] holds the two recorders the status snapshot and headless JSON report.

use std::collections::VecDeque;

use crate::pipeline::api::{CardTimings, LatencyStats};

/// Samples kept by default per recorder.
pub const DEFAULT_WINDOW: usize = 4096;

/// Latency samples in milliseconds over a sliding window of the most recent ones.
#[derive(Debug, Clone)]
pub struct LatencyRecorder {
    capacity: usize,
    samples: VecDeque<f64>,
}

impl Default for LatencyRecorder {
    fn default() -> Self {
        Self::new(DEFAULT_WINDOW)
    }
}

impl LatencyRecorder {
    /// A recorder keeping at most `capacity` samples (at least one).
    pub fn new(capacity: usize) -> Self {
        let capacity = capacity.max(1);
        Self {
            capacity,
            samples: VecDeque::with_capacity(capacity.min(DEFAULT_WINDOW)),
        }
    }

    /// Adds one sample, dropping the oldest when the window is full.
    pub fn record_ms(&mut self, latency_ms: f64) {
        if !latency_ms.is_finite() || latency_ms < 0.0 {
            tracing::debug!(latency_ms, "ignoring invalid latency sample");
            return;
        }
        if self.samples.len() == self.capacity {
            self.samples.pop_front();
        }
        self.samples.push_back(latency_ms);
    }

    /// Adds `to - from` when both are known and ordered (clock steps backwards are ignored).
    pub fn record_between(&mut self, from_ms: u64, to_ms: u64) {
        if from_ms > 0 && to_ms >= from_ms {
            self.record_ms((to_ms - from_ms) as f64);
        }
    }

    /// Samples currently in the window.
    pub fn len(&self) -> usize {
        self.samples.len()
    }

    /// True when no sample was recorded (or all were evicted, which cannot happen).
    pub fn is_empty(&self) -> bool {
        self.samples.is_empty()
    }

    /// p50 and p99 (nearest-rank) over the window; zeros when empty.
    pub fn stats(&self) -> LatencyStats {
        if self.samples.is_empty() {
            return LatencyStats::default();
        }
        let mut sorted: Vec<f64> = self.samples.iter().copied().collect();
        sorted.sort_by(f64::total_cmp);
        LatencyStats {
            count: sorted.len(),
            p50_ms: nearest_rank(&sorted, 50.0),
            p99_ms: nearest_rank(&sorted, 99.0),
        }
    }
}

/// Nearest-rank percentile of an ascending, non-empty slice.
fn nearest_rank(sorted: &[f64], percentile: f64) -> f64 {
    let rank = ((percentile / 100.0) * sorted.len() as f64).ceil() as usize;
    let index = rank.clamp(1, sorted.len()) - 1;
    sorted[index]
}

/// The two latencies the product reports.
#[derive(Debug, Clone, Default)]
pub struct PipelineLatencies {
    /// Event received → card queued.
    pub event_to_queued: LatencyRecorder,
    /// Card approved → delivered to the Assist API.
    pub approved_to_delivered: LatencyRecorder,
}

impl PipelineLatencies {
    /// Both recorders with a window of `capacity` samples.
    pub fn new(capacity: usize) -> Self {
        Self {
            event_to_queued: LatencyRecorder::new(capacity),
            approved_to_delivered: LatencyRecorder::new(capacity),
        }
    }

    /// Records event → queued from a freshly queued card's timings.
    pub fn card_queued(&mut self, timings: &CardTimings) {
        self.event_to_queued
            .record_between(timings.event_received_ms, timings.queued_ms);
    }

    /// Records approved → delivered from a delivered card's timings (no-op if either is missing).
    pub fn card_delivered(&mut self, timings: &CardTimings) {
        if let (Some(decided), Some(delivered)) = (timings.decided_ms, timings.delivered_ms) {
            self.approved_to_delivered
                .record_between(decided, delivered);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_recorder_reports_zeros() {
        assert_eq!(LatencyRecorder::new(10).stats(), LatencyStats::default());
    }

    #[test]
    fn percentiles_use_nearest_rank() {
        let mut r = LatencyRecorder::new(1000);
        for ms in 1..=100 {
            r.record_ms(f64::from(ms));
        }
        let stats = r.stats();
        assert_eq!(stats.count, 100);
        assert_eq!(stats.p50_ms, 50.0);
        assert_eq!(stats.p99_ms, 99.0);
    }

    #[test]
    fn window_is_bounded_and_keeps_the_newest() {
        let mut r = LatencyRecorder::new(3);
        for ms in [100.0, 1.0, 2.0, 3.0] {
            r.record_ms(ms);
        }
        assert_eq!(r.len(), 3);
        assert_eq!(r.stats().p99_ms, 3.0);
    }

    #[test]
    fn invalid_samples_are_ignored() {
        let mut r = LatencyRecorder::new(3);
        r.record_ms(f64::NAN);
        r.record_ms(-1.0);
        r.record_between(10, 5);
        r.record_between(0, 5);
        assert!(r.is_empty());
    }

    #[test]
    fn card_timings_feed_both_recorders() {
        let mut l = PipelineLatencies::new(10);
        let timings = CardTimings {
            event_received_ms: 1_000,
            queued_ms: 1_012,
            decided_ms: Some(2_000),
            delivered_ms: Some(2_040),
        };
        l.card_queued(&timings);
        l.card_delivered(&timings);
        assert_eq!(l.event_to_queued.stats().p50_ms, 12.0);
        assert_eq!(l.approved_to_delivered.stats().p50_ms, 40.0);
    }
}
