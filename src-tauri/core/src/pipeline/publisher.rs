//! Stage 4: drains the durable outbox into the card sink.
//!
//! An entry leaves the outbox only when the sink accepted it (delivered) or refused it for good
//! (a 4xx other than 429: undeliverable, kept with the reason). Transient failures that outlast the
//! retry policy stay in the outbox and are tried again later, so an approved card is never dropped;
//! the idempotency key (the card id) makes a repeat after a crash harmless.
//!
//! Nothing is sent that the outbox cannot record as sent: an attempt is recorded before each delivery, and when that
//! write fails (disk full) the card stays pending and is not sent. A card sent whose delivery could then not be
//! recorded is remembered for the life of the process, so a later pass marks it instead of sending it again; only a
//! restart in that state repeats it, under the same idempotency key.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, Notify};
use tokio_util::sync::CancellationToken;

use super::api::Delivery;
use super::now_ms;
use super::queue_task::QueueCommand;
use crate::outbox::{Outbox, OutboxEntry};
use crate::publish::{deliver_with_retry, CardSink, EndpointPause, PublishError, RetryPolicy};

/// How long to wait before going over entries that failed transiently again.
const RETRY_PENDING_AFTER: Duration = Duration::from_secs(15);

pub(crate) struct PublisherStage {
    outbox: Arc<Outbox>,
    sink: Arc<dyn CardSink>,
    policy: RetryPolicy,
    /// Closed while a `Retry-After` window is open: no card goes to the endpoint then.
    pause: EndpointPause,
    updates: mpsc::Sender<QueueCommand>,
    ready: Arc<Notify>,
    /// Delivered, but `mark_delivered` failed: never sent again by this process.
    sent_unrecorded: HashSet<String>,
}

impl PublisherStage {
    pub fn new(
        outbox: Arc<Outbox>,
        sink: Arc<dyn CardSink>,
        policy: RetryPolicy,
        updates: mpsc::Sender<QueueCommand>,
        ready: Arc<Notify>,
    ) -> Self {
        Self {
            outbox,
            sink,
            policy,
            pause: EndpointPause::default(),
            updates,
            ready,
            sent_unrecorded: HashSet::new(),
        }
    }

    pub async fn run(mut self, cancel: CancellationToken) {
        loop {
            let entries = match self.outbox.pending() {
                Ok(entries) => entries,
                Err(error) => {
                    tracing::error!(%error, "cannot read the outbox");
                    Vec::new()
                }
            };
            let mut left_pending = false;
            for entry in entries {
                tokio::select! {
                    _ = cancel.cancelled() => return,
                    delivered = self.deliver(&entry) => left_pending |= !delivered,
                }
            }
            let retry_later = async {
                if left_pending {
                    tokio::time::sleep(RETRY_PENDING_AFTER).await
                } else {
                    std::future::pending::<()>().await
                }
            };
            tokio::select! {
                _ = cancel.cancelled() => return,
                _ = self.ready.notified() => {},
                _ = retry_later => {},
            }
        }
    }

    /// One entry through the retry policy; `false` when it stays pending for a later pass.
    async fn deliver(&mut self, entry: &OutboxEntry) -> bool {
        if self.sent_unrecorded.contains(&entry.card_id) {
            return self.record_delivered(entry);
        }
        if let Err(error) = self.outbox.record_attempt(&entry.card_id) {
            tracing::warn!(card_id = %entry.card_id, %error, "attempt not recorded: not sending what could not be recorded as sent");
            return false;
        }
        let updates = self.updates.clone();
        let (interaction_id, card_id) = (entry.interaction_id.clone(), entry.card_id.clone());
        let on_retry = |notice: &crate::publish::RetryNotice| {
            let delivery = Delivery::Retrying {
                attempt: notice.failed_attempt,
                reason: notice.error.to_string(),
            };
            let update = QueueCommand::Delivery {
                interaction_id: interaction_id.clone(),
                card_id: card_id.clone(),
                delivery,
            };
            let _ = updates.try_send(update);
        };
        let result = deliver_with_retry(
            self.sink.as_ref(),
            &self.policy,
            &self.pause,
            &entry.interaction_id,
            &entry.content,
            &entry.card_id,
            on_retry,
        )
        .await;
        let (delivery, done) = match result {
            Ok(_) => {
                let marked = self.record_delivered(entry);
                if !marked {
                    self.sent_unrecorded.insert(entry.card_id.clone());
                }
                (Delivery::Sent, marked)
            }
            Err(PublishError::Rejected { status, body }) => {
                let reason = format!("rejected by the Assist API ({status}): {body}");
                if let Err(error) = self.outbox.mark_failed(&entry.card_id, &reason, now_ms()) {
                    tracing::error!(card_id = %entry.card_id, %error, "failure not recorded");
                }
                (Delivery::Failed { reason }, true)
            }
            Err(error) => {
                let delivery = Delivery::Retrying {
                    attempt: entry.attempts + 1,
                    reason: error.to_string(),
                };
                (delivery, false)
            }
        };
        let update = QueueCommand::Delivery {
            interaction_id: entry.interaction_id.clone(),
            card_id: entry.card_id.clone(),
            delivery,
        };
        let _ = self.updates.send(update).await;
        done
    }

    /// Marks `entry` delivered in the outbox; `false` when the write failed (it stays pending there).
    fn record_delivered(&mut self, entry: &OutboxEntry) -> bool {
        match self.outbox.mark_delivered(&entry.card_id, now_ms()) {
            Ok(_) => {
                self.sent_unrecorded.remove(&entry.card_id);
                true
            }
            Err(error) => {
                tracing::error!(card_id = %entry.card_id, %error, "delivered but not marked; not sent again by this process");
                false
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

    use async_trait::async_trait;

    use super::*;
    use crate::domain::CardContent;
    use crate::outbox::testing::{FailureMode, FaultyStore};
    use crate::outbox::SledOutboxStore;

    /// Counts deliveries; can fill the "disk" the moment a card is accepted (after the attempt was recorded).
    struct Sink {
        delivered: AtomicUsize,
        fill_disk_on_delivery: Option<Arc<AtomicBool>>,
    }

    #[async_trait]
    impl CardSink for Sink {
        async fn deliver(&self, _: &str, _: &CardContent, _: &str) -> Result<(), PublishError> {
            self.delivered.fetch_add(1, Ordering::SeqCst);
            if let Some(full) = &self.fill_disk_on_delivery {
                full.store(true, Ordering::SeqCst);
            }
            Ok(())
        }
    }

    fn stage(
        fill_disk_on_delivery: bool,
    ) -> (PublisherStage, Arc<Sink>, Arc<AtomicBool>, Arc<Outbox>) {
        let db = sled::Config::new().temporary(true).open().unwrap();
        let (store, full) =
            FaultyStore::new(SledOutboxStore::open(&db).unwrap(), FailureMode::Writes);
        let outbox = Arc::new(Outbox::with_store(Box::new(store)));
        outbox
            .enqueue(OutboxEntry {
                card_id: "card-1".into(),
                interaction_id: "i1".into(),
                content: CardContent {
                    title: "t".into(),
                    body: "b".into(),
                    score: 0.5,
                },
                approved_at_ms: 1,
                attempts: 0,
            })
            .unwrap();
        let sink = Arc::new(Sink {
            delivered: AtomicUsize::new(0),
            fill_disk_on_delivery: fill_disk_on_delivery.then(|| Arc::clone(&full)),
        });
        // Room for every update the tests cause; the receiver is leaked so sends never fail.
        let (updates, rx) = mpsc::channel(16);
        std::mem::forget(rx);
        let publisher = PublisherStage::new(
            Arc::clone(&outbox),
            Arc::clone(&sink) as Arc<dyn CardSink>,
            RetryPolicy::default(),
            updates,
            Arc::new(Notify::new()),
        );
        (publisher, sink, full, outbox)
    }

    #[tokio::test]
    async fn nothing_is_sent_while_the_attempt_cannot_be_recorded() {
        let (mut publisher, sink, full, outbox) = stage(false);
        full.store(true, Ordering::SeqCst);
        let entry = outbox.pending().unwrap().remove(0);
        assert!(!publisher.deliver(&entry).await, "stays pending");
        assert_eq!(sink.delivered.load(Ordering::SeqCst), 0);
        full.store(false, Ordering::SeqCst);
        assert!(publisher.deliver(&entry).await);
        assert_eq!(sink.delivered.load(Ordering::SeqCst), 1);
        assert!(outbox.pending().unwrap().is_empty());
    }

    /// The duplicate the disk-full fault test caught: sent, then the disk filled before `mark_delivered`, and the
    /// next pass over the still-pending entry sent it again.
    #[tokio::test]
    async fn a_card_sent_but_not_marked_is_marked_later_not_sent_again() {
        let (mut publisher, sink, full, outbox) = stage(true);
        let entry = outbox.pending().unwrap().remove(0);
        assert!(!publisher.deliver(&entry).await, "delivered but not marked");
        assert_eq!(outbox.pending().unwrap().len(), 1);
        assert!(!publisher.deliver(&entry).await, "disk still full");
        full.store(false, Ordering::SeqCst);
        assert!(publisher.deliver(&entry).await, "marked on a later pass");
        assert_eq!(
            sink.delivered.load(Ordering::SeqCst),
            1,
            "sent exactly once"
        );
        assert!(outbox.pending().unwrap().is_empty());
    }
}
