//! Durable outbox: an approved card is stored (and flushed to disk) before the UI is told it was
//! approved; the publisher delivers pending entries with the card id as Idempotency-Key and marks
//! them delivered or failed; after a restart, [`Outbox::pending`] lists what is left to deliver.
//!
//! Storage goes through the [`OutboxStore`] trait: [`SledOutboxStore`] in production (two trees,
//! `outbox_pending` and `outbox_finished`, keyed by card id, JSON values), and with the
//! `test-util` feature `testing::FaultyStore`, which simulates a failing disk.
//!
//! A card id is present at most once across both trees, so a card can never be queued twice.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::domain::CardContent;
use crate::pipeline::api::CardId;

#[cfg(any(test, feature = "test-util"))]
pub mod testing;

/// One approved card waiting for (or done with) delivery.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutboxEntry {
    /// Also the Idempotency-Key sent with the card.
    pub card_id: CardId,
    pub interaction_id: String,
    pub content: CardContent,
    pub approved_at_ms: u64,
    pub attempts: u32,
}

/// How a finished entry ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    Delivered {
        at_ms: u64,
    },
    /// Undeliverable (rejected by the server, interaction gone...), kept with the reason.
    Failed {
        reason: String,
        at_ms: u64,
    },
}

/// An entry that left the pending set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FinishedEntry {
    pub entry: OutboxEntry,
    pub outcome: Outcome,
}

/// What [`Outbox::enqueue`] did; both mean "durably stored".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Enqueued {
    Stored,
    /// The card was already in the outbox (pending or finished); nothing was added.
    AlreadyPresent,
}

/// A failure of the underlying storage (disk full, I/O error, unreadable record).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{0}")]
pub struct StoreError(pub String);

/// Errors the caller acts on: storage failures (do not acknowledge; tell the user) and
/// entries that are not pending (already finished or never stored).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum OutboxError {
    #[error("outbox storage failed while {operation}: {source}")]
    Storage {
        operation: &'static str,
        source: StoreError,
    },
    #[error("outbox entry {card_id} is not pending")]
    NotPending { card_id: CardId },
}

fn storage(operation: &'static str) -> impl FnOnce(StoreError) -> OutboxError {
    move |source| OutboxError::Storage { operation, source }
}

/// Where the outbox keeps its entries. Writes need not be durable until [`OutboxStore::flush`].
pub trait OutboxStore: Send + Sync {
    /// Stores a pending entry unless its card id is pending or finished; true if stored.
    fn insert_pending_if_absent(&self, entry: &OutboxEntry) -> Result<bool, StoreError>;
    /// Removes a pending entry (rollback of an insert that could not be flushed).
    fn remove_pending(&self, card_id: &str) -> Result<(), StoreError>;
    /// Replaces a pending entry; false if it is not pending.
    fn update_pending(&self, entry: &OutboxEntry) -> Result<bool, StoreError>;
    /// Moves a pending entry to the finished set; false if it is not pending.
    fn finish(&self, finished: &FinishedEntry) -> Result<bool, StoreError>;
    fn get_pending(&self, card_id: &str) -> Result<Option<OutboxEntry>, StoreError>;
    fn get_finished(&self, card_id: &str) -> Result<Option<FinishedEntry>, StoreError>;
    fn all_pending(&self) -> Result<Vec<OutboxEntry>, StoreError>;
    /// Makes every write so far durable.
    fn flush(&self) -> Result<(), StoreError>;
}

mod sled_store;
pub use sled_store::SledOutboxStore;

/// The outbox over any [`OutboxStore`].
pub struct Outbox {
    store: Box<dyn OutboxStore>,
}

impl std::fmt::Debug for Outbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outbox").finish_non_exhaustive()
    }
}

impl Outbox {
    /// The outbox in `db`'s `outbox_pending` / `outbox_finished` trees.
    pub fn open(db: &sled::Db) -> Result<Self, OutboxError> {
        let store = SledOutboxStore::open(db).map_err(storage("opening the outbox trees"))?;
        Ok(Self::with_store(Box::new(store)))
    }

    /// The outbox over another store (tests inject failures this way).
    pub fn with_store(store: Box<dyn OutboxStore>) -> Self {
        Self { store }
    }

    /// Stores an approved card and flushes it to disk; only after `Ok` may the UI be told.
    /// On failure nothing stays pending (an unflushed insert is rolled back).
    pub fn enqueue(&self, entry: OutboxEntry) -> Result<Enqueued, OutboxError> {
        let stored = self
            .store
            .insert_pending_if_absent(&entry)
            .map_err(storage("storing an approved card"))?;
        if let Err(source) = self.store.flush() {
            if stored {
                if let Err(rollback) = self.store.remove_pending(&entry.card_id) {
                    tracing::error!(card_id = %entry.card_id, error = %rollback, "outbox rollback failed");
                }
            }
            return Err(OutboxError::Storage {
                operation: "flushing an approved card",
                source,
            });
        }
        tracing::debug!(card_id = %entry.card_id, stored, "outbox enqueue");
        Ok(if stored {
            Enqueued::Stored
        } else {
            Enqueued::AlreadyPresent
        })
    }

    /// Entries still to deliver, oldest approval first (resume after a restart).
    pub fn pending(&self) -> Result<Vec<OutboxEntry>, OutboxError> {
        let mut entries = self
            .store
            .all_pending()
            .map_err(storage("listing pending cards"))?;
        entries.sort_by(|a, b| (a.approved_at_ms, &a.card_id).cmp(&(b.approved_at_ms, &b.card_id)));
        Ok(entries)
    }

    /// One pending entry.
    pub fn get_pending(&self, card_id: &str) -> Result<Option<OutboxEntry>, OutboxError> {
        self.store
            .get_pending(card_id)
            .map_err(storage("reading a pending card"))
    }

    /// How a finished entry ended (None while pending or unknown).
    pub fn finished(&self, card_id: &str) -> Result<Option<FinishedEntry>, OutboxError> {
        self.store
            .get_finished(card_id)
            .map_err(storage("reading a finished card"))
    }

    /// Counts one more delivery attempt (durably) and returns the new count.
    pub fn record_attempt(&self, card_id: &str) -> Result<u32, OutboxError> {
        let mut entry = self
            .get_pending(card_id)?
            .ok_or_else(|| OutboxError::NotPending {
                card_id: card_id.to_string(),
            })?;
        entry.attempts = entry.attempts.saturating_add(1);
        let updated = self
            .store
            .update_pending(&entry)
            .map_err(storage("recording an attempt"))?;
        if !updated {
            return Err(OutboxError::NotPending {
                card_id: card_id.to_string(),
            });
        }
        self.store.flush().map_err(storage("flushing an attempt"))?;
        Ok(entry.attempts)
    }

    /// The card was delivered: it will not be resumed again.
    pub fn mark_delivered(&self, card_id: &str, at_ms: u64) -> Result<FinishedEntry, OutboxError> {
        self.finish(card_id, Outcome::Delivered { at_ms })
    }

    /// The card cannot be delivered: kept with the reason, not resumed again.
    pub fn mark_failed(
        &self,
        card_id: &str,
        reason: &str,
        at_ms: u64,
    ) -> Result<FinishedEntry, OutboxError> {
        self.finish(
            card_id,
            Outcome::Failed {
                reason: reason.to_string(),
                at_ms,
            },
        )
    }

    fn finish(&self, card_id: &str, outcome: Outcome) -> Result<FinishedEntry, OutboxError> {
        let not_pending = || OutboxError::NotPending {
            card_id: card_id.to_string(),
        };
        let entry = self.get_pending(card_id)?.ok_or_else(not_pending)?;
        let finished = FinishedEntry { entry, outcome };
        if !self
            .store
            .finish(&finished)
            .map_err(storage("finishing a card"))?
        {
            return Err(not_pending());
        }
        self.store
            .flush()
            .map_err(storage("flushing a finished card"))?;
        Ok(finished)
    }
}

#[cfg(test)]
mod tests;
