//! The extract stage's key phrases never carry PII: they are shown on the card (window and headless stdout).

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

use super::ExtractStage;
use crate::domain::{ActiveInteraction, Article, InteractionEvent};
use crate::kb::{HnswParams, KbHandle, KbSnapshot};
use crate::nlp::{EmbedError, Embedder};
use crate::pipeline::settings::PipelineSettings;
use crate::pipeline::{QueueInput, StageCounters};

/// The same unit vector for every text: retrieval works, no model needed.
struct Constant;

impl Embedder for Constant {
    fn model_name(&self) -> &str {
        "constant"
    }
    fn dim(&self) -> usize {
        4
    }
    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        Ok(texts.iter().map(|_| vec![1.0, 0.0, 0.0, 0.0]).collect())
    }
}

fn snapshot() -> KbSnapshot {
    let article = Article {
        id: "KB-1".into(),
        title: "Update the card on file".into(),
        content: "Replace the payment card on the account from Billing.".into(),
        url: None,
        updated_at: None,
    };
    KbSnapshot::build(
        vec![(article, vec![1.0, 0.0, 0.0, 0.0])],
        4,
        HnswParams::default(),
    )
    .unwrap_or_else(|e| panic!("snapshot: {e}"))
}

#[tokio::test]
async fn key_phrases_bypass_pii_redaction_card_and_ssn_never_in_key_phrases() {
    let (events_tx, events_rx) = mpsc::channel(8);
    let (out_tx, mut out_rx) = mpsc::channel(8);
    let (_paused_tx, paused) = watch::channel(false);
    let stage = ExtractStage {
        embedder: Arc::new(Constant),
        kb: Arc::new(KbHandle::new(snapshot())),
        settings: Arc::new(PipelineSettings {
            debounce: Duration::from_millis(5),
            max_wait: Duration::from_millis(20),
            ..Default::default()
        }),
        out: out_tx,
        paused,
        counters: Arc::new(StageCounters::default()),
    };
    let cancel = CancellationToken::new();
    let task = tokio::spawn(stage.run(events_rx, cancel.clone()));
    let transcript = "Customer: my card is 4111111111111111, social 123-45-6789, order ORD-558120";
    let event = InteractionEvent::Active(ActiveInteraction {
        interaction_id: "ix-1".into(),
        channels: vec![transcript.into()],
    });
    events_tx
        .send(event)
        .await
        .unwrap_or_else(|_| panic!("stage gone"));
    let input = tokio::time::timeout(Duration::from_secs(10), out_rx.recv()).await;
    cancel.cancel();
    let _ = task.await;
    let Ok(Some(QueueInput::Suggestions(suggestions))) = input else {
        panic!("no suggestions from the stage");
    };
    let phrases = suggestions.key_phrases.join(" | ");
    for secret in ["4111111111111111", "123-45-6789", "4111", "6789"] {
        assert!(
            !phrases.contains(secret),
            "{secret} in key phrases: {phrases}"
        );
    }
    for placeholder in ["CARD", "SSN", "[", "]"] {
        assert!(
            !phrases.contains(placeholder),
            "{placeholder} in key phrases: {phrases}"
        );
    }
    // Identifiers that are not PII are still kept verbatim.
    assert!(phrases.contains("ORD-558120"), "{phrases}");
    // The raw window still travels to the queue (redacted there before it is shown or stored).
    assert!(suggestions.window.contains("4111111111111111"));
}
