//! The running system: stages joined by bounded channels, and the handle the shell drives it with.
//!
//! ```text
//! EventSource ─mpsc→ extract (coalesce, window, key phrases, embed, retrieve) ─mpsc→ queue (one owner)
//!   queue ─broadcast→ shell        shell ─command→ queue ─→ outbox (sled, durable) ─notify→ publisher ─→ CardSink
//! KB sync (timer / on demand) ─→ KbStore (re-embed changed) ─→ new snapshot swapped in
//! ```
//! Every stage selects on its work and the cancellation token; `shutdown` cancels and waits, bounded.

pub mod api;
mod counters;
mod extract;
mod handle;
mod kb_sync;
mod publisher;
mod queue_task;
mod settings;

pub use counters::{CountersSnapshot, StageCounters};
pub use extract::Suggestions;
pub use handle::{start, PipelineDeps, PipelineError, PipelineHandle};
pub use settings::{AutoApprove, PipelineSettings};

/// What reaches the queue task from the extract stage.
#[derive(Debug)]
pub(crate) enum QueueInput {
    Suggestions(Suggestions),
    NoSuggestion {
        interaction_id: String,
        reason: String,
    },
    Ended {
        interaction_id: String,
        state: String,
    },
}

/// Milliseconds since the Unix epoch (for display and audit; latency uses monotonic clocks).
pub(crate) fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// The current time as RFC 3339 (UTC).
pub(crate) fn rfc3339_now() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}
