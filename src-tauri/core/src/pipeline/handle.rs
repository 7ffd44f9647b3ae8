//! Wiring: `start` spawns every stage on one task tracker; `PipelineHandle` is the shell's remote control.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{broadcast, mpsc, oneshot, watch};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::api::{
    CardAction, KbRefreshSummary, LatencyStats, PipelineEvent, QueueSnapshot, StatusSnapshot,
};
use super::extract::ExtractStage;
use super::kb_sync::{DeletionGuard, KbStatus, KbSyncStage, RefreshRequest};
use super::publisher::PublisherStage;
use super::queue_task::{QueueCommand, QueueTask, StatusInputs};
use super::settings::PipelineSettings;
use super::{CountersSnapshot, StageCounters};
use crate::domain::Article;
use crate::events::{ConnectionStatus, EventSource};
use crate::kb::client::KnowledgeSource;
use crate::kb::{KbHandle, KbStore};
use crate::nlp::Embedder;
use crate::publish::CardSink;

/// Why a request to the pipeline failed; `kind()` lets the UI branch.
#[derive(Debug, Clone, thiserror::Error, PartialEq)]
pub enum PipelineError {
    #[error("no such card: {0}")]
    UnknownCard(String),
    #[error("card {0} was already decided")]
    AlreadyDecided(String),
    #[error("invalid edit: {0}")]
    InvalidEdit(String),
    /// The approval could not be stored durably, so it was not accepted.
    #[error("could not store the approval: {0}")]
    Storage(String),
    #[error("KB refresh failed: {0}")]
    KbRefresh(String),
    #[error("the pipeline is shutting down")]
    Stopped,
}

impl PipelineError {
    /// A stable machine-readable kind for the UI.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::UnknownCard(_) => "unknown_card",
            Self::AlreadyDecided(_) => "already_decided",
            Self::InvalidEdit(_) => "invalid_edit",
            Self::Storage(_) => "storage",
            Self::KbRefresh(_) => "kb_refresh",
            Self::Stopped => "stopped",
        }
    }
}

/// The parts the pipeline runs on; every I/O seam is a trait object so tests and real adapters plug in.
pub struct PipelineDeps {
    pub events: Box<dyn EventSource>,
    pub embedder: Arc<dyn Embedder>,
    pub kb_store: Arc<KbStore>,
    pub kb: Arc<KbHandle>,
    pub knowledge: Box<dyn KnowledgeSource>,
    pub sink: Arc<dyn CardSink>,
    /// Holds the outbox and audit trees (the KB store may use its own database).
    pub db: sled::Db,
}

/// Cheap to clone; every method talks to a stage over a channel.
#[derive(Clone)]
pub struct PipelineHandle {
    commands: mpsc::Sender<QueueCommand>,
    events: broadcast::Sender<PipelineEvent>,
    status: watch::Receiver<StatusSnapshot>,
    refresh: mpsc::Sender<RefreshRequest>,
    paused: Arc<watch::Sender<bool>>,
    kb: Arc<KbHandle>,
    counters: Arc<StageCounters>,
    cancel: CancellationToken,
    tracker: TaskTracker,
}

/// Spawns every stage on the current tokio runtime and returns the handle.
pub fn start(
    deps: PipelineDeps,
    settings: PipelineSettings,
) -> Result<PipelineHandle, PipelineError> {
    let settings = Arc::new(settings);
    let cancel = CancellationToken::new();
    let tracker = TaskTracker::new();
    let (events_tx, _) = broadcast::channel(1024);
    let (conn_tx, conn_rx) = watch::channel(ConnectionStatus::Connecting);
    let (paused_tx, paused_rx) = watch::channel(false);
    let (status_tx, status_rx) = watch::channel(initial_status(deps.kb.snapshot().len()));
    let (event_tx, event_rx) = mpsc::channel(256);
    let (queue_in_tx, queue_in_rx) = mpsc::channel(64);
    let (command_tx, command_rx) = mpsc::channel(64);
    let (refresh_tx, refresh_rx) = mpsc::channel(4);
    let outbox_notify = Arc::new(tokio::sync::Notify::new());
    let counters = Arc::new(StageCounters::default());

    let kb_articles = deps.kb.snapshot().len();
    let (kb_status_tx, kb_status_rx) = watch::channel(KbStatus {
        articles: kb_articles,
        fresh_as_of: None,
    });

    let queue = QueueTask::open(
        &deps.db,
        settings.clone(),
        events_tx.clone(),
        outbox_notify.clone(),
    )?;
    let publisher = PublisherStage::new(
        queue.outbox(),
        deps.sink,
        settings.retry.clone(),
        command_tx.clone(),
        outbox_notify,
    );
    let extract = ExtractStage {
        embedder: deps.embedder.clone(),
        kb: deps.kb.clone(),
        settings: settings.clone(),
        out: queue_in_tx,
        paused: paused_rx.clone(),
        counters: counters.clone(),
    };
    let kb_sync = KbSyncStage {
        source: deps.knowledge,
        store: deps.kb_store,
        kb: deps.kb.clone(),
        embedder: deps.embedder,
        events: events_tx.clone(),
        status: kb_status_tx,
        interval: settings.kb_poll_interval,
        deletion_guard: DeletionGuard::default(),
    };
    let status = StatusInputs {
        connection: conn_rx,
        paused: paused_rx,
        kb: kb_status_rx,
        out: status_tx,
    };

    tracker.spawn(deps.events.run(event_tx, conn_tx, cancel.child_token()));
    tracker.spawn(extract.run(event_rx, cancel.child_token()));
    tracker.spawn(queue.run(queue_in_rx, command_rx, status, cancel.child_token()));
    tracker.spawn(publisher.run(cancel.child_token()));
    tracker.spawn(kb_sync.run(refresh_rx, cancel.child_token()));
    tracker.close();

    Ok(PipelineHandle {
        commands: command_tx,
        events: events_tx,
        status: status_rx,
        refresh: refresh_tx,
        paused: Arc::new(paused_tx),
        kb: deps.kb,
        counters,
        cancel,
        tracker,
    })
}

fn initial_status(kb_articles: usize) -> StatusSnapshot {
    StatusSnapshot {
        connection: ConnectionStatus::Connecting,
        paused: false,
        pending_cards: 0,
        kb_articles,
        kb_fresh_as_of: None,
        latency_event_to_queued: LatencyStats::default(),
        latency_approved_to_delivered: LatencyStats::default(),
    }
}

impl PipelineHandle {
    /// Every event from now on (cards queued, decided, delivered, KB progress, ...).
    pub fn subscribe(&self) -> broadcast::Receiver<PipelineEvent> {
        self.events.subscribe()
    }

    /// Connection, pending count, KB freshness and latency percentiles.
    pub fn status(&self) -> watch::Receiver<StatusSnapshot> {
        self.status.clone()
    }

    /// The whole queue, newest interaction first.
    pub async fn snapshot(&self) -> QueueSnapshot {
        let (reply, rx) = oneshot::channel();
        if self
            .commands
            .send(QueueCommand::Snapshot { reply })
            .await
            .is_err()
        {
            return QueueSnapshot::default();
        }
        rx.await.unwrap_or_default()
    }

    /// Approve, edit-and-approve, reject or approve-all. Returns once the decision is durable.
    pub async fn act(&self, action: CardAction, who: &str) -> Result<(), PipelineError> {
        let (reply, rx) = oneshot::channel();
        let cmd = QueueCommand::Act {
            action,
            who: who.to_string(),
            reply,
        };
        self.commands
            .send(cmd)
            .await
            .map_err(|_| PipelineError::Stopped)?;
        rx.await.map_err(|_| PipelineError::Stopped)?
    }

    /// Polls the knowledge API now and applies the changes.
    pub async fn refresh_kb(&self) -> Result<KbRefreshSummary, PipelineError> {
        let (reply, rx) = oneshot::channel();
        self.refresh
            .send(reply)
            .await
            .map_err(|_| PipelineError::Stopped)?;
        rx.await.map_err(|_| PipelineError::Stopped)?
    }

    /// Events received, coalesced, retrievals run and interactions tracked (back-pressure at work).
    pub fn counters(&self) -> CountersSnapshot {
        self.counters.snapshot()
    }

    /// While paused, incoming transcripts produce no suggestions.
    pub fn set_paused(&self, paused: bool) {
        self.paused.send_replace(paused);
    }

    /// The full article as currently indexed.
    pub async fn article(&self, id: &str) -> Option<Article> {
        self.kb.snapshot().article(id).cloned()
    }

    /// Cancels every stage and waits for them, at most `timeout`.
    pub async fn shutdown(self, timeout: Duration) {
        self.cancel.cancel();
        if tokio::time::timeout(timeout, self.tracker.wait())
            .await
            .is_err()
        {
            tracing::warn!(?timeout, "pipeline stages did not stop in time");
        }
    }
}
