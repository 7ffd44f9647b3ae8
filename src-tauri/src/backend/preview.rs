//! Canned interactions for UI work and WebDriver tests (`supervisor-assist --ui-preview`): no network, no model.
//!
//! Actions change the in-memory queue and emit the same events the pipeline would, so the window behaves as in
//! production. Includes the hostile article `KB-XSS-TEST` to prove the window renders KB text inert.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use assist_core::domain::{Article, CardContent, LegScores};
use assist_core::events::ConnectionStatus;
use assist_core::pipeline::api::{
    CardAction, CardTimings, CardView, Decision, Delivery, InteractionView, KbProgress,
    KbRefreshSummary, PipelineEvent, QueueSnapshot, StatusSnapshot,
};
use async_trait::async_trait;
use tokio::sync::{broadcast, watch};

use super::offline::stopped_status;
use super::{Backend, BackendError};

/// Id of the article whose text is an XSS attempt.
pub const XSS_ARTICLE_ID: &str = "KB-XSS-TEST";

/// One card decided by an action: interaction id, card id, decision, content to send (none when rejected).
type DecidedCard = (String, String, Decision, Option<CardContent>);

/// In-memory queue with a handful of realistic cards.
pub struct PreviewBackend {
    queue: Mutex<QueueSnapshot>,
    articles: HashMap<String, Article>,
    events: broadcast::Sender<PipelineEvent>,
    status: watch::Sender<StatusSnapshot>,
}

fn article(id: &str, title: &str, content: &str, days_ago: i64) -> Article {
    let updated = time::OffsetDateTime::now_utc() - time::Duration::days(days_ago);
    Article {
        id: id.into(),
        title: title.into(),
        content: content.into(),
        url: Some(format!("https://kb.example.com/articles/{id}")),
        updated_at: updated
            .format(&time::format_description::well_known::Rfc3339)
            .ok(),
    }
}

fn sample_articles() -> Vec<Article> {
    vec![
        article("KB-1042", "Reset a forgotten password", "If the caller cannot sign in, verify their identity with two \
            factors, then send a reset link from the admin console.\n\n1. Open Accounts.\n2. Choose *Send reset link*.\n\
            The link expires after 30 minutes. See https://kb.example.com/articles/KB-1001 for locked accounts.", 3),
        article("KB-2210", "Refund for a duplicate charge", "Duplicate charges appear when a payment is retried. Refund the \
            second charge from Billing > Transactions; refunds take 3-5 business days.", 12),
        article(XSS_ARTICLE_ID, "<img src=x onerror=alert(1)> Hostile article", "<script>window.__xss = 1;</script>\n\
            Click [here](javascript:alert(document.cookie)) or <a href=\"javascript:alert(2)\">this</a>.\n\
            <img src=x onerror=\"window.__xss=2\">\nSafe link: https://kb.example.com/safe", 0),
    ]
}

fn card(
    interaction: &str,
    n: u32,
    article: &Article,
    fused: f32,
    phrases: &[&str],
    context: &str,
) -> CardView {
    CardView {
        card_id: format!("{interaction}-card-{n}"),
        interaction_id: interaction.into(),
        article_id: article.id.clone(),
        article_url: article.url.clone(),
        article_updated_at: article.updated_at.clone(),
        suggested: CardContent::from_article(article, fused),
        sent: None,
        scores: LegScores {
            dense: fused + 0.05,
            bm25: 7.3,
            bm25_norm: fused - 0.1,
            exact: 0.0,
            fused,
        },
        also_in: Vec::new(),
        key_phrases: phrases.iter().map(|p| p.to_string()).collect(),
        context: context.into(),
        decision: Decision::Pending,
        delivery: Delivery::None,
        timings: CardTimings::default(),
    }
}

fn sample_queue(articles: &[Article]) -> QueueSnapshot {
    let password = "Customer: I forgot my password and the reset email never came.\nAgent: Let me check your account [EMAIL].";
    let refund = "Customer: I was charged twice for my order [ORDER] this month, I want a refund.";
    let xss = "Customer: the <script> tag in the help page broke my browser";
    let view =
        |id: &str, context: &str, cards: Vec<CardView>, reason: Option<&str>| InteractionView {
            interaction_id: id.into(),
            state: "active".into(),
            context: context.into(),
            no_suggestion_reason: reason.map(str::to_owned),
            last_update_ms: 0,
            cards,
        };
    QueueSnapshot {
        interactions: vec![
            view(
                "ix-1001",
                password,
                vec![card(
                    "ix-1001",
                    1,
                    &articles[0],
                    0.71,
                    &["forgot my password", "reset email"],
                    password,
                )],
                None,
            ),
            view(
                "ix-1002",
                refund,
                vec![card(
                    "ix-1002",
                    1,
                    &articles[1],
                    0.64,
                    &["charged twice", "refund"],
                    refund,
                )],
                None,
            ),
            view(
                "ix-1003",
                xss,
                vec![card("ix-1003", 1, &articles[2], 0.52, &["script"], xss)],
                None,
            ),
            view(
                "ix-1004",
                "Customer: what's the weather like there?",
                vec![],
                Some("no suggestion: best 0.31 < 0.45"),
            ),
        ],
    }
}

impl Default for PreviewBackend {
    fn default() -> Self {
        let list = sample_articles();
        let queue = sample_queue(&list);
        let (events, _) = broadcast::channel(256);
        let mut status = stopped_status();
        status.connection = ConnectionStatus::Connected;
        status.pending_cards = 3;
        status.kb_articles = list.len();
        status.kb_fresh_as_of = list[0].updated_at.clone();
        let (status, _) = watch::channel(status);
        let articles = list.into_iter().map(|a| (a.id.clone(), a)).collect();
        Self {
            queue: Mutex::new(queue),
            articles,
            events,
            status,
        }
    }
}

impl PreviewBackend {
    /// Applies `action` to the in-memory queue; returns the decided cards as (interaction, card id, sent).
    fn decide(&self, action: &CardAction) -> Result<Vec<DecidedCard>, BackendError> {
        let mut queue = self
            .queue
            .lock()
            .map_err(|_| BackendError::new("internal", "preview queue poisoned"))?;
        let mut decided = Vec::new();
        for view in &mut queue.interactions {
            for card in view
                .cards
                .iter_mut()
                .filter(|c| c.decision == Decision::Pending)
            {
                let outcome = match action {
                    CardAction::Approve { card_id } if *card_id == card.card_id => {
                        Some((Decision::Approved, Some(card.suggested.clone())))
                    }
                    CardAction::ApproveAll { interaction_id }
                        if *interaction_id == card.interaction_id =>
                    {
                        Some((Decision::Approved, Some(card.suggested.clone())))
                    }
                    CardAction::EditApprove {
                        card_id,
                        title,
                        body,
                    } if *card_id == card.card_id => {
                        let sent = CardContent {
                            title: title.clone(),
                            body: body.clone(),
                            score: card.suggested.score,
                        };
                        Some((Decision::EditedApproved, Some(sent)))
                    }
                    CardAction::Reject { card_id } if *card_id == card.card_id => {
                        Some((Decision::Rejected, None))
                    }
                    _ => None,
                };
                if let Some((decision, sent)) = outcome {
                    card.decision = decision;
                    card.sent = sent.clone();
                    card.delivery = if sent.is_some() {
                        Delivery::Sent
                    } else {
                        Delivery::None
                    };
                    decided.push((
                        card.interaction_id.clone(),
                        card.card_id.clone(),
                        decision,
                        sent,
                    ));
                }
            }
        }
        if decided.is_empty() {
            return Err(BackendError::new(
                "unknown_card",
                "no pending card matches this action",
            ));
        }
        let pending = queue
            .interactions
            .iter()
            .flat_map(|v| &v.cards)
            .filter(|c| c.decision == Decision::Pending)
            .count();
        self.status.send_modify(|s| s.pending_cards = pending);
        Ok(decided)
    }
}

#[async_trait]
impl Backend for PreviewBackend {
    fn subscribe(&self) -> broadcast::Receiver<PipelineEvent> {
        self.events.subscribe()
    }
    fn status(&self) -> watch::Receiver<StatusSnapshot> {
        self.status.subscribe()
    }
    async fn snapshot(&self) -> QueueSnapshot {
        self.queue.lock().map(|q| q.clone()).unwrap_or_default()
    }
    async fn act(&self, action: CardAction, _who: &str) -> Result<(), BackendError> {
        for (interaction_id, card_id, decision, sent) in self.decide(&action)? {
            let delivered = sent.is_some();
            let _ = self.events.send(PipelineEvent::CardDecided {
                interaction_id: interaction_id.clone(),
                card_id: card_id.clone(),
                decision,
                sent,
            });
            if delivered {
                let _ = self.events.send(PipelineEvent::CardDelivered {
                    interaction_id,
                    card_id,
                    latency_ms: 42,
                });
            }
        }
        Ok(())
    }
    async fn refresh_kb(&self) -> Result<KbRefreshSummary, BackendError> {
        let total = 40;
        for done in (0..=total).step_by(10) {
            let progress = KbProgress {
                done,
                total,
                articles_per_sec: 95.0,
            };
            let _ = self.events.send(PipelineEvent::KbProgress { progress });
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
        let fresh = time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .ok();
        self.status
            .send_modify(|s| s.kb_fresh_as_of = fresh.clone());
        let summary = KbRefreshSummary {
            upserted: 0,
            removed: 0,
            total_articles: self.articles.len(),
            fresh_as_of: fresh,
        };
        let _ = self.events.send(PipelineEvent::KbRefreshed {
            summary: summary.clone(),
        });
        Ok(summary)
    }
    fn set_paused(&self, paused: bool) {
        self.status.send_modify(|s| s.paused = paused);
    }
    async fn article(&self, id: &str) -> Option<Article> {
        self.articles.get(id).cloned()
    }
    async fn shutdown(&self, _timeout: Duration) {}
}
