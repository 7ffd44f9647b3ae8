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
    /// Ends every live interaction without activity for `idle_ms` (state `state`): a call whose `ended` frame was
    /// lost would otherwise stay forever. Its pending cards expire; retention then forgets it like any ended call.
    /// Returns the interactions ended and the cards expired.
    pub fn expire_idle(
        &mut self,
        now_ms: u64,
        idle_ms: u64,
        state: &str,
    ) -> (Vec<String>, Vec<super::Transition>) {
        let idle: Vec<String> = self
            .interactions
            .iter()
            .filter(|(_, r)| {
                r.ended_ms.is_none() && now_ms.saturating_sub(r.last_update_ms) >= idle_ms
            })
            .map(|(id, _)| id.clone())
            .collect();
        let expired = idle
            .iter()
            .flat_map(|id| self.end_interaction(id, state, now_ms))
            .collect();
        self.prune();
        (idle, expired)
    }

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

#[cfg(test)]
mod tests {
    use crate::domain::{CardContent, LegScores};
    use crate::pipeline::api::Decision;
    use crate::queue::{ApprovalQueue, QueueConfig, SuggestedCard};

    fn suggestion(article_id: &str) -> SuggestedCard {
        SuggestedCard {
            article_id: article_id.into(),
            article_url: None,
            article_updated_at: None,
            content: CardContent {
                title: article_id.into(),
                body: format!("**{article_id}**\nbody"),
                score: 0.5,
            },
            scores: LegScores::default(),
            also_in: Vec::new(),
            key_phrases: Vec::new(),
            context: String::new(),
            event_received_ms: 0,
        }
    }

    /// Traced in the code: records only went when a call ended, so calls whose `ended` frame was lost stayed forever.
    #[test]
    fn queue_memory_is_bounded_when_ended_frames_are_lost() {
        let config = QueueConfig::default();
        let mut q = ApprovalQueue::new(config.clone());
        for n in 0..10_000 {
            q.add_suggestions(&format!("call-{n}"), vec![suggestion("KB-1")], 1_000);
        }
        q.add_suggestions("recent", vec![suggestion("KB-1")], 50_000);
        assert_eq!(q.snapshot().interactions.len(), 10_001);
        let (ended, expired) = q.expire_idle(61_000, 60_000, "idle");
        assert_eq!((ended.len(), expired.len()), (10_000, 10_000));
        assert!(expired.iter().all(|t| t.to == Decision::Expired));
        let left = q.snapshot().interactions;
        assert_eq!(
            left.len(),
            config.max_ended_interactions + 1,
            "ended calls beyond the retention limit are forgotten; the recent call stays"
        );
        assert!(left
            .iter()
            .any(|i| i.interaction_id == "recent" && i.state == "active"));
        assert_eq!(q.pending_count(), 1);
    }
}
