//! Throughput counters of the extract stage, read without a round trip to any task.
//!
//! They show back-pressure at work: how many events arrived, how many of them only replaced a
//! transcript that was still waiting (coalesced), how many retrievals actually ran, and how many
//! interactions were tracked at once (now and at the peak) — the bound on the stage's memory.

use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;

/// Shared, lock-free counters; the extract stage writes, anyone reads.
#[derive(Debug, Default)]
pub struct StageCounters {
    events_received: AtomicU64,
    updates_coalesced: AtomicU64,
    retrievals: AtomicU64,
    tracked_now: AtomicU64,
    tracked_peak: AtomicU64,
}

/// A copy of the counters at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct CountersSnapshot {
    /// Interaction events received from the stream (active and ended).
    pub events_received: u64,
    /// Active updates that replaced a transcript still waiting for its debounce.
    pub updates_coalesced: u64,
    /// Key phrases + embedding + retrieval runs.
    pub retrievals: u64,
    /// Interactions tracked right now.
    pub tracked_interactions: u64,
    /// Most interactions tracked at once since start.
    pub tracked_interactions_peak: u64,
}

impl StageCounters {
    pub(crate) fn event_received(&self) {
        self.events_received.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn update_coalesced(&self) {
        self.updates_coalesced.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn retrieval_started(&self) {
        self.retrievals.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn set_tracked(&self, tracked: usize) {
        let tracked = tracked as u64;
        self.tracked_now.store(tracked, Ordering::Relaxed);
        self.tracked_peak.fetch_max(tracked, Ordering::Relaxed);
    }

    /// The current values.
    pub fn snapshot(&self) -> CountersSnapshot {
        CountersSnapshot {
            events_received: self.events_received.load(Ordering::Relaxed),
            updates_coalesced: self.updates_coalesced.load(Ordering::Relaxed),
            retrievals: self.retrievals.load(Ordering::Relaxed),
            tracked_interactions: self.tracked_now.load(Ordering::Relaxed),
            tracked_interactions_peak: self.tracked_peak.load(Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peak_keeps_the_maximum() {
        let c = StageCounters::default();
        c.set_tracked(3);
        c.set_tracked(1);
        c.event_received();
        c.update_coalesced();
        c.retrieval_started();
        let s = c.snapshot();
        assert_eq!(
            (s.tracked_interactions, s.tracked_interactions_peak),
            (1, 3)
        );
        assert_eq!(
            (s.events_received, s.updates_coalesced, s.retrievals),
            (1, 1, 1)
        );
    }
}
