//! Stage 2: interaction events → query (recent-turn window + key phrases + embedding) → ranked articles.
//!
//! Back-pressure by coalescing: events are drained into a map keyed by interaction, so a burst of updates
//! for one call costs one retrieval (the latest transcript wins), and memory is bounded by the number of
//! tracked interactions, not by the number of events. Each tracked interaction keeps a
//! [`Conversation`] so the query window can be limited by turns and by age. CPU work runs in
//! `spawn_blocking`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, watch};
use tokio::time::Instant as TokioInstant;
use tokio_util::sync::CancellationToken;

use super::settings::PipelineSettings;
use super::QueueInput;
use super::StageCounters;
use crate::domain::{Article, InteractionEvent, RankedArticle};
use crate::interaction::{Conversation, WindowConfig};
use crate::kb::KbHandle;
use crate::nlp::{keyphrases, Embedder};

/// An interaction the stage tracks: its turns, and whether an update waits for its debounce.
struct Tracked {
    conversation: Conversation,
    last_update: TokioInstant,
    /// The last event for this call, changed or not (idle expiry).
    last_seen: TokioInstant,
    pending: Option<PendingUpdate>,
}

/// The state the queue is told when a call is dropped for silence.
pub const IDLE_STATE: &str = "idle";

/// A transcript update waiting for its debounce to elapse.
#[derive(Clone, Copy)]
struct PendingUpdate {
    first_unprocessed: TokioInstant,
    last_update: TokioInstant,
    received_ms: u64,
}

/// What one processed update produced, handed to the queue.
#[derive(Debug, Clone)]
pub struct Suggestions {
    pub interaction_id: String,
    pub received_ms: u64,
    /// When processing started (after the debounce), for the event → queued latency.
    pub received_at: Instant,
    /// The window the query was built from (not yet redacted).
    pub window: String,
    pub key_phrases: Vec<String>,
    /// Best first; more than `top_k` so the queue can skip articles already suggested. Duplicate articles are
    /// already collapsed (`RankedArticle::also_in`).
    pub candidates: Candidates,
}

pub(crate) struct ExtractStage {
    pub embedder: Arc<dyn Embedder>,
    pub kb: Arc<KbHandle>,
    pub settings: Arc<PipelineSettings>,
    pub out: mpsc::Sender<QueueInput>,
    /// While `true`, active transcripts are dropped (suggestions paused from the tray).
    pub paused: watch::Receiver<bool>,
    pub counters: Arc<StageCounters>,
}

impl ExtractStage {
    pub async fn run(self, mut rx: mpsc::Receiver<InteractionEvent>, cancel: CancellationToken) {
        let mut tracked: HashMap<String, Tracked> = HashMap::new();
        let sweep_every = (self.settings.idle_timeout / 4)
            .clamp(Duration::from_millis(100), Duration::from_secs(60));
        let mut sweep = tokio::time::interval(sweep_every);
        sweep.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let due = self.next_due(&tracked);
            tokio::select! {
                _ = cancel.cancelled() => break,
                _ = sweep.tick() => {
                    if !self.expire_idle(&mut tracked).await { return; }
                }
                ev = rx.recv() => match ev {
                    Some(ev) => {
                        if !self.absorb(ev, &mut tracked).await { break; }
                        while let Ok(ev) = rx.try_recv() {
                            if !self.absorb(ev, &mut tracked).await { return; }
                        }
                    }
                    None => break,
                },
                _ = sleep_until_opt(due) => {
                    let now = TokioInstant::now();
                    let ready: Vec<String> = tracked
                        .iter()
                        .filter(|(_, t)| t.pending.is_some_and(|p| self.is_due(&p, now)))
                        .map(|(id, _)| id.clone())
                        .collect();
                    for id in ready {
                        let Some(t) = tracked.get_mut(&id) else { continue };
                        let Some(update) = t.pending.take() else { continue };
                        let window = t.conversation.window_text(&self.window_config(), now.into_std());
                        if !self.process(id, update, window).await { return; }
                    }
                }
            }
        }
    }

    /// Stops tracking calls without an event for `idle_timeout` (their `ended` frame was lost) and tells the queue
    /// they ended; `false` when the queue is gone.
    async fn expire_idle(&self, tracked: &mut HashMap<String, Tracked>) -> bool {
        let now = TokioInstant::now();
        let idle: Vec<String> = tracked
            .iter()
            .filter(|(_, t)| now.duration_since(t.last_seen) >= self.settings.idle_timeout)
            .map(|(id, _)| id.clone())
            .collect();
        if idle.is_empty() {
            return true;
        }
        tracing::info!(calls = idle.len(), timeout = ?self.settings.idle_timeout, "calls without events expired");
        for interaction_id in idle {
            tracked.remove(&interaction_id);
            let ended = QueueInput::Ended {
                interaction_id,
                state: IDLE_STATE.to_string(),
            };
            if self.out.send(ended).await.is_err() {
                return false;
            }
        }
        self.counters.set_tracked(tracked.len());
        true
    }

    /// Folds one event into the pending map; `false` when the queue is gone.
    async fn absorb(&self, ev: InteractionEvent, tracked: &mut HashMap<String, Tracked>) -> bool {
        self.counters.event_received();
        let keep_going = self.absorb_event(ev, tracked).await;
        self.counters.set_tracked(tracked.len());
        keep_going
    }

    async fn absorb_event(
        &self,
        ev: InteractionEvent,
        tracked: &mut HashMap<String, Tracked>,
    ) -> bool {
        match ev {
            InteractionEvent::Active(_) if *self.paused.borrow() => true,
            InteractionEvent::Active(active) => {
                let transcript = active.transcript();
                if transcript.is_empty() {
                    return true;
                }
                let now = TokioInstant::now();
                let id = active.interaction_id;
                if !tracked.contains_key(&id)
                    && tracked.len() >= self.settings.max_tracked_interactions
                {
                    evict_oldest(tracked);
                }
                let entry = tracked.entry(id).or_insert_with(|| Tracked {
                    conversation: Conversation::new(),
                    last_update: now,
                    last_seen: now,
                    pending: None,
                });
                entry.last_seen = now;
                if entry
                    .conversation
                    .update_transcript(&transcript, now.into_std())
                {
                    entry.last_update = now;
                    if entry.pending.is_some() {
                        self.counters.update_coalesced();
                    }
                    let pending = entry.pending.get_or_insert(PendingUpdate {
                        first_unprocessed: now,
                        last_update: now,
                        received_ms: super::now_ms(),
                    });
                    pending.last_update = now;
                }
                true
            }
            InteractionEvent::Ended {
                interaction_id,
                state,
            } => {
                tracked.remove(&interaction_id);
                self.out
                    .send(QueueInput::Ended {
                        interaction_id,
                        state,
                    })
                    .await
                    .is_ok()
            }
        }
    }

    fn is_due(&self, p: &PendingUpdate, now: TokioInstant) -> bool {
        now >= p.last_update + self.settings.debounce
            || now >= p.first_unprocessed + self.settings.max_wait
    }

    fn window_config(&self) -> WindowConfig {
        WindowConfig {
            max_turns: Some(self.settings.window_turns),
            max_age: self.settings.window_max_age,
        }
    }

    fn next_due(&self, tracked: &HashMap<String, Tracked>) -> Option<TokioInstant> {
        tracked
            .values()
            .filter_map(|t| t.pending)
            .map(|p| {
                (p.last_update + self.settings.debounce)
                    .min(p.first_unprocessed + self.settings.max_wait)
            })
            .min()
    }

    /// Builds the query and retrieves; `false` when the queue is gone.
    async fn process(&self, interaction_id: String, update: PendingUpdate, window: String) -> bool {
        // Latency is measured from here: the deliberate debounce wait is configuration, not processing time.
        let started = Instant::now();
        self.counters.retrieval_started();
        let embedder = self.embedder.clone();
        let snapshot = self.kb.snapshot();
        if snapshot.is_empty() {
            let input = QueueInput::NoSuggestion {
                interaction_id,
                reason: "no suggestion: the knowledge base is empty (first sync still running?)"
                    .into(),
            };
            return self.out.send(input).await.is_ok();
        }
        let settings = self.settings.clone();
        let query_window = window.clone();
        let result = tokio::task::spawn_blocking(move || {
            retrieve_for_window(embedder.as_ref(), &snapshot, &settings, &query_window)
        })
        .await;
        let (key_phrases, candidates) = match result {
            Ok(Ok(found)) => found,
            Ok(Err(reason)) => {
                tracing::warn!(%interaction_id, %reason, "retrieval failed");
                let input = QueueInput::NoSuggestion {
                    interaction_id,
                    reason,
                };
                return self.out.send(input).await.is_ok();
            }
            Err(join) => {
                tracing::error!(%interaction_id, error = %join, "retrieval task panicked");
                return true;
            }
        };
        let suggestions = Suggestions {
            interaction_id,
            received_ms: update.received_ms,
            received_at: started,
            window,
            key_phrases,
            candidates,
        };
        self.out
            .send(QueueInput::Suggestions(suggestions))
            .await
            .is_ok()
    }
}

/// Ranked articles with their per-leg scores and collapsed duplicates, best first.
pub type Candidates = Vec<(Article, RankedArticle)>;

/// Key phrases + embedding + hybrid retrieval for one query window (blocking).
pub(crate) fn retrieve_for_window(
    embedder: &dyn Embedder,
    snapshot: &crate::kb::KbSnapshot,
    settings: &PipelineSettings,
    window: &str,
) -> Result<(Vec<String>, Candidates), String> {
    // Key phrases are shown on the card (window, headless stdout): extract them from the redacted text, so a
    // card number or SSN never becomes an identifier phrase. The embedding and the exact-id leg read `window`.
    let redacted = crate::pii::redact(window);
    let phrases =
        keyphrases::extract_keyphrases(&redacted, &keyphrases::KeyPhraseOptions::default());
    let bm25_query = keyphrases::query_text(&phrases);
    let vectors = embedder.embed(&[window]).map_err(|e| e.to_string())?;
    let query_vec = vectors
        .into_iter()
        .next()
        .ok_or("the embedder returned no vector")?;
    let mut params = crate::kb::RetrieveParams {
        top_n: settings.top_k * 4,
        ..Default::default()
    };
    params.weights.dense = settings.dense_weight;
    params.weights.bm25 = settings.bm25_weight;
    let ranked = crate::kb::retrieve(snapshot, &query_vec, &bm25_query, window, &params);
    let candidates = ranked
        .into_iter()
        .filter_map(|r| {
            snapshot
                .article(&r.article_id)
                .map(|a| (a.clone(), r.clone()))
        })
        .collect();
    Ok((phrases.into_iter().map(|p| p.text).collect(), candidates))
}

fn evict_oldest(tracked: &mut HashMap<String, Tracked>) {
    if let Some(oldest) = tracked
        .iter()
        .min_by_key(|(_, t)| t.last_update)
        .map(|(id, _)| id.clone())
    {
        tracing::debug!(interaction_id = %oldest, "dropping the least recently updated interaction");
        tracked.remove(&oldest);
    }
}

async fn sleep_until_opt(due: Option<TokioInstant>) {
    match due {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod key_phrase_tests;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ActiveInteraction;
    use crate::kb::{HnswParams, KbSnapshot};
    use crate::nlp::EmbedError;

    /// Never called: the KB is empty, so every update ends as "no suggestion" without embedding.
    struct NoEmbedder;

    impl Embedder for NoEmbedder {
        fn model_name(&self) -> &str {
            "none"
        }
        fn dim(&self) -> usize {
            4
        }
        fn embed(&self, _: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
            unreachable!("the KB is empty")
        }
    }

    /// Traced in the code: a call whose `ended` frame is lost stayed tracked (and queued) for ever; 10k such calls.
    #[tokio::test(start_paused = true)]
    async fn calls_without_events_are_expired_after_the_idle_timeout() {
        let idle_timeout = Duration::from_secs(30 * 60);
        let settings = PipelineSettings {
            idle_timeout,
            max_tracked_interactions: 20_000,
            ..PipelineSettings::default()
        };
        let (out, mut queue_rx) = mpsc::channel(64);
        let (_paused_tx, paused) = watch::channel(false);
        let counters = Arc::new(StageCounters::default());
        let empty = KbSnapshot::build(Vec::new(), 4, HnswParams::default()).expect("empty KB");
        let stage = ExtractStage {
            embedder: Arc::new(NoEmbedder),
            kb: Arc::new(KbHandle::new(empty)),
            settings: Arc::new(settings),
            out,
            paused,
            counters: Arc::clone(&counters),
        };
        let (events, rx) = mpsc::channel(256);
        let cancel = CancellationToken::new();
        let task = tokio::spawn(stage.run(rx, cancel.clone()));
        let calls = 10_000;
        let feeder = tokio::spawn(async move {
            for n in 0..calls {
                let event = InteractionEvent::Active(ActiveInteraction {
                    interaction_id: format!("call-{n}"),
                    channels: vec![format!("Customer: my order number {n} is late")],
                });
                events.send(event).await.expect("stage alive");
            }
            events // kept open: no `ended` frame, no end of stream
        });
        let (mut ended, mut other) = (0usize, 0usize);
        let mut peak = 0;
        while ended < calls {
            match tokio::time::timeout(idle_timeout * 2, queue_rx.recv()).await {
                Ok(Some(QueueInput::Ended { state, .. })) if state == IDLE_STATE => ended += 1,
                Ok(Some(_)) => other += 1,
                Ok(None) => panic!("the stage stopped"),
                Err(_) => panic!("only {ended} of {calls} idle calls were expired"),
            }
            peak = peak.max(counters.snapshot().tracked_interactions);
        }
        assert_eq!(
            other, calls,
            "each call was processed once (no suggestion: empty KB)"
        );
        assert_eq!(peak, calls as u64, "all were tracked before the timeout");
        assert_eq!(
            counters.snapshot().tracked_interactions,
            0,
            "none is tracked after it"
        );
        cancel.cancel();
        task.await.expect("stage ends");
        drop(feeder.await);
    }
}
