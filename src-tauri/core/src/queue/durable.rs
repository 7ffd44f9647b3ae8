//! Deciding with the outbox in between: approvals are stored durably before they are committed
//! in the queue (and so before the UI hears about them).

use thiserror::Error;

use super::{ApprovalQueue, QueueError, Transition};
use crate::outbox::{Outbox, OutboxEntry, OutboxError};
use crate::pipeline::api::CardAction;

/// Why a decision was not (fully) applied.
#[derive(Debug, Error)]
pub enum ApplyError {
    /// The action itself was invalid; nothing changed.
    #[error(transparent)]
    Invalid(#[from] QueueError),
    /// An approval could not be stored. `committed` lists the transitions that were stored and
    /// applied before the failure (approve-all stops at the first failure); the rest stay pending.
    #[error("approval not saved: {source}")]
    Storage {
        committed: Vec<Transition>,
        #[source]
        source: OutboxError,
    },
}

/// Plans `action`, writes each approval to the outbox (flushed), and commits in the queue only
/// what was stored. Rejections commit directly. Returns the applied transitions, in order.
pub fn apply_durably(
    queue: &mut ApprovalQueue,
    outbox: &Outbox,
    action: &CardAction,
    who: &str,
    now_ms: u64,
) -> Result<Vec<Transition>, ApplyError> {
    let planned = queue.plan(action, who, now_ms)?;
    let mut storable = Vec::with_capacity(planned.len());
    for transition in planned {
        if let Some(entry) = outbox_entry(&transition) {
            if let Err(source) = outbox.enqueue(entry) {
                tracing::warn!(card_id = %transition.card_id, error = %source, "approval not stored");
                let committed = queue.commit(&storable);
                return Err(ApplyError::Storage { committed, source });
            }
        }
        storable.push(transition);
    }
    Ok(queue.commit(&storable))
}

/// The outbox entry for an approval (None for other transitions).
pub fn outbox_entry(transition: &Transition) -> Option<OutboxEntry> {
    if !transition.is_approval() {
        return None;
    }
    Some(OutboxEntry {
        card_id: transition.card_id.clone(),
        interaction_id: transition.interaction_id.clone(),
        content: transition.sent.clone()?,
        approved_at_ms: transition.at_ms,
        attempts: 0,
    })
}
