//! KB sync: on a timer and on demand (tray "Refresh KB"), ask the knowledge source what changed,
//! re-embed only what changed, and publish a new snapshot. A failure leaves the old snapshot serving.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{broadcast, mpsc, oneshot, watch};
use tokio_util::sync::CancellationToken;

use super::api::{KbProgress, KbRefreshSummary, PipelineEvent};
use super::handle::PipelineError;
use crate::kb::client::{KbChanges, KnowledgeSource};
use crate::kb::{KbHandle, KbStore};
use crate::nlp::Embedder;

/// A request for an immediate refresh, answered when it is done.
pub(crate) type RefreshRequest = oneshot::Sender<Result<KbRefreshSummary, PipelineError>>;

/// KB facts for the status line.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct KbStatus {
    pub articles: usize,
    pub fresh_as_of: Option<String>,
}

pub(crate) struct KbSyncStage {
    pub source: Box<dyn KnowledgeSource>,
    pub store: Arc<KbStore>,
    pub kb: Arc<KbHandle>,
    pub embedder: Arc<dyn Embedder>,
    pub events: broadcast::Sender<PipelineEvent>,
    pub status: watch::Sender<KbStatus>,
    pub interval: Duration,
}

impl KbSyncStage {
    pub async fn run(
        mut self,
        mut requests: mpsc::Receiver<RefreshRequest>,
        cancel: CancellationToken,
    ) {
        let mut ticker =
            tokio::time::interval_at(tokio::time::Instant::now() + self.interval, self.interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // The first sync runs at start, before any request is served, so a request never races it.
        let mut initial = true;
        loop {
            let reply = if std::mem::take(&mut initial) {
                None
            } else {
                tokio::select! {
                    _ = cancel.cancelled() => break,
                    _ = ticker.tick() => None,
                    Some(reply) = requests.recv() => Some(reply),
                }
            };
            let result = tokio::select! {
                _ = cancel.cancelled() => break,
                result = self.refresh() => result,
            };
            match &result {
                Ok(summary) => {
                    let _ = self.events.send(PipelineEvent::KbRefreshed {
                        summary: summary.clone(),
                    });
                }
                Err(error) => {
                    tracing::warn!(%error, "KB refresh failed; the previous snapshot keeps serving");
                    let _ = self.events.send(PipelineEvent::KbRefreshFailed {
                        reason: error.to_string(),
                    });
                }
            }
            if let Some(reply) = reply {
                let _ = reply.send(result);
            }
        }
    }

    async fn refresh(&mut self) -> Result<KbRefreshSummary, PipelineError> {
        let changes = self
            .source
            .fetch_changes()
            .await
            .map_err(|e| PipelineError::KbRefresh(e.to_string()))?;
        let (upserted, removed, last_modified) = match changes {
            KbChanges::NotModified => (0, 0, None),
            KbChanges::Full {
                articles,
                last_modified,
            } => {
                let (upserted, removed) = self.apply_listing(articles).await?;
                self.source.mark_applied();
                (upserted, removed, Some(last_modified))
            }
        };
        let fresh_as_of = super::rfc3339_now();
        let total_articles = self.kb.snapshot().len();
        self.persist_markers(fresh_as_of.clone(), last_modified)
            .await;
        self.status.send_replace(KbStatus {
            articles: total_articles,
            fresh_as_of: Some(fresh_as_of.clone()),
        });
        Ok(KbRefreshSummary {
            upserted,
            removed,
            total_articles,
            fresh_as_of: Some(fresh_as_of),
        })
    }

    /// Records when the KB was last confirmed fresh and, after a complete listing, its Last-Modified
    /// (the next poll's If-Modified-Since, also after a restart).
    async fn persist_markers(&self, fresh_as_of: String, last_modified: Option<Option<String>>) {
        let store = self.store.clone();
        let result = tokio::task::spawn_blocking(move || {
            let keep = match last_modified {
                Some(new) => new,
                None => store.sync_markers()?.1,
            };
            store.set_sync_markers(&fresh_as_of, keep.as_deref())
        })
        .await;
        if !matches!(result, Ok(Ok(()))) {
            tracing::warn!("KB sync markers not stored; the next start does a full listing");
        }
    }

    /// Diffs a complete listing against the store, embeds what changed, publishes the snapshot delta.
    async fn apply_listing(
        &self,
        listing: Vec<crate::domain::Article>,
    ) -> Result<(usize, usize), PipelineError> {
        let store = self.store.clone();
        let embedder = self.embedder.clone();
        let events = self.events.clone();
        let applied = tokio::task::spawn_blocking(move || {
            let changes = store.diff_full_listing(listing)?;
            let started = Instant::now();
            let mut progress = |done: usize, total: usize| {
                let secs = started.elapsed().as_secs_f32().max(1e-3);
                let progress = KbProgress {
                    done,
                    total,
                    articles_per_sec: done as f32 / secs,
                };
                let _ = events.send(PipelineEvent::KbProgress { progress });
            };
            store.apply(
                changes.upserts,
                changes.deletions,
                embedder.as_ref(),
                &mut progress,
            )
        })
        .await
        .map_err(|e| PipelineError::KbRefresh(format!("KB update task failed: {e}")))?
        .map_err(|e| PipelineError::KbRefresh(e.to_string()))?;
        let counts = (applied.upserted.len(), applied.deleted.len());
        self.kb
            .apply(applied)
            .await
            .map_err(|e| PipelineError::KbRefresh(e.to_string()))?;
        Ok(counts)
    }
}
