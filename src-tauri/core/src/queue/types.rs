//! Inputs, outputs and errors of the approval queue.

use thiserror::Error;

use crate::domain::{ArticleId, CardContent, LegScores};
use crate::pipeline::api::{CardAction, CardId, Decision, PipelineEvent};

/// A ranked result turned into a card, before it is queued.
#[derive(Debug, Clone, PartialEq)]
pub struct SuggestedCard {
    pub article_id: ArticleId,
    pub article_url: Option<String>,
    pub article_updated_at: Option<String>,
    /// Title, body (bold title + snippet) and score, as [`CardContent::from_article`] builds it.
    pub content: CardContent,
    pub scores: LegScores,
    /// Other KB articles with the same title and text, collapsed into this card.
    pub also_in: Vec<ArticleId>,
    pub key_phrases: Vec<String>,
    /// Redacted transcript excerpt the query was built from.
    pub context: String,
    /// When the event that produced this suggestion was received (ms since the Unix epoch).
    pub event_received_ms: u64,
}

/// Optional policy approving cards without a human; off by default.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum AutoApprove {
    #[default]
    Off,
    /// Approve every card whose fused score is at least this.
    ScoreAtLeast(f32),
}

impl AutoApprove {
    /// Parses `none`/`off`, `all` or `score>=X` (the headless `--approve` flag).
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim() {
            "none" | "off" => Some(Self::Off),
            "all" => Some(Self::ScoreAtLeast(f32::NEG_INFINITY)),
            other => {
                let threshold = other.strip_prefix("score>=")?.trim().parse::<f32>().ok()?;
                threshold
                    .is_finite()
                    .then_some(Self::ScoreAtLeast(threshold))
            }
        }
    }

    /// True when a card with this fused score is approved by the policy.
    pub fn approves(&self, score: f32) -> bool {
        match self {
            Self::Off => false,
            Self::ScoreAtLeast(threshold) => score >= *threshold,
        }
    }
}

/// Limits and policy of the queue.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueConfig {
    pub auto_approve: AutoApprove,
    /// Decided cards kept for display; older ones (already delivered or final) are forgotten.
    pub max_decided_cards: usize,
    /// Ended interactions kept for display; older ones are forgotten with their cards.
    pub max_ended_interactions: usize,
}

impl Default for QueueConfig {
    fn default() -> Self {
        Self {
            auto_approve: AutoApprove::Off,
            max_decided_cards: 500,
            max_ended_interactions: 50,
        }
    }
}

/// Who decided when the auto-approve policy did.
pub const AUTO_APPROVE_ACTOR: &str = "auto-approve";

/// One card changing decision.
#[derive(Debug, Clone, PartialEq)]
pub struct Transition {
    pub card_id: CardId,
    pub interaction_id: String,
    pub article_id: ArticleId,
    pub from: Decision,
    pub to: Decision,
    /// What will be sent (approved or edited); None for rejected/expired.
    pub sent: Option<CardContent>,
    pub who: String,
    pub at_ms: u64,
}

impl Transition {
    /// True for approved and edited-approved cards: they go to the outbox.
    pub fn is_approval(&self) -> bool {
        matches!(self.to, Decision::Approved | Decision::EditedApproved)
    }

    /// The UI event announcing this decision.
    pub fn event(&self) -> PipelineEvent {
        PipelineEvent::CardDecided {
            interaction_id: self.interaction_id.clone(),
            card_id: self.card_id.clone(),
            decision: self.to,
            sent: self.sent.clone(),
        }
    }
}

/// Why an action was refused; the card (if any) is unchanged.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum QueueError {
    #[error("unknown card {0}")]
    UnknownCard(CardId),
    #[error("unknown interaction {0}")]
    UnknownInteraction(String),
    #[error("card {card_id} was already decided ({decision:?})")]
    AlreadyDecided { card_id: CardId, decision: Decision },
    #[error("the edited title must not be empty")]
    EmptyTitle,
    #[error("the edited body must not be empty")]
    EmptyBody,
    #[error("card {0} was not approved, so it has no delivery")]
    NotApproved(CardId),
}

/// The card id an action is about, if it targets one card.
pub fn action_card_id(action: &CardAction) -> Option<&str> {
    match action {
        CardAction::Approve { card_id }
        | CardAction::EditApprove { card_id, .. }
        | CardAction::Reject { card_id } => Some(card_id),
        CardAction::ApproveAll { .. } => None,
    }
}
