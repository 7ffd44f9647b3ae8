//! Tunables of the running pipeline, derived from the validated config.

use std::time::Duration;

pub use crate::publish::RetryPolicy;
pub use crate::queue::AutoApprove;

/// How the pipeline behaves; every field has a sensible default.
#[derive(Debug, Clone)]
pub struct PipelineSettings {
    /// Quiet period after a transcript update before it is processed.
    pub debounce: Duration,
    /// Longest a continuously updating interaction waits before it is processed anyway.
    pub max_wait: Duration,
    /// How many recent turns make up the query window.
    pub window_turns: usize,
    /// Only turns that changed within this long join the window (`None` = no age limit).
    pub window_max_age: Option<Duration>,
    /// Cards per suggestion round.
    pub top_k: usize,
    /// Below this fused score no card is queued.
    pub min_score: f32,
    pub dense_weight: f32,
    pub bm25_weight: f32,
    pub auto_approve: AutoApprove,
    /// Interactions tracked at once before the least recently updated is dropped.
    pub max_tracked_interactions: usize,
    /// A call with no event for this long is over (its `ended` frame was lost): the extract stage stops tracking
    /// it and the queue expires its pending cards and then forgets it.
    pub idle_timeout: Duration,
    /// How often the KB is polled for changes.
    pub kb_poll_interval: Duration,
    /// Who decisions are attributed to in the audit log.
    pub operator: String,
    /// How the publisher retries a card before leaving it in the outbox for a later pass.
    pub retry: RetryPolicy,
}

impl Default for PipelineSettings {
    fn default() -> Self {
        Self {
            debounce: Duration::from_millis(300),
            max_wait: Duration::from_millis(1500),
            window_turns: 6,
            window_max_age: None,
            top_k: 3,
            min_score: 0.35,
            dense_weight: 0.6,
            bm25_weight: 0.4,
            auto_approve: AutoApprove::Off,
            max_tracked_interactions: 2_000,
            idle_timeout: Duration::from_secs(30 * 60),
            kb_poll_interval: Duration::from_secs(300),
            operator: "supervisor".to_string(),
            retry: RetryPolicy::default(),
        }
    }
}
