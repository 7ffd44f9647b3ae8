//! The approval queue: one state machine per card, pending → approved | edited-approved |
//! rejected | expired, owned by one task (this is a plain struct; the pipeline wraps it).
//!
//! Deciding is two-phase so that nothing is acknowledged before it is stored:
//! [`ApprovalQueue::plan`] validates an action and returns the [`Transition`]s without changing
//! anything; the caller writes approvals to the outbox, then [`ApprovalQueue::commit`]s the ones
//! that were stored ([`durable::apply_durably`] does exactly that). [`ApprovalQueue::apply`] is
//! plan + commit for callers without an outbox.
//!
//! Memory is bounded: decided cards whose delivery is final and ended interactions beyond the
//! configured limits are forgotten, oldest first (see the `retention` module).

mod build;
pub mod durable;
pub mod restore;
mod retention;
mod types;

use std::collections::{HashMap, HashSet};

pub use types::{
    action_card_id, AutoApprove, QueueConfig, QueueError, SuggestedCard, Transition,
    AUTO_APPROVE_ACTOR,
};

use build::{edited_content, new_card, transition};

use crate::domain::{ArticleId, CardContent};
use crate::pipeline::api::{
    CardAction, CardId, CardView, Decision, Delivery, InteractionView, QueueSnapshot,
};

/// Interaction state string while the interaction is live.
pub const ACTIVE_STATE: &str = "active";

#[derive(Debug, Clone)]
struct InteractionRecord {
    state: String,
    context: String,
    no_suggestion_reason: Option<String>,
    last_update_ms: u64,
    created_seq: u64,
    ended_ms: Option<u64>,
    card_ids: Vec<CardId>,
    /// Every article ever queued here (kept when its card is forgotten): never re-suggested.
    article_ids: HashSet<ArticleId>,
}

impl InteractionRecord {
    fn new(created_seq: u64, now_ms: u64) -> Self {
        Self {
            state: ACTIVE_STATE.to_string(),
            context: String::new(),
            no_suggestion_reason: None,
            last_update_ms: now_ms,
            created_seq,
            ended_ms: None,
            card_ids: Vec::new(),
            article_ids: HashSet::new(),
        }
    }
}

/// The card state machine for every live interaction.
#[derive(Debug, Default)]
pub struct ApprovalQueue {
    config: QueueConfig,
    interactions: HashMap<String, InteractionRecord>,
    cards: HashMap<CardId, CardView>,
    next_seq: u64,
    forgotten: retention::ForgottenIds,
    /// Cards decided before the last restart (from the audit log): suggested again, they stay decided.
    decided_before: HashMap<CardId, Decision>,
}

/// Same title and body: the agent would see the same card.
fn same_card(a: &CardContent, b: &CardContent) -> bool {
    a.title == b.title && a.body == b.body
}

/// Stable card id (also the Idempotency-Key): a UUID v5 of interaction and article, so the same
/// suggestion keeps its id across restarts and can never be sent twice.
pub fn card_id_for(interaction_id: &str, article_id: &str) -> CardId {
    let name = format!("{interaction_id}\u{1f}{article_id}");
    uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_OID, name.as_bytes()).to_string()
}

impl ApprovalQueue {
    pub fn new(config: QueueConfig) -> Self {
        let forgotten = retention::ForgottenIds::new(config.max_ended_interactions.max(1) * 8);
        Self {
            config,
            forgotten,
            ..Self::default()
        }
    }

    pub fn config(&self) -> &QueueConfig {
        &self.config
    }

    fn record_mut(&mut self, interaction_id: &str, now_ms: u64) -> Option<&mut InteractionRecord> {
        if self.forgotten.contains(interaction_id) {
            return None;
        }
        if !self.interactions.contains_key(interaction_id) {
            self.next_seq += 1;
            let record = InteractionRecord::new(self.next_seq, now_ms);
            self.interactions.insert(interaction_id.to_string(), record);
        }
        self.interactions.get_mut(interaction_id)
    }

    /// Updates the redacted context shown for an interaction.
    pub fn note_context(&mut self, interaction_id: &str, context: String, now_ms: u64) {
        if let Some(record) = self.record_mut(interaction_id, now_ms) {
            record.context = context;
            record.last_update_ms = record.last_update_ms.max(now_ms);
        }
    }

    /// Records why no card was queued ("no suggestion: best 0.31 < 0.45"); None clears it.
    pub fn note_no_suggestion(
        &mut self,
        interaction_id: &str,
        reason: Option<String>,
        now_ms: u64,
    ) {
        if let Some(record) = self.record_mut(interaction_id, now_ms) {
            record.no_suggestion_reason = reason;
            record.last_update_ms = record.last_update_ms.max(now_ms);
        }
    }

    /// Remembers a decision made before a restart (read from the audit log at start): if the card is suggested
    /// again it is not queued as pending; it stays decided.
    pub fn remember_decided(&mut self, card_id: CardId, decision: Decision) {
        if decision != Decision::Pending {
            self.decided_before.insert(card_id, decision);
        }
    }

    /// Puts back a card decided before a restart whose delivery is still open (an approval in the outbox), so the
    /// window shows it and the publisher's delivery updates find it. Ignored if the card is already known.
    pub fn restore_decided_card(&mut self, card: CardView, now_ms: u64) {
        if self.cards.contains_key(&card.card_id) {
            return;
        }
        let Some(record) = self.record_mut(&card.interaction_id, now_ms) else {
            return;
        };
        record.article_ids.insert(card.article_id.clone());
        record.card_ids.push(card.card_id.clone());
        self.decided_before.remove(&card.card_id);
        self.cards.insert(card.card_id.clone(), card);
    }

    /// Whether a suggestion of `article_id` with this content adds nothing for the interaction: the article was
    /// queued before (or decided before a restart), or an existing card has the same title and body (a KB
    /// duplicate: its id is added to that card's `also_in`).
    pub fn knows_card(
        &mut self,
        interaction_id: &str,
        article_id: &str,
        content: &CardContent,
        also_in: &[ArticleId],
    ) -> bool {
        if self
            .decided_before
            .contains_key(&card_id_for(interaction_id, article_id))
        {
            return true;
        }
        let Some(record) = self.interactions.get_mut(interaction_id) else {
            return false;
        };
        if record.article_ids.contains(article_id) {
            return true;
        }
        let cards = &mut self.cards;
        let Some(twin) = record.card_ids.iter().find(|id| {
            cards
                .get(*id)
                .is_some_and(|c| same_card(&c.suggested, content))
        }) else {
            return false;
        };
        record.article_ids.insert(article_id.to_owned());
        if let Some(card) = cards.get_mut(twin) {
            for id in std::iter::once(article_id).chain(also_in.iter().map(String::as_str)) {
                if id != card.article_id && !card.also_in.iter().any(|known| known == id) {
                    card.also_in.push(id.to_owned());
                }
            }
        }
        true
    }

    /// Queues new pending cards, skipping what [`Self::knows_card`] knows, duplicates within the batch (same
    /// title and body: merged into `also_in`) and anything for an ended interaction. Returns the cards queued.
    pub fn add_suggestions(
        &mut self,
        interaction_id: &str,
        suggestions: Vec<SuggestedCard>,
        now_ms: u64,
    ) -> Vec<CardView> {
        if self
            .interactions
            .get(interaction_id)
            .is_some_and(|r| r.ended_ms.is_some())
        {
            tracing::debug!(
                interaction_id,
                "suggestions for an ended interaction dropped"
            );
            return Vec::new();
        }
        let mut fresh: Vec<SuggestedCard> = Vec::with_capacity(suggestions.len());
        for suggestion in suggestions {
            if self.knows_card(
                interaction_id,
                &suggestion.article_id,
                &suggestion.content,
                &suggestion.also_in,
            ) {
                continue;
            }
            match fresh
                .iter_mut()
                .find(|f| same_card(&f.content, &suggestion.content))
            {
                Some(earlier) => {
                    earlier.also_in.push(suggestion.article_id);
                    earlier.also_in.extend(suggestion.also_in);
                }
                None => fresh.push(suggestion),
            }
        }
        let Some(record) = self.record_mut(interaction_id, now_ms) else {
            tracing::debug!(
                interaction_id,
                "suggestions for a forgotten interaction dropped"
            );
            return Vec::new();
        };
        let mut queued = Vec::new();
        for suggestion in fresh {
            if !record.article_ids.insert(suggestion.article_id.clone()) {
                continue;
            }
            let card = new_card(interaction_id, suggestion, now_ms);
            record.card_ids.push(card.card_id.clone());
            queued.push(card);
        }
        if !queued.is_empty() {
            record.no_suggestion_reason = None;
            record.last_update_ms = record.last_update_ms.max(now_ms);
        }
        for card in &queued {
            self.cards.insert(card.card_id.clone(), card.clone());
        }
        queued
    }

    /// The approvals the auto-approve policy makes for freshly queued cards (none when off).
    pub fn auto_actions(&self, queued: &[CardView]) -> Vec<CardAction> {
        queued
            .iter()
            .filter(|card| card.decision == Decision::Pending)
            .filter(|card| self.config.auto_approve.approves(card.scores.fused))
            .map(|card| CardAction::Approve {
                card_id: card.card_id.clone(),
            })
            .collect()
    }

    /// Validates an action and returns what it would change, without changing anything.
    pub fn plan(
        &self,
        action: &CardAction,
        who: &str,
        now_ms: u64,
    ) -> Result<Vec<Transition>, QueueError> {
        match action {
            CardAction::Approve { card_id } => {
                let card = self.pending_card(card_id)?;
                Ok(vec![transition(
                    card,
                    Decision::Approved,
                    Some(card.suggested.clone()),
                    who,
                    now_ms,
                )])
            }
            CardAction::EditApprove {
                card_id,
                title,
                body,
            } => {
                let card = self.pending_card(card_id)?;
                let sent = edited_content(&card.suggested, title, body)?;
                let to = if sent == card.suggested {
                    Decision::Approved
                } else {
                    Decision::EditedApproved
                };
                Ok(vec![transition(card, to, Some(sent), who, now_ms)])
            }
            CardAction::Reject { card_id } => {
                let card = self.pending_card(card_id)?;
                Ok(vec![transition(
                    card,
                    Decision::Rejected,
                    None,
                    who,
                    now_ms,
                )])
            }
            CardAction::ApproveAll { interaction_id } => {
                let record = self
                    .interactions
                    .get(interaction_id)
                    .ok_or_else(|| QueueError::UnknownInteraction(interaction_id.clone()))?;
                Ok(self
                    .cards_of(record)
                    .filter(|card| card.decision == Decision::Pending)
                    .map(|card| {
                        transition(
                            card,
                            Decision::Approved,
                            Some(card.suggested.clone()),
                            who,
                            now_ms,
                        )
                    })
                    .collect())
            }
        }
    }

    /// Applies planned transitions whose card is still pending; returns the ones applied.
    /// Approved cards get delivery `Queued` (the caller stored them in the outbox first).
    pub fn commit(&mut self, transitions: &[Transition]) -> Vec<Transition> {
        let applied = self.commit_unpruned(transitions);
        self.prune();
        applied
    }

    fn commit_unpruned(&mut self, transitions: &[Transition]) -> Vec<Transition> {
        let mut applied = Vec::new();
        for t in transitions {
            let Some(card) = self.cards.get_mut(&t.card_id) else {
                continue;
            };
            if card.decision != Decision::Pending {
                continue;
            }
            card.decision = t.to;
            card.sent = t.sent.clone();
            card.timings.decided_ms = Some(t.at_ms);
            if t.is_approval() {
                card.delivery = Delivery::Queued;
            }
            applied.push(t.clone());
        }
        applied
    }

    /// Plan + commit, for callers that do not need the outbox in between.
    pub fn apply(
        &mut self,
        action: CardAction,
        who: &str,
        now_ms: u64,
    ) -> Result<Vec<Transition>, QueueError> {
        let planned = self.plan(&action, who, now_ms)?;
        Ok(self.commit(&planned))
    }

    /// Marks the interaction ended with `state`; its pending cards become expired.
    pub fn expire_interaction(
        &mut self,
        interaction_id: &str,
        state: &str,
        now_ms: u64,
    ) -> Vec<Transition> {
        let expired = self.end_interaction(interaction_id, state, now_ms);
        self.prune();
        expired
    }

    /// [`Self::expire_interaction`] without the retention pass (the caller prunes once after many).
    fn end_interaction(
        &mut self,
        interaction_id: &str,
        state: &str,
        now_ms: u64,
    ) -> Vec<Transition> {
        let Some(record) = self.record_mut(interaction_id, now_ms) else {
            return Vec::new();
        };
        record.state = state.to_string();
        record.ended_ms.get_or_insert(now_ms);
        let card_ids = record.card_ids.clone();
        let expired: Vec<Transition> = card_ids
            .iter()
            .filter_map(|id| self.cards.get(id))
            .filter(|card| card.decision == Decision::Pending)
            .map(|card| transition(card, Decision::Expired, None, "system", now_ms))
            .collect();
        self.commit_unpruned(&expired)
    }

    /// Records the delivery state of an approved card (sets `delivered_ms` when sent).
    pub fn set_delivery(
        &mut self,
        card_id: &str,
        delivery: Delivery,
        now_ms: u64,
    ) -> Result<CardView, QueueError> {
        let card = self
            .cards
            .get_mut(card_id)
            .ok_or_else(|| QueueError::UnknownCard(card_id.to_string()))?;
        if !matches!(card.decision, Decision::Approved | Decision::EditedApproved) {
            return Err(QueueError::NotApproved(card_id.to_string()));
        }
        if delivery == Delivery::Sent {
            card.timings.delivered_ms.get_or_insert(now_ms);
        }
        card.delivery = delivery;
        let view = card.clone();
        self.prune();
        Ok(view)
    }

    /// One card, if still retained.
    pub fn card(&self, card_id: &str) -> Option<&CardView> {
        self.cards.get(card_id)
    }

    /// Cards waiting for a decision.
    pub fn pending_count(&self) -> usize {
        self.cards
            .values()
            .filter(|c| c.decision == Decision::Pending)
            .count()
    }

    /// Everything the window renders, newest interaction first, cards in queued order.
    pub fn snapshot(&self) -> QueueSnapshot {
        let mut records: Vec<(&String, &InteractionRecord)> = self.interactions.iter().collect();
        records.sort_by(|a, b| {
            (b.1.last_update_ms, b.1.created_seq).cmp(&(a.1.last_update_ms, a.1.created_seq))
        });
        let interactions = records
            .into_iter()
            .map(|(id, record)| InteractionView {
                interaction_id: id.clone(),
                state: record.state.clone(),
                context: record.context.clone(),
                no_suggestion_reason: record.no_suggestion_reason.clone(),
                last_update_ms: record.last_update_ms,
                cards: self.cards_of(record).cloned().collect(),
            })
            .collect();
        QueueSnapshot { interactions }
    }

    fn cards_of<'a>(
        &'a self,
        record: &'a InteractionRecord,
    ) -> impl Iterator<Item = &'a CardView> + 'a {
        record.card_ids.iter().filter_map(|id| self.cards.get(id))
    }

    fn pending_card(&self, card_id: &str) -> Result<&CardView, QueueError> {
        let Some(card) = self.cards.get(card_id) else {
            return Err(match self.decided_before.get(card_id) {
                Some(&decision) => QueueError::AlreadyDecided {
                    card_id: card_id.to_string(),
                    decision,
                },
                None => QueueError::UnknownCard(card_id.to_string()),
            });
        };
        match card.decision {
            Decision::Pending => Ok(card),
            decision => Err(QueueError::AlreadyDecided {
                card_id: card_id.to_string(),
                decision,
            }),
        }
    }
}

#[cfg(test)]
mod tests;
