//! `POST /api/v2/interactions/{id}/assist`: validates the seed's card payload, records
//! each card once per `Idempotency-Key`, and plays the 429/503 faults.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use crate::faults::AssistFailure;
use crate::state::{unix_millis, ReceivedCard, SharedState};
use crate::token::{authorize, error_response};

/// The header clients use to make a POST safe to repeat.
const IDEMPOTENCY_KEY: &str = "idempotency-key";

/// One validated card of the payload.
struct CardMessage {
    title: String,
    body: String,
    score: f64,
}

/// Parses `{"messages":[{"type":"card","content":{"title","body","score"}}, ...]}`.
fn parse_cards(body: &[u8]) -> Result<Vec<CardMessage>, String> {
    let value: Value =
        serde_json::from_slice(body).map_err(|e| format!("body is not JSON: {e}"))?;
    let messages = value
        .get("messages")
        .and_then(Value::as_array)
        .ok_or("missing \"messages\" array")?;
    if messages.is_empty() {
        return Err("\"messages\" is empty".to_owned());
    }
    messages
        .iter()
        .enumerate()
        .map(|(i, m)| parse_card(i, m))
        .collect()
}

fn parse_card(index: usize, message: &Value) -> Result<CardMessage, String> {
    if message.get("type").and_then(Value::as_str) != Some("card") {
        return Err(format!("messages[{index}].type must be \"card\""));
    }
    let content = message
        .get("content")
        .ok_or_else(|| format!("messages[{index}].content is missing"))?;
    let text = |field: &str| {
        content
            .get(field)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| format!("messages[{index}].content.{field} must be a string"))
    };
    let score = content
        .get("score")
        .and_then(Value::as_f64)
        .ok_or_else(|| format!("messages[{index}].content.score must be a number"))?;
    Ok(CardMessage {
        title: text("title")?,
        body: text("body")?,
        score,
    })
}

/// The fault's answer; a `Retry-After` it carries opens the window in which any assist POST counts as early.
fn failure_response(state: &SharedState, failure: AssistFailure) -> Response {
    let (status, error, retry_after_secs) = match failure {
        AssistFailure::RateLimited { retry_after_secs } => (
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            Some(retry_after_secs),
        ),
        AssistFailure::Unavailable { retry_after_secs } => (
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            retry_after_secs,
        ),
    };
    let mut response = error_response(status, error);
    if let Some(secs) = retry_after_secs {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, secs.into());
        let until = unix_millis().saturating_add(secs.saturating_mul(1000));
        let mut log = state.assist_log();
        log.retry_window_until_ms = log.retry_window_until_ms.max(until);
    }
    response
}

/// Counts a POST that arrived inside an announced `Retry-After` window.
fn count_if_early(state: &SharedState) {
    let early = unix_millis() < state.assist_log().retry_window_until_ms;
    if early {
        state.stats().assist_early_requests += 1;
    }
}

/// `POST /api/v2/interactions/{id}/assist` (bearer with `assist:write`).
pub(crate) async fn post_assist(
    State(state): State<Arc<SharedState>>,
    Path(interaction_id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    state.stats().assist_posts += 1;
    count_if_early(&state);
    if let Err(refusal) = authorize(&state, &headers, "assist:write") {
        return refusal.into_response();
    }
    if let Some(failure) = state.faults.take_assist_failure() {
        tracing::debug!(?failure, "assist fault injected");
        return failure_response(&state, failure);
    }
    let cards = match parse_cards(&body) {
        Ok(cards) => cards,
        Err(detail) => {
            return (
                StatusCode::BAD_REQUEST,
                Json(json!({"error": "invalid_request", "detail": detail})),
            )
                .into_response()
        }
    };
    let key = headers
        .get(IDEMPOTENCY_KEY)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    record(&state, &interaction_id, key, cards);
    Json(json!({"status": "ok"})).into_response()
}

/// Stores the cards unless the idempotency key was accepted before (then counts a duplicate).
fn record(state: &SharedState, interaction_id: &str, key: Option<String>, cards: Vec<CardMessage>) {
    let duplicate = {
        let mut log = state.assist_log();
        let duplicate = key
            .as_ref()
            .is_some_and(|k| !log.accepted_keys.insert(k.clone()));
        if !duplicate {
            let received_at_ms = unix_millis();
            log.cards.extend(cards.into_iter().map(|card| ReceivedCard {
                interaction_id: interaction_id.to_owned(),
                idempotency_key: key.clone(),
                title: card.title,
                body: card.body,
                score: card.score,
                received_at_ms,
            }));
        }
        duplicate
    };
    let mut stats = state.stats();
    stats.assist_accepted += 1;
    if duplicate {
        stats.duplicates_by_idempotency_key += 1;
        stats.repeated_keys.extend(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_seed_payload() {
        let body = br#"{"messages":[{"type":"card","content":{"title":"KB Result 1","body":"b","score":0.7}}]}"#;
        let cards = parse_cards(body).unwrap();
        assert_eq!(cards.len(), 1);
        assert_eq!(cards[0].title, "KB Result 1");
    }

    #[test]
    fn names_the_broken_field() {
        let cases: [(&[u8], &str); 5] = [
            (b"nope", "not JSON"),
            (br#"{"messages":[]}"#, "empty"),
            (br#"{"messages":[{"type":"text"}]}"#, "type"),
            (
                br#"{"messages":[{"type":"card","content":{"title":"t","body":"b","score":"x"}}]}"#,
                "score",
            ),
            (
                br#"{"messages":[{"type":"card","content":{"title":1,"body":"b","score":1}}]}"#,
                "title",
            ),
        ];
        for (body, needle) in cases {
            let err = parse_cards(body).err().unwrap();
            assert!(err.contains(needle), "{err}");
        }
    }
}
