//! Stage 3: the single owner of card state. Suggestions in, decisions in, delivery updates in;
//! UI events and status out. Approvals reach the outbox (flushed) before anyone is told.

use std::sync::Arc;

use tokio::sync::{broadcast, mpsc, oneshot, watch, Notify};
use tokio_util::sync::CancellationToken;

use super::api::{CardAction, Delivery, PipelineEvent, QueueSnapshot, StatusSnapshot};
use super::extract::{Suggestions, IDLE_STATE};
use super::handle::PipelineError;
use super::kb_sync::KbStatus;
use super::settings::PipelineSettings;
use super::{now_ms, QueueInput};
use crate::audit::{AuditLog, AuditRecord};
use crate::domain::CardContent;
use crate::events::ConnectionStatus;
use crate::metrics::PipelineLatencies;
use crate::outbox::Outbox;
use crate::pii;
use crate::queue::durable::{apply_durably, ApplyError};
use crate::queue::restore::{restore_decisions, DECISIONS_RESTORED_FOR_MS};
use crate::queue::{ApprovalQueue, QueueConfig, QueueError, SuggestedCard, Transition};

/// Requests to the queue task.
pub(crate) enum QueueCommand {
    Snapshot {
        reply: oneshot::Sender<QueueSnapshot>,
    },
    Act {
        action: CardAction,
        who: String,
        reply: oneshot::Sender<Result<(), PipelineError>>,
    },
    /// From the publisher: a card's delivery moved on.
    Delivery {
        interaction_id: String,
        card_id: String,
        delivery: Delivery,
    },
}

/// Watch channels the status is composed from.
pub(crate) struct StatusInputs {
    pub connection: watch::Receiver<ConnectionStatus>,
    pub paused: watch::Receiver<bool>,
    pub kb: watch::Receiver<KbStatus>,
    pub out: watch::Sender<StatusSnapshot>,
}

pub(crate) struct QueueTask {
    queue: ApprovalQueue,
    outbox: Arc<Outbox>,
    audit: AuditLog,
    latencies: PipelineLatencies,
    settings: Arc<PipelineSettings>,
    events: broadcast::Sender<PipelineEvent>,
    outbox_ready: Arc<Notify>,
}

impl QueueTask {
    pub fn open(
        db: &sled::Db,
        settings: Arc<PipelineSettings>,
        events: broadcast::Sender<PipelineEvent>,
        outbox_ready: Arc<Notify>,
    ) -> Result<Self, PipelineError> {
        let outbox = Outbox::open(db).map_err(|e| PipelineError::Storage(e.to_string()))?;
        let audit = AuditLog::open(db).map_err(|e| PipelineError::Storage(e.to_string()))?;
        let config = QueueConfig {
            auto_approve: settings.auto_approve,
            ..QueueConfig::default()
        };
        let mut queue = ApprovalQueue::new(config);
        let now = now_ms();
        let since = now.saturating_sub(DECISIONS_RESTORED_FOR_MS);
        let records = audit
            .records_between(since, u64::MAX)
            .map_err(|e| PipelineError::Storage(e.to_string()))?;
        let restored = restore_decisions(&mut queue, records, &outbox, now);
        if restored.decided > 0 {
            tracing::info!(
                decided = restored.decided,
                awaiting_delivery = restored.awaiting_delivery,
                "decisions made before the restart restored"
            );
        }
        Ok(Self {
            queue,
            outbox: Arc::new(outbox),
            audit,
            latencies: PipelineLatencies::new(4096),
            settings,
            events,
            outbox_ready,
        })
    }

    pub fn outbox(&self) -> Arc<Outbox> {
        self.outbox.clone()
    }

    pub async fn run(
        mut self,
        mut inputs: mpsc::Receiver<QueueInput>,
        mut commands: mpsc::Receiver<QueueCommand>,
        mut status: StatusInputs,
        cancel: CancellationToken,
    ) {
        let sweep_every = (self.settings.idle_timeout / 4).clamp(
            std::time::Duration::from_millis(100),
            std::time::Duration::from_secs(60),
        );
        let mut idle_sweep = tokio::time::interval(sweep_every);
        idle_sweep.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = cancel.cancelled() => break,
                _ = idle_sweep.tick() => self.expire_idle(),
                Some(input) = inputs.recv() => self.on_input(input),
                Some(command) = commands.recv() => self.on_command(command),
                Ok(()) = status.connection.changed() => {},
                Ok(()) = status.paused.changed() => {},
                Ok(()) = status.kb.changed() => {},
                else => break,
            }
            self.publish_status(&status);
        }
    }

    fn publish_status(&self, status: &StatusInputs) {
        let kb = status.kb.borrow().clone();
        status.out.send_replace(StatusSnapshot {
            connection: status.connection.borrow().clone(),
            paused: *status.paused.borrow(),
            pending_cards: self.queue.pending_count(),
            kb_articles: kb.articles,
            kb_fresh_as_of: kb.fresh_as_of,
            latency_event_to_queued: self.latencies.event_to_queued.stats(),
            latency_approved_to_delivered: self.latencies.approved_to_delivered.stats(),
        });
    }

    fn emit(&self, event: PipelineEvent) {
        // No receiver (e.g. window not open yet) is fine: the snapshot has everything.
        let _ = self.events.send(event);
    }

    fn on_input(&mut self, input: QueueInput) {
        let now = now_ms();
        match input {
            QueueInput::Suggestions(s) => self.on_suggestions(s, now),
            QueueInput::NoSuggestion {
                interaction_id,
                reason,
            } => {
                self.queue
                    .note_no_suggestion(&interaction_id, Some(reason.clone()), now);
                self.emit(PipelineEvent::NoSuggestion {
                    interaction_id,
                    reason,
                });
            }
            QueueInput::Ended {
                interaction_id,
                state,
            } => {
                let expired = self.queue.expire_interaction(&interaction_id, &state, now);
                self.after_transitions(&expired);
                self.emit(PipelineEvent::InteractionEnded {
                    interaction_id,
                    state,
                });
            }
        }
    }

    fn on_suggestions(&mut self, s: Suggestions, now: u64) {
        let context = pii::redact(&s.window).into_owned();
        self.queue
            .note_context(&s.interaction_id, context.clone(), now);
        let fresh: Vec<_> = s
            .candidates
            .iter()
            .filter(|(article, ranked)| {
                let content = CardContent::from_article(article, ranked.scores.fused);
                !self
                    .queue
                    .knows_card(&s.interaction_id, &article.id, &content, &ranked.also_in)
            })
            .take(self.settings.top_k)
            .collect();
        let best = fresh.first().map(|(_, ranked)| ranked.scores.fused);
        let cards: Vec<SuggestedCard> = fresh
            .iter()
            .filter(|(_, ranked)| ranked.scores.fused >= self.settings.min_score)
            .map(|(article, ranked)| SuggestedCard {
                article_id: article.id.clone(),
                article_url: article.url.clone(),
                article_updated_at: article.updated_at.clone(),
                content: CardContent::from_article(article, ranked.scores.fused),
                scores: ranked.scores,
                also_in: ranked.also_in.clone(),
                key_phrases: s.key_phrases.clone(),
                context: context.clone(),
                event_received_ms: s.received_ms,
            })
            .collect();
        if cards.is_empty() {
            // Everything relevant was already suggested: nothing new to say.
            let reason = match best {
                Some(best) => format!(
                    "no suggestion: best {best:.2} < {:.2}",
                    self.settings.min_score
                ),
                None if s.candidates.is_empty() => "no suggestion: no article matched".to_string(),
                None => return,
            };
            self.queue
                .note_no_suggestion(&s.interaction_id, Some(reason.clone()), now);
            self.emit(PipelineEvent::NoSuggestion {
                interaction_id: s.interaction_id,
                reason,
            });
            return;
        }
        let queued = self.queue.add_suggestions(&s.interaction_id, cards, now);
        let elapsed_ms = s.received_at.elapsed().as_secs_f64() * 1000.0;
        for card in &queued {
            self.latencies.event_to_queued.record_ms(elapsed_ms);
            self.audit_record(&AuditRecord::suggested(card));
            self.emit(PipelineEvent::CardQueued {
                interaction_id: card.interaction_id.clone(),
                card: Box::new(card.clone()),
            });
        }
        for action in self.queue.auto_actions(&queued) {
            let who = crate::queue::AUTO_APPROVE_ACTOR;
            let card_id = match &action {
                CardAction::Approve { card_id } => card_id.clone(),
                _ => String::new(),
            };
            if let Err(error) = self.act(action, who) {
                tracing::warn!(%error, %card_id, "auto-approval failed");
                if let PipelineError::Storage(reason) = error {
                    self.emit(PipelineEvent::ApprovalNotSaved {
                        interaction_id: s.interaction_id.clone(),
                        card_id,
                        reason,
                    });
                }
            }
        }
    }

    /// Ends the calls the extract stage no longer reports on (e.g. restored after a restart, then silent).
    fn expire_idle(&mut self) {
        let idle_ms = u64::try_from(self.settings.idle_timeout.as_millis()).unwrap_or(u64::MAX);
        let (ended, expired) = self.queue.expire_idle(now_ms(), idle_ms, IDLE_STATE);
        self.after_transitions(&expired);
        for interaction_id in ended {
            self.emit(PipelineEvent::InteractionEnded {
                interaction_id,
                state: IDLE_STATE.to_string(),
            });
        }
    }

    fn on_command(&mut self, command: QueueCommand) {
        match command {
            QueueCommand::Snapshot { reply } => {
                let _ = reply.send(self.queue.snapshot());
            }
            QueueCommand::Act { action, who, reply } => {
                let _ = reply.send(self.act(action, &who));
            }
            QueueCommand::Delivery {
                interaction_id,
                card_id,
                delivery,
            } => self.on_delivery(interaction_id, card_id, delivery),
        }
    }

    fn act(&mut self, action: CardAction, who: &str) -> Result<(), PipelineError> {
        match apply_durably(&mut self.queue, &self.outbox, &action, who, now_ms()) {
            Ok(transitions) => {
                self.after_transitions(&transitions);
                Ok(())
            }
            Err(ApplyError::Invalid(error)) => Err(map_queue_error(error)),
            Err(ApplyError::Storage { committed, source }) => {
                self.after_transitions(&committed);
                Err(PipelineError::Storage(source.to_string()))
            }
        }
    }

    fn after_transitions(&mut self, transitions: &[Transition]) {
        for t in transitions {
            if let Some(card) = self.queue.card(&t.card_id) {
                self.audit_record(&AuditRecord::decided(card, t));
            }
            self.emit(t.event());
        }
        if transitions.iter().any(Transition::is_approval) {
            self.outbox_ready.notify_one();
        }
    }

    fn on_delivery(&mut self, interaction_id: String, card_id: String, delivery: Delivery) {
        let now = now_ms();
        let card = self
            .queue
            .set_delivery(&card_id, delivery.clone(), now)
            .ok();
        let event = match delivery {
            Delivery::Sent => {
                let latency_ms = card
                    .as_ref()
                    .and_then(|c| {
                        Some(
                            c.timings
                                .delivered_ms?
                                .saturating_sub(c.timings.decided_ms?),
                        )
                    })
                    .unwrap_or(0);
                if let Some(card) = &card {
                    self.latencies.card_delivered(&card.timings);
                }
                PipelineEvent::CardDelivered {
                    interaction_id,
                    card_id,
                    latency_ms,
                }
            }
            Delivery::Retrying { attempt, reason } => PipelineEvent::CardRetrying {
                interaction_id,
                card_id,
                attempt,
                reason,
            },
            Delivery::Failed { reason } => PipelineEvent::CardFailed {
                interaction_id,
                card_id,
                reason,
            },
            Delivery::Queued | Delivery::None => return,
        };
        self.emit(event);
    }

    fn audit_record(&self, record: &AuditRecord) {
        if let Err(error) = self.audit.record(record) {
            tracing::error!(%error, "audit record not stored");
        }
    }
}

fn map_queue_error(error: QueueError) -> PipelineError {
    match error {
        QueueError::UnknownCard(id) | QueueError::NotApproved(id) => PipelineError::UnknownCard(id),
        QueueError::UnknownInteraction(id) => PipelineError::UnknownCard(id),
        QueueError::AlreadyDecided { card_id, .. } => PipelineError::AlreadyDecided(card_id),
        QueueError::EmptyTitle | QueueError::EmptyBody => {
            PipelineError::InvalidEdit(error.to_string())
        }
    }
}
