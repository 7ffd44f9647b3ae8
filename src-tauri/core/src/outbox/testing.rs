//! A store that can be told to fail, to prove nothing is acknowledged that was not stored.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use super::{FinishedEntry, OutboxEntry, OutboxStore, StoreError};

/// Which operations fail while the switch is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureMode {
    /// Every write (insert, update, finish) fails, as with a full disk.
    Writes,
    /// Writes land in memory but `flush` fails (the data never reaches the disk).
    Flush,
}

/// Wraps a store; while failing, the chosen operations return "No space left on device".
pub struct FaultyStore<S> {
    inner: S,
    mode: FailureMode,
    failing: Arc<AtomicBool>,
}

impl<S: OutboxStore> FaultyStore<S> {
    /// The store and the switch that turns failures on and off.
    pub fn new(inner: S, mode: FailureMode) -> (Self, Arc<AtomicBool>) {
        let failing = Arc::new(AtomicBool::new(false));
        (
            Self {
                inner,
                mode,
                failing: Arc::clone(&failing),
            },
            failing,
        )
    }

    fn check(&self, mode: FailureMode) -> Result<(), StoreError> {
        if self.mode == mode && self.failing.load(Ordering::SeqCst) {
            return Err(StoreError(
                "No space left on device (os error 28, simulated)".into(),
            ));
        }
        Ok(())
    }
}

impl<S: OutboxStore> OutboxStore for FaultyStore<S> {
    fn insert_pending_if_absent(&self, entry: &OutboxEntry) -> Result<bool, StoreError> {
        self.check(FailureMode::Writes)?;
        self.inner.insert_pending_if_absent(entry)
    }

    fn remove_pending(&self, card_id: &str) -> Result<(), StoreError> {
        self.inner.remove_pending(card_id)
    }

    fn update_pending(&self, entry: &OutboxEntry) -> Result<bool, StoreError> {
        self.check(FailureMode::Writes)?;
        self.inner.update_pending(entry)
    }

    fn finish(&self, finished: &FinishedEntry) -> Result<bool, StoreError> {
        self.check(FailureMode::Writes)?;
        self.inner.finish(finished)
    }

    fn get_pending(&self, card_id: &str) -> Result<Option<OutboxEntry>, StoreError> {
        self.inner.get_pending(card_id)
    }

    fn get_finished(&self, card_id: &str) -> Result<Option<FinishedEntry>, StoreError> {
        self.inner.get_finished(card_id)
    }

    fn all_pending(&self) -> Result<Vec<OutboxEntry>, StoreError> {
        self.inner.all_pending()
    }

    fn flush(&self) -> Result<(), StoreError> {
        self.check(FailureMode::Flush)?;
        self.inner.flush()
    }
}
