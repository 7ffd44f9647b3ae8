//! Playing scripted conversations as interaction events: one `active` event per turn
//! carrying the cumulative transcript, then one `ended` event.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use tokio::task::JoinHandle;

use crate::config::{Conversation, Turn};
use crate::state::SharedState;

/// `Customer: ...` / `Agent: ...` lines for `turns`, joined by newlines.
pub fn transcript(turns: &[Turn]) -> String {
    turns
        .iter()
        .map(|turn| format!("{}: {}", speaker_label(&turn.speaker), turn.text))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `customer` → `Customer`; other speakers get their first letter capitalised.
fn speaker_label(speaker: &str) -> String {
    let mut chars = speaker.trim().chars();
    match chars.next() {
        Some(first) => first
            .to_uppercase()
            .chain(chars.flat_map(char::to_lowercase))
            .collect(),
        None => "Unknown".to_owned(),
    }
}

/// The `active` event for an interaction with the given transcript so far.
pub fn active_event(interaction_id: &str, transcript: &str) -> Value {
    json!({
        "type": "interaction",
        "data": {
            "id": interaction_id,
            "state": "active",
            "channels": [{"type": "voice", "transcript": transcript}],
        }
    })
}

/// The `ended` event for an interaction.
pub fn ended_event(interaction_id: &str) -> Value {
    json!({
        "type": "interaction",
        "data": {"id": interaction_id, "state": "ended", "channels": []}
    })
}

/// Plays `conv` under `interaction_id`: one active event per turn, `turn_interval` apart, then ended.
pub(crate) async fn play(
    state: &SharedState,
    conv: &Conversation,
    interaction_id: &str,
    turn_interval: Duration,
) {
    tracing::debug!(
        interaction_id,
        turns = conv.turns.len(),
        "playing conversation"
    );
    for shown in 1..=conv.turns.len() {
        let event = active_event(interaction_id, &transcript(&conv.turns[..shown]));
        state.broadcast_event(event.to_string());
        tokio::time::sleep(turn_interval).await;
    }
    state.broadcast_event(ended_event(interaction_id).to_string());
}

/// Plays `convs` in order with `gap` between them, forever if `repeat` (later rounds use
/// ids `<id>-r<round>` so clients see new interactions); stops at simulator shutdown.
pub(crate) fn spawn_playlist(
    state: Arc<SharedState>,
    convs: Vec<Conversation>,
    turn_interval: Duration,
    gap: Duration,
    repeat: bool,
) -> JoinHandle<()> {
    let shutdown = state.shutdown.clone();
    tokio::spawn(async move {
        tokio::select! {
            _ = shutdown.cancelled() => {}
            _ = run_playlist(&state, &convs, turn_interval, gap, repeat) => {}
        }
    })
}

async fn run_playlist(
    state: &SharedState,
    convs: &[Conversation],
    turn_interval: Duration,
    gap: Duration,
    repeat: bool,
) {
    if convs.is_empty() {
        return;
    }
    let mut round = 1u64;
    loop {
        for conv in convs {
            let id = if round == 1 {
                conv.id.clone()
            } else {
                format!("{}-r{round}", conv.id)
            };
            play(state, conv, &id, turn_interval).await;
            tokio::time::sleep(gap).await;
        }
        if !repeat {
            return;
        }
        round += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn turn(speaker: &str, text: &str) -> Turn {
        Turn {
            speaker: speaker.into(),
            text: text.into(),
        }
    }

    #[test]
    fn transcript_labels_speakers() {
        let turns = [
            turn("customer", "my card was declined"),
            turn("AGENT", "let me check"),
        ];
        assert_eq!(
            transcript(&turns),
            "Customer: my card was declined\nAgent: let me check"
        );
    }

    #[test]
    fn events_have_the_seed_shape() {
        let active = active_event("c1", "Customer: hi");
        assert_eq!(active["data"]["state"], "active");
        assert_eq!(active["data"]["channels"][0]["transcript"], "Customer: hi");
        assert_eq!(ended_event("c1")["data"]["state"], "ended");
    }
}
