//! Stage 4: drains the durable outbox into the card sink.
//!
//! An entry leaves the outbox only when the sink accepted it (delivered) or refused it for good
//! (a 4xx other than 429: undeliverable, kept with the reason). Transient failures that outlast the
//! retry policy stay in the outbox and are tried again later, so an approved card is never dropped;
//! the idempotency key (the card id) makes a repeat after a crash harmless.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, Notify};
use tokio_util::sync::CancellationToken;

use super::api::Delivery;
use super::now_ms;
use super::queue_task::QueueCommand;
use crate::outbox::{Outbox, OutboxEntry};
use crate::publish::{deliver_with_retry, CardSink, PublishError, RetryPolicy};

/// How long to wait before going over entries that failed transiently again.
const RETRY_PENDING_AFTER: Duration = Duration::from_secs(15);

pub(crate) struct PublisherStage {
    outbox: Arc<Outbox>,
    sink: Arc<dyn CardSink>,
    policy: RetryPolicy,
    updates: mpsc::Sender<QueueCommand>,
    ready: Arc<Notify>,
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
            updates,
            ready,
        }
    }

    pub async fn run(self, cancel: CancellationToken) {
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
    async fn deliver(&self, entry: &OutboxEntry) -> bool {
        if let Err(error) = self.outbox.record_attempt(&entry.card_id) {
            tracing::warn!(card_id = %entry.card_id, %error, "attempt not recorded");
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
            &entry.interaction_id,
            &entry.content,
            &entry.card_id,
            on_retry,
        )
        .await;
        let (delivery, done) = match result {
            Ok(_) => match self.outbox.mark_delivered(&entry.card_id, now_ms()) {
                Ok(_) => (Delivery::Sent, true),
                Err(error) => {
                    tracing::error!(card_id = %entry.card_id, %error, "delivered but not marked; the idempotency key covers a repeat");
                    (Delivery::Sent, false)
                }
            },
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
}
