//! Building cards and transitions from queue inputs.

use super::{card_id_for, QueueError, SuggestedCard, Transition};
use crate::domain::CardContent;
use crate::pipeline::api::{CardTimings, CardView, Decision, Delivery};

pub(super) fn new_card(interaction_id: &str, s: SuggestedCard, now_ms: u64) -> CardView {
    CardView {
        card_id: card_id_for(interaction_id, &s.article_id),
        interaction_id: interaction_id.to_string(),
        article_id: s.article_id,
        article_url: s.article_url,
        article_updated_at: s.article_updated_at,
        suggested: s.content,
        sent: None,
        scores: s.scores,
        also_in: s.also_in,
        key_phrases: s.key_phrases,
        context: s.context,
        decision: Decision::Pending,
        delivery: Delivery::None,
        timings: CardTimings {
            event_received_ms: s.event_received_ms,
            queued_ms: now_ms,
            decided_ms: None,
            delivered_ms: None,
        },
    }
}

pub(super) fn transition(
    card: &CardView,
    to: Decision,
    sent: Option<CardContent>,
    who: &str,
    at_ms: u64,
) -> Transition {
    Transition {
        card_id: card.card_id.clone(),
        interaction_id: card.interaction_id.clone(),
        article_id: card.article_id.clone(),
        from: card.decision,
        to,
        sent,
        who: who.to_string(),
        at_ms,
    }
}

pub(super) fn edited_content(
    suggested: &CardContent,
    title: &str,
    body: &str,
) -> Result<CardContent, QueueError> {
    let (title, body) = (title.trim(), body.trim());
    if title.is_empty() {
        return Err(QueueError::EmptyTitle);
    }
    if body.is_empty() {
        return Err(QueueError::EmptyBody);
    }
    Ok(CardContent {
        title: title.to_string(),
        body: body.to_string(),
        score: suggested.score,
    })
}
