//! KB sync: on a timer and on demand (tray "Refresh KB"), ask the knowledge source what changed,
//! re-embed only what changed, and publish a new snapshot. A failure leaves the old snapshot serving.
//! A listing that would delete more than half of the KB waits for a second listing that agrees ([`DeletionGuard`]).

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{broadcast, mpsc, oneshot, watch};
use tokio_util::sync::CancellationToken;

use super::api::{KbProgress, KbRefreshSummary, PipelineEvent};
use super::handle::PipelineError;
use crate::domain::ArticleId;
use crate::kb::client::{KbChanges, KnowledgeSource};
use crate::kb::store::diff_against;
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
    pub deletion_guard: DeletionGuard,
}

/// Holds back a complete listing that would delete more than half of the stored articles (a gateway or server
/// answering with a truncated listing) until a second complete listing names the same deletions. Until then nothing of
/// it is applied and its `Last-Modified` is not committed, so the next poll gets a full listing again.
#[derive(Debug, Default)]
pub(crate) struct DeletionGuard {
    /// The (sorted) deletions of the listing held back, waiting for one that agrees.
    held: Option<Vec<ArticleId>>,
}

impl DeletionGuard {
    /// `Ok` = apply the listing; `Err` = hold it back, with the reason for the log and the refresh result.
    /// `deletions` must be sorted (as [`diff_against`] returns them); `stored` = articles held now.
    pub(crate) fn check(&mut self, deletions: &[ArticleId], stored: usize) -> Result<(), String> {
        if deletions.len() * 2 <= stored || self.held.as_deref() == Some(deletions) {
            self.held = None;
            return Ok(());
        }
        self.held = Some(deletions.to_vec());
        Err(format!(
            "listing would remove {} of {stored} articles; waiting for a second listing to confirm",
            deletions.len()
        ))
    }

    /// The source reported no change since the last applied listing: a held listing is no longer current.
    fn forget(&mut self) {
        self.held = None;
    }
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
            KbChanges::NotModified => {
                self.deletion_guard.forget();
                (0, 0, None)
            }
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
    /// A listing the [`DeletionGuard`] holds back changes nothing and fails with its reason.
    async fn apply_listing(
        &mut self,
        listing: Vec<crate::domain::Article>,
    ) -> Result<(usize, usize), PipelineError> {
        let store = self.store.clone();
        let (changes, stored) = tokio::task::spawn_blocking(move || {
            let hashes = store.stored_hashes()?;
            Ok::<_, crate::kb::store::StoreError>((diff_against(listing, &hashes), hashes.len()))
        })
        .await
        .map_err(|e| PipelineError::KbRefresh(format!("KB diff task failed: {e}")))?
        .map_err(|e| PipelineError::KbRefresh(e.to_string()))?;
        if let Err(reason) = self.deletion_guard.check(&changes.deletions, stored) {
            tracing::warn!(
                removed = changes.deletions.len(),
                stored,
                "{reason}; nothing applied"
            );
            return Err(PipelineError::KbRefresh(reason));
        }
        let store = self.store.clone();
        let embedder = self.embedder.clone();
        let events = self.events.clone();
        let applied = tokio::task::spawn_blocking(move || {
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

#[cfg(test)]
mod tests {
    use super::DeletionGuard;

    fn ids(range: std::ops::Range<usize>) -> Vec<String> {
        let mut ids: Vec<String> = range.map(|i| format!("KB-{i:02}")).collect();
        ids.sort();
        ids
    }

    #[test]
    fn mass_deletion_waits_for_a_second_agreeing_listing() {
        let mut guard = DeletionGuard::default();
        let most = ids(2..10);
        assert_eq!(
            guard.check(&most, 10),
            Err(
                "listing would remove 8 of 10 articles; waiting for a second listing to confirm"
                    .into()
            )
        );
        let other = ids(1..9);
        assert!(
            guard.check(&other, 10).is_err(),
            "other deletions do not confirm"
        );
        assert!(
            guard.check(&most, 10).is_err(),
            "nor does a return to the first"
        );
        assert_eq!(
            guard.check(&most, 10),
            Ok(()),
            "two agreeing listings in a row"
        );
        assert!(
            guard.check(&most, 10).is_err(),
            "a confirmation is used once"
        );
        guard.forget();
        assert!(
            guard.check(&most, 10).is_err(),
            "a 304 in between starts over"
        );
    }

    #[test]
    fn deleting_at_most_half_is_applied_at_once() {
        let mut guard = DeletionGuard::default();
        assert_eq!(guard.check(&ids(0..3), 10), Ok(()));
        assert_eq!(guard.check(&ids(0..5), 10), Ok(()));
        assert_eq!(guard.check(&[], 0), Ok(()));
        assert!(guard.check(&ids(0..1), 1).is_err(), "the only article");
    }
}
