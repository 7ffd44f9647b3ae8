//! The assist endpoint over real loopback HTTP: auth, validation, idempotency, and the
//! 429 / 503 / always-503 / HTTP-delay faults.

mod common;

use std::time::{Duration, Instant};

use common::*;
use cxone_sim::{FaultPatch, SimServer};
use serde_json::{json, Value};

fn assist_url(sim: &SimServer, id: &str) -> String {
    format!("{}/api/v2/interactions/{id}/assist", sim.base_url())
}

async fn post(sim: &SimServer, token: &str, key: Option<&str>, body: &Value) -> reqwest::Response {
    let mut request = http()
        .post(assist_url(sim, "conv-1"))
        .bearer_auth(token)
        .json(body);
    if let Some(key) = key {
        request = request.header("Idempotency-Key", key);
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn accepted_cards_are_recorded_in_order() {
    let sim = start().await;
    let token = token(&sim, "assist:write").await;
    let body = json!({"messages": [
        {"type": "card", "content": {"title": "A", "body": "a", "score": 0.9}},
        {"type": "card", "content": {"title": "B", "body": "b", "score": 1}},
    ]});
    let response = post(&sim, &token, Some("k1"), &body).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({"status": "ok"})
    );
    let cards = sim.received_cards();
    assert_eq!(
        cards.iter().map(|c| c.title.as_str()).collect::<Vec<_>>(),
        ["A", "B"]
    );
    assert_eq!(cards[0].interaction_id, "conv-1");
    assert_eq!(cards[0].idempotency_key.as_deref(), Some("k1"));
    assert_eq!(cards[1].score, 1.0);
    assert!(cards[0].received_at_ms > 0);
}

#[tokio::test]
async fn repeated_idempotency_key_is_a_counted_duplicate() {
    let sim = start().await;
    let token = token(&sim, "assist:write").await;
    for _ in 0..3 {
        assert_eq!(
            post(&sim, &token, Some("same"), &card_payload("A"))
                .await
                .status(),
            200
        );
    }
    assert_eq!(
        post(&sim, &token, None, &card_payload("B")).await.status(),
        200
    );
    assert_eq!(
        post(&sim, &token, None, &card_payload("B")).await.status(),
        200
    );
    let stats = sim.stats();
    assert_eq!(
        (
            stats.assist_posts,
            stats.assist_accepted,
            stats.duplicates_by_idempotency_key
        ),
        (5, 5, 2)
    );
    assert_eq!(stats.repeated_keys, ["same", "same"]);
    assert_eq!(sim.received_cards().len(), 3, "one A, two keyless B");
}

#[tokio::test]
async fn refuses_bad_tokens_and_missing_scope() {
    let sim = start().await;
    assert_eq!(
        post(&sim, "bogus", None, &card_payload("A")).await.status(),
        401
    );
    let no_auth = http()
        .post(assist_url(&sim, "c"))
        .json(&card_payload("A"))
        .send()
        .await
        .unwrap();
    assert_eq!(no_auth.status(), 401);
    let read_only = token(&sim, "interactions:read").await;
    let response = post(&sim, &read_only, None, &card_payload("A")).await;
    assert_eq!(response.status(), 403);
    assert_eq!(
        response.json::<Value>().await.unwrap()["error"],
        "insufficient_scope"
    );
    let good = token(&sim, "assist:write").await;
    sim.faults().expire_tokens_now();
    assert_eq!(
        post(&sim, &good, None, &card_payload("A")).await.status(),
        401
    );
    assert!(sim.received_cards().is_empty());
}

#[tokio::test]
async fn malformed_payloads_are_400_with_an_error() {
    let sim = start().await;
    let token = token(&sim, "assist:write").await;
    let bad = [
        json!({}),
        json!({"messages": []}),
        json!({"messages": [{"type": "text", "content": {"title": "t", "body": "b", "score": 1}}]}),
        json!({"messages": [{"type": "card", "content": {"title": "t", "body": "b"}}]}),
    ];
    for body in bad {
        let response = post(&sim, &token, None, &body).await;
        assert_eq!(response.status(), 400, "{body}");
        let error: Value = response.json().await.unwrap();
        assert_eq!(error["error"], "invalid_request");
        assert!(error["detail"].is_string());
    }
    assert!(sim.received_cards().is_empty());
}

#[tokio::test]
async fn next_n_posts_get_429_with_retry_after() {
    let sim = start().await;
    let token = token(&sim, "assist:write").await;
    sim.faults().assist_429_next(2, 7);
    for _ in 0..2 {
        let response = post(&sim, &token, Some("k"), &card_payload("A")).await;
        assert_eq!(response.status(), 429);
        assert_eq!(response.headers()["retry-after"], "7");
    }
    assert_eq!(
        post(&sim, &token, Some("k"), &card_payload("A"))
            .await
            .status(),
        200
    );
    assert_eq!(
        sim.received_cards().len(),
        1,
        "refused posts do not consume the key"
    );
}

#[tokio::test]
async fn next_n_posts_get_503_then_recover() {
    let sim = start().await;
    let token = token(&sim, "assist:write").await;
    sim.faults().assist_503_next(1);
    assert_eq!(
        post(&sim, &token, None, &card_payload("A")).await.status(),
        503
    );
    assert_eq!(
        post(&sim, &token, None, &card_payload("A")).await.status(),
        200
    );
}

#[tokio::test]
async fn always_503_until_cleared() {
    let sim = start().await;
    let token = token(&sim, "assist:write").await;
    sim.faults().set_assist_always_503(true);
    for _ in 0..3 {
        assert_eq!(
            post(&sim, &token, None, &card_payload("A")).await.status(),
            503
        );
    }
    sim.faults().set_assist_always_503(false);
    assert_eq!(
        post(&sim, &token, None, &card_payload("A")).await.status(),
        200
    );
    let stats = sim.stats();
    assert_eq!((stats.assist_posts, stats.assist_accepted), (4, 1));
}

#[tokio::test]
async fn http_delay_holds_answers_back() {
    let sim = start().await;
    let token = token(&sim, "assist:write").await;
    sim.faults().set_http_delay(Duration::from_millis(250));
    let started = Instant::now();
    assert_eq!(
        post(&sim, &token, None, &card_payload("A")).await.status(),
        200
    );
    assert!(
        started.elapsed() >= Duration::from_millis(250),
        "answer came before the delay"
    );
    sim.faults().set_http_delay(Duration::ZERO);
    assert_eq!(sim.faults().snapshot().http_delay_ms, 0);
}

#[tokio::test]
async fn assist_faults_via_control_api() {
    let sim = start().await;
    let token = token(&sim, "assist:write").await;
    let patch = FaultPatch {
        assist_429_next: Some(1),
        retry_after_secs: Some(3),
        assist_503_next: Some(1),
        ..FaultPatch::default()
    };
    http()
        .post(format!("{}/_sim/faults", sim.base_url()))
        .json(&patch)
        .send()
        .await
        .unwrap();
    let limited = post(&sim, &token, None, &card_payload("A")).await;
    assert_eq!(
        (
            limited.status().as_u16(),
            limited.headers()["retry-after"].to_str().unwrap()
        ),
        (429, "3")
    );
    assert_eq!(
        post(&sim, &token, None, &card_payload("A")).await.status(),
        503
    );
    let always = FaultPatch {
        assist_always_503: Some(true),
        http_delay_ms: Some(1),
        ..FaultPatch::default()
    };
    http()
        .post(format!("{}/_sim/faults", sim.base_url()))
        .json(&always)
        .send()
        .await
        .unwrap();
    assert_eq!(
        post(&sim, &token, None, &card_payload("A")).await.status(),
        503
    );
    let reset = FaultPatch {
        reset: true,
        ..FaultPatch::default()
    };
    http()
        .post(format!("{}/_sim/faults", sim.base_url()))
        .json(&reset)
        .send()
        .await
        .unwrap();
    assert_eq!(
        post(&sim, &token, None, &card_payload("A")).await.status(),
        200
    );
}
