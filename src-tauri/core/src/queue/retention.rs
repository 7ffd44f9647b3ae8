//! Keeps the queue's memory bounded.
//!
//! A decided card may be forgotten once its delivery is final (not `Queued`/`Retrying`: the
//! outbox still needs the UI to show progress). An ended interaction may be forgotten once none
//! of its cards is pending or in flight; its id is remembered in a bounded set so that late
//! suggestions for it are dropped instead of resurrecting it.

use std::collections::{HashSet, VecDeque};

use super::ApprovalQueue;
use crate::pipeline::api::{CardView, Decision, Delivery};

/// A bounded set of forgotten interaction ids (oldest evicted first).
#[derive(Debug, Default)]
pub(super) struct ForgottenIds {
    capacity: usize,
    order: VecDeque<String>,
    ids: HashSet<String>,
}

impl ForgottenIds {
    pub(super) fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            ..Self::default()
        }
    }

    pub(super) fn contains(&self, id: &str) -> bool {
        self.ids.contains(id)
    }

    fn insert(&mut self, id: String) {
        if !self.ids.insert(id.clone()) {
            return;
        }
        self.order.push_back(id);
        while self.order.len() > self.capacity {
            if let Some(old) = self.order.pop_front() {
                self.ids.remove(&old);
            }
        }
    }
}

fn is_final(card: &CardView) -> bool {
    card.decision != Decision::Pending
        && !matches!(card.delivery, Delivery::Queued | Delivery::Retrying { .. })
}

impl ApprovalQueue {
    /// Forgets the oldest final cards and ended interactions beyond the configured limits.
    pub(super) fn prune(&mut self) {
        self.prune_ended_interactions();
        self.prune_decided_cards();
    }

    fn prune_decided_cards(&mut self) {
        let decided = self
            .cards
            .values()
            .filter(|c| c.decision != Decision::Pending)
            .count();
        let excess = decided.saturating_sub(self.config.max_decided_cards);
        if excess == 0 {
            return;
        }
        let mut candidates: Vec<(u64, String)> = self
            .cards
            .values()
            .filter(|c| is_final(c))
            .map(|c| (c.timings.decided_ms.unwrap_or(0), c.card_id.clone()))
            .collect();
        candidates.sort();
        for (_, card_id) in candidates.into_iter().take(excess) {
            if let Some(card) = self.cards.remove(&card_id) {
                if let Some(record) = self.interactions.get_mut(&card.interaction_id) {
                    record.card_ids.retain(|id| id != &card_id);
                }
            }
        }
    }

    fn prune_ended_interactions(&mut self) {
        let ended = self
            .interactions
            .values()
            .filter(|r| r.ended_ms.is_some())
            .count();
        let excess = ended.saturating_sub(self.config.max_ended_interactions);
        if excess == 0 {
            return;
        }
        let mut candidates: Vec<(u64, String)> = self
            .interactions
            .iter()
            .filter_map(|(id, r)| r.ended_ms.map(|ended_ms| (ended_ms, id)))
            .filter(|(_, id)| self.all_cards_final(id))
            .map(|(ended_ms, id)| (ended_ms, id.clone()))
            .collect();
        candidates.sort();
        for (_, interaction_id) in candidates.into_iter().take(excess) {
            if let Some(record) = self.interactions.remove(&interaction_id) {
                for card_id in &record.card_ids {
                    self.cards.remove(card_id);
                }
                self.forgotten.insert(interaction_id);
            }
        }
    }

    fn all_cards_final(&self, interaction_id: &str) -> bool {
        self.interactions.get(interaction_id).is_some_and(|record| {
            record
                .card_ids
                .iter()
                .filter_map(|id| self.cards.get(id))
                .all(is_final)
        })
    }
}
