//! The backend used when the pipeline could not start: the window still opens and says why nothing happens.

use std::time::Duration;

use assist_core::domain::Article;
use assist_core::events::ConnectionStatus;
use assist_core::pipeline::api::{
    CardAction, KbRefreshSummary, LatencyStats, PipelineEvent, QueueSnapshot, StatusSnapshot,
};
use async_trait::async_trait;
use tokio::sync::{broadcast, watch};

use super::{Backend, BackendError};

/// A status with nothing running: `Stopped`, empty KB.
pub fn stopped_status() -> StatusSnapshot {
    StatusSnapshot {
        connection: ConnectionStatus::Stopped,
        paused: false,
        pending_cards: 0,
        kb_articles: 0,
        kb_fresh_as_of: None,
        latency_event_to_queued: LatencyStats::default(),
        latency_approved_to_delivered: LatencyStats::default(),
    }
}

fn not_running(reason: &str) -> BackendError {
    BackendError::new(
        "not_running",
        format!("the pipeline is not running: {reason}"),
    )
}

/// The pipeline could not start (or is not wired yet); `reason` is shown for every action.
pub struct OfflineBackend {
    reason: String,
    events: broadcast::Sender<PipelineEvent>,
    status: watch::Sender<StatusSnapshot>,
}

impl OfflineBackend {
    /// A backend that answers every action with `reason`.
    pub fn new(reason: impl Into<String>) -> Self {
        let (events, _) = broadcast::channel(1);
        let (status, _) = watch::channel(stopped_status());
        Self {
            reason: reason.into(),
            events,
            status,
        }
    }
}

#[async_trait]
impl Backend for OfflineBackend {
    fn subscribe(&self) -> broadcast::Receiver<PipelineEvent> {
        self.events.subscribe()
    }
    fn status(&self) -> watch::Receiver<StatusSnapshot> {
        self.status.subscribe()
    }
    async fn snapshot(&self) -> QueueSnapshot {
        QueueSnapshot::default()
    }
    async fn act(&self, _action: CardAction, _who: &str) -> Result<(), BackendError> {
        Err(not_running(&self.reason))
    }
    async fn refresh_kb(&self) -> Result<KbRefreshSummary, BackendError> {
        Err(not_running(&self.reason))
    }
    fn set_paused(&self, paused: bool) {
        self.status.send_modify(|s| s.paused = paused);
    }
    async fn article(&self, _id: &str) -> Option<Article> {
        None
    }
    async fn shutdown(&self, _timeout: Duration) {}
}
