//! After a restart: decisions made before it come back from the audit log, so a card the supervisor already
//! approved, edited or rejected is not queued as pending again when the live call suggests it once more (approving
//! it twice would do nothing and count two approvals). Approvals still waiting in the outbox are put back as
//! cards, so the window shows their delivery and the publisher's updates find them.

use std::collections::HashMap;

use super::ApprovalQueue;
use crate::audit::AuditRecord;
use crate::outbox::Outbox;
use crate::pipeline::api::{CardTimings, CardView, Decision, Delivery};

/// Decisions older than this are not restored: no live call lasts that long.
pub const DECISIONS_RESTORED_FOR_MS: u64 = 24 * 60 * 60 * 1000;

/// What a start restored.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Restored {
    /// Cards decided before the restart that stay decided if suggested again.
    pub decided: usize,
    /// Of those, approvals still in the outbox, put back in the queue as cards.
    pub awaiting_delivery: usize,
}

/// Feeds `queue` the last decision of every card in `records` (the audit log since
/// `now - DECISIONS_RESTORED_FOR_MS`, oldest first).
pub fn restore_decisions(
    queue: &mut ApprovalQueue,
    records: Vec<AuditRecord>,
    outbox: &Outbox,
    now_ms: u64,
) -> Restored {
    let mut last: HashMap<String, AuditRecord> = HashMap::new();
    for record in records {
        if record.decision != Decision::Pending {
            last.insert(record.card_id.clone(), record);
        }
    }
    let mut restored = Restored::default();
    let mut decided: Vec<AuditRecord> = last.into_values().collect();
    decided.sort_by_key(|r| r.at_ms);
    for record in decided {
        restored.decided += 1;
        let awaiting = matches!(
            record.decision,
            Decision::Approved | Decision::EditedApproved
        ) && matches!(outbox.get_pending(&record.card_id), Ok(Some(_)));
        if awaiting {
            restored.awaiting_delivery += 1;
            queue.restore_decided_card(card_from(record), now_ms);
        } else {
            queue.remember_decided(record.card_id, record.decision);
        }
    }
    restored
}

fn card_from(record: AuditRecord) -> CardView {
    let queued_ms = record
        .at_ms
        .saturating_sub(record.latency.queued_to_decided_ms.unwrap_or(0));
    CardView {
        card_id: record.card_id,
        interaction_id: record.interaction_id,
        article_id: record.article_id,
        article_url: None,
        article_updated_at: None,
        suggested: record.suggested,
        sent: record.sent,
        scores: record.scores,
        also_in: Vec::new(),
        key_phrases: Vec::new(),
        context: record.context,
        decision: record.decision,
        delivery: Delivery::Queued,
        timings: CardTimings {
            event_received_ms: 0,
            queued_ms,
            decided_ms: Some(record.at_ms),
            delivered_ms: None,
        },
    }
}
