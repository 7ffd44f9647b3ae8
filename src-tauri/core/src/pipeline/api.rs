//! The pipeline's public face: what the shell (window, tray, headless printer) sees and sends.
//!
//! Everything here is serialisable so the Tauri shell can forward it to the webview unchanged.

use serde::{Deserialize, Serialize};

use crate::domain::{CardContent, LegScores};

/// Unique id of one suggested card (stable across restarts; also the Idempotency-Key when sent).
pub type CardId = String;

/// Where a card stands in the approval workflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Pending,
    Approved,
    EditedApproved,
    Rejected,
    Expired,
}

/// Delivery of an approved card to the Assist API.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Delivery {
    /// Not approved (yet): nothing to deliver.
    None,
    /// Stored in the outbox, waiting for the publisher.
    Queued,
    /// A transient failure happened; another attempt is scheduled.
    Retrying {
        attempt: u32,
        reason: String,
    },
    Sent,
    /// Gave up (rejected by the server, or undeliverable): the reason says why.
    Failed {
        reason: String,
    },
}

/// Timestamps (milliseconds since the Unix epoch) for latency metrics.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CardTimings {
    pub event_received_ms: u64,
    pub queued_ms: u64,
    pub decided_ms: Option<u64>,
    pub delivered_ms: Option<u64>,
}

/// One suggested card as the window shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CardView {
    pub card_id: CardId,
    pub interaction_id: String,
    pub article_id: String,
    pub article_url: Option<String>,
    /// RFC 3339 modification time of the article, when known ("modified 3 days ago").
    pub article_updated_at: Option<String>,
    /// What the retrieval suggested (title, body = bold title + 200-char snippet, score).
    pub suggested: CardContent,
    /// What was (or will be) sent, after an edit; equals `suggested` when not edited.
    pub sent: Option<CardContent>,
    pub scores: LegScores,
    /// Other KB articles with the same title and text ("also in"), collapsed into this card.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub also_in: Vec<String>,
    /// Key phrases that triggered the suggestion (highlight them in `context`).
    pub key_phrases: Vec<String>,
    /// The PII-redacted transcript excerpt the query was built from.
    pub context: String,
    pub decision: Decision,
    pub delivery: Delivery,
    pub timings: CardTimings,
}

/// Per-interaction summary for the window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InteractionView {
    pub interaction_id: String,
    /// `active` or the state the stream reported when it ended.
    pub state: String,
    /// Redacted recent transcript for display.
    pub context: String,
    /// Why no card was queued the last time, e.g. "no suggestion: best 0.31 < 0.45".
    pub no_suggestion_reason: Option<String>,
    pub last_update_ms: u64,
    pub cards: Vec<CardView>,
}

/// Everything the window needs to render from scratch.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct QueueSnapshot {
    /// Newest first.
    pub interactions: Vec<InteractionView>,
}

/// A user's (or the auto-approve policy's) action on a card.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum CardAction {
    Approve {
        card_id: CardId,
    },
    EditApprove {
        card_id: CardId,
        title: String,
        body: String,
    },
    Reject {
        card_id: CardId,
    },
    ApproveAll {
        interaction_id: String,
    },
}

/// Result of a KB refresh, for the tray message ("12 updated, 1 removed" / "up to date").
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct KbRefreshSummary {
    pub upserted: usize,
    pub removed: usize,
    pub total_articles: usize,
    /// RFC 3339 time the KB was last confirmed fresh.
    pub fresh_as_of: Option<String>,
}

impl KbRefreshSummary {
    /// "12 updated, 1 removed" or "up to date".
    pub fn message(&self) -> String {
        if self.upserted == 0 && self.removed == 0 {
            "up to date".to_string()
        } else {
            format!("{} updated, {} removed", self.upserted, self.removed)
        }
    }
}

/// Progress of embedding during a KB refresh or build.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct KbProgress {
    pub done: usize,
    pub total: usize,
    pub articles_per_sec: f32,
}

/// Latency percentiles in milliseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct LatencyStats {
    pub count: usize,
    pub p50_ms: f64,
    pub p99_ms: f64,
}

/// What the shell is told, as it happens. Headless prints these as JSON lines.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PipelineEvent {
    CardQueued {
        interaction_id: String,
        card: Box<CardView>,
    },
    CardDecided {
        interaction_id: String,
        card_id: CardId,
        decision: Decision,
        sent: Option<CardContent>,
    },
    CardDelivered {
        interaction_id: String,
        card_id: CardId,
        latency_ms: u64,
    },
    CardRetrying {
        interaction_id: String,
        card_id: CardId,
        attempt: u32,
        reason: String,
    },
    CardFailed {
        interaction_id: String,
        card_id: CardId,
        reason: String,
    },
    NoSuggestion {
        interaction_id: String,
        reason: String,
    },
    /// An automatic approval could not be stored (e.g. disk full): nothing was acknowledged and
    /// the card stays pending. (A supervisor's own approval gets the error as the command's answer.)
    ApprovalNotSaved {
        interaction_id: String,
        card_id: CardId,
        reason: String,
    },
    InteractionEnded {
        interaction_id: String,
        state: String,
    },
    KbProgress {
        progress: KbProgress,
    },
    KbRefreshed {
        summary: KbRefreshSummary,
    },
    KbRefreshFailed {
        reason: String,
    },
}

/// Overall status for the tray icon and tooltip.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatusSnapshot {
    pub connection: crate::events::ConnectionStatus,
    pub paused: bool,
    pub pending_cards: usize,
    pub kb_articles: usize,
    pub kb_fresh_as_of: Option<String>,
    pub latency_event_to_queued: LatencyStats,
    pub latency_approved_to_delivered: LatencyStats,
}
