//! The production [`OutboxStore`]: two sled trees in the app's database, updated transactionally.

use sled::transaction::TransactionError;
use sled::Transactional;

use super::{FinishedEntry, OutboxEntry, OutboxStore, StoreError};

const PENDING_TREE: &str = "outbox_pending";
const FINISHED_TREE: &str = "outbox_finished";

/// Outbox entries in `outbox_pending` and `outbox_finished`, keyed by card id, JSON values.
#[derive(Debug, Clone)]
pub struct SledOutboxStore {
    pending: sled::Tree,
    finished: sled::Tree,
}

fn io(err: sled::Error) -> StoreError {
    StoreError(format!("sled: {err}"))
}

fn tx(err: TransactionError<StoreError>) -> StoreError {
    match err {
        TransactionError::Abort(e) => e,
        TransactionError::Storage(e) => io(e),
    }
}

fn encode<T: serde::Serialize>(value: &T) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(value).map_err(|e| StoreError(format!("cannot encode outbox record: {e}")))
}

fn decode<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, StoreError> {
    serde_json::from_slice(bytes).map_err(|e| StoreError(format!("unreadable outbox record: {e}")))
}

impl SledOutboxStore {
    pub fn open(db: &sled::Db) -> Result<Self, StoreError> {
        Ok(Self {
            pending: db.open_tree(PENDING_TREE).map_err(io)?,
            finished: db.open_tree(FINISHED_TREE).map_err(io)?,
        })
    }
}

impl OutboxStore for SledOutboxStore {
    fn insert_pending_if_absent(&self, entry: &OutboxEntry) -> Result<bool, StoreError> {
        let value = encode(entry)?;
        let key = entry.card_id.as_bytes();
        (&self.pending, &self.finished)
            .transaction(|(pending, finished)| {
                if pending.get(key)?.is_some() || finished.get(key)?.is_some() {
                    return Ok(false);
                }
                pending.insert(key, value.as_slice())?;
                Ok(true)
            })
            .map_err(tx)
    }

    fn remove_pending(&self, card_id: &str) -> Result<(), StoreError> {
        self.pending
            .remove(card_id.as_bytes())
            .map_err(io)
            .map(|_| ())
    }

    fn update_pending(&self, entry: &OutboxEntry) -> Result<bool, StoreError> {
        let value = encode(entry)?;
        let key = entry.card_id.as_bytes();
        self.pending
            .transaction(|pending| {
                if pending.get(key)?.is_none() {
                    return Ok(false);
                }
                pending.insert(key, value.as_slice())?;
                Ok(true)
            })
            .map_err(tx)
    }

    fn finish(&self, finished_entry: &FinishedEntry) -> Result<bool, StoreError> {
        let value = encode(finished_entry)?;
        let key = finished_entry.entry.card_id.as_bytes();
        (&self.pending, &self.finished)
            .transaction(|(pending, finished)| {
                if pending.remove(key)?.is_none() {
                    return Ok(false);
                }
                finished.insert(key, value.as_slice())?;
                Ok(true)
            })
            .map_err(tx)
    }

    fn get_pending(&self, card_id: &str) -> Result<Option<OutboxEntry>, StoreError> {
        match self.pending.get(card_id.as_bytes()).map_err(io)? {
            Some(bytes) => decode(&bytes).map(Some),
            None => Ok(None),
        }
    }

    fn get_finished(&self, card_id: &str) -> Result<Option<FinishedEntry>, StoreError> {
        match self.finished.get(card_id.as_bytes()).map_err(io)? {
            Some(bytes) => decode(&bytes).map(Some),
            None => Ok(None),
        }
    }

    fn all_pending(&self) -> Result<Vec<OutboxEntry>, StoreError> {
        self.pending
            .iter()
            .values()
            .map(|value| decode(&value.map_err(io)?))
            .collect()
    }

    fn flush(&self) -> Result<(), StoreError> {
        self.pending.flush().map_err(io)?;
        self.finished.flush().map_err(io)?;
        Ok(())
    }
}
