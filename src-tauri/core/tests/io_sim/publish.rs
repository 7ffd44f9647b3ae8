//! Assist publisher: retries only where they can help, Retry-After honoured, stable idempotency keys, 401 refresh.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use assist_core::auth::secrets::MemoryStore;
use assist_core::auth::{AuthError, TokenSource};
use assist_core::domain::CardContent;
use assist_core::publish::{
    deliver_with_retry, CardSink, EndpointPause, HttpCardSink, PublishError, RetryNotice,
    RetryPolicy,
};
use async_trait::async_trait;
use cxone_sim::{FaultPatch, SimServer};
use tokio::time::Instant;

use crate::common::*;

fn card() -> CardContent {
    CardContent {
        title: "Reset a router".into(),
        body: "**Reset a router**\nHold the button.".into(),
        score: 0.8,
    }
}

fn sink(sim: &SimServer, tokens: Arc<dyn TokenSource>) -> RecordingSink {
    RecordingSink {
        inner: HttpCardSink::new(reqwest::Client::new(), base_url(sim), tokens),
        keys: Mutex::default(),
    }
}

/// The real HTTP sink, recording the idempotency key of every attempt.
struct RecordingSink {
    inner: HttpCardSink,
    keys: Mutex<Vec<String>>,
}

#[async_trait]
impl CardSink for RecordingSink {
    async fn deliver(
        &self,
        interaction_id: &str,
        card: &CardContent,
        key: &str,
    ) -> Result<(), PublishError> {
        self.keys.lock().unwrap().push(key.to_owned());
        self.inner.deliver(interaction_id, card, key).await
    }
}

async fn deliver(sink: &RecordingSink, key: &str) -> (Result<u32, PublishError>, Vec<RetryNotice>) {
    let mut notices = Vec::new();
    let result = deliver_with_retry(
        sink,
        &RetryPolicy::default(),
        &EndpointPause::default(),
        "i-1",
        &card(),
        key,
        |n| notices.push(n.clone()),
    )
    .await;
    (result, notices)
}

#[tokio::test(start_paused = true)]
async fn rate_limit_waits_for_retry_after_and_keeps_the_key() {
    let sim = sim().await;
    fault(
        &sim,
        FaultPatch {
            assist_429_next: Some(2),
            retry_after_secs: Some(7),
            ..FaultPatch::default()
        },
    );
    let sink = sink(&sim, demo_tokens(&sim));
    let started = Instant::now();
    let (result, notices) = deliver(&sink, "key-1").await;
    assert_eq!(result, Ok(3));
    assert!(
        started.elapsed() >= Duration::from_secs(14),
        "waited 2 × Retry-After: {:?}",
        started.elapsed()
    );
    assert_eq!(
        notices.iter().map(|n| n.delay).collect::<Vec<_>>(),
        [Duration::from_secs(7); 2]
    );
    assert!(
        matches!(notices[0].error, PublishError::RateLimited { retry_after: Some(d) } if d == Duration::from_secs(7))
    );
    assert_eq!(*sink.keys.lock().unwrap(), ["key-1"; 3]);
    let cards = sim.received_cards();
    assert_eq!(cards.len(), 1);
    assert_eq!(cards[0].idempotency_key.as_deref(), Some("key-1"));
    assert_eq!(
        (cards[0].title.as_str(), cards[0].interaction_id.as_str()),
        ("Reset a router", "i-1")
    );
}

#[tokio::test(start_paused = true)]
async fn server_errors_are_retried_then_given_up() {
    let sim = sim().await;
    fault(
        &sim,
        FaultPatch {
            assist_503_next: Some(2),
            ..FaultPatch::default()
        },
    );
    let sink = sink(&sim, demo_tokens(&sim));
    let (result, notices) = deliver(&sink, "key-2").await;
    assert_eq!(result, Ok(3));
    assert!(notices.iter().all(|n| matches!(
        n.error,
        PublishError::Unavailable {
            status: 503,
            retry_after: None
        }
    )));
    fault(
        &sim,
        FaultPatch {
            assist_always_503: Some(true),
            ..FaultPatch::default()
        },
    );
    let (result, _) = deliver(&sink, "key-3").await;
    assert!(matches!(
        result,
        Err(PublishError::Unavailable { status: 503, .. })
    ));
    assert_eq!(
        sim.stats().assist_posts,
        3 + RetryPolicy::default().max_attempts as u64
    );
}

#[tokio::test]
async fn a_bad_request_is_not_retried() {
    let sim = sim().await;
    let sink = sink(&sim, demo_tokens(&sim));
    let bad = CardContent {
        score: f32::NAN,
        ..card()
    };
    let result = deliver_with_retry(
        &sink,
        &RetryPolicy::default(),
        &EndpointPause::default(),
        "i-1",
        &bad,
        "key-4",
        |_| panic!("no retry"),
    )
    .await;
    assert!(
        matches!(result, Err(PublishError::Rejected { status: 400, .. })),
        "{result:?}"
    );
    assert_eq!(sim.stats().assist_posts, 1);
}

#[tokio::test]
async fn a_resent_card_is_recognised_by_its_key() {
    let sim = sim().await;
    let sink = sink(&sim, demo_tokens(&sim));
    sink.deliver("i-1", &card(), "key-5").await.unwrap();
    sink.deliver("i-1", &card(), "key-5").await.unwrap();
    assert_eq!(sim.stats().duplicates_by_idempotency_key, 1);
    assert_eq!(sim.received_cards().len(), 1);
}

#[tokio::test]
async fn a_401_refreshes_the_token_once_and_retries() {
    let sim = sim().await;
    let tokens = demo_tokens(&sim);
    let sink = sink(&sim, tokens.clone());
    let before = tokens.token().await.unwrap();
    fault(
        &sim,
        FaultPatch {
            expire_tokens_now: true,
            ..FaultPatch::default()
        },
    );
    sink.deliver("i-1", &card(), "key-6").await.unwrap();
    assert_eq!(sim.stats().token_requests, 2);
    assert_eq!(sim.stats().assist_posts, 2);
    assert_ne!(tokens.token().await.unwrap().value, before.value);
}

#[tokio::test]
async fn missing_scope_and_bad_client_are_auth_errors() {
    let sim = sim().await;
    let mut narrow = settings(&sim);
    narrow.scopes = "knowledge:read".into();
    let sink_without_scope = sink(
        &sim,
        tokens_with(narrow, MemoryStore::with_client(CLIENT_ID, CLIENT_SECRET)),
    );
    let result = sink_without_scope.deliver("i-1", &card(), "k").await;
    assert!(
        matches!(result, Err(PublishError::Auth(AuthError::MissingScope(_)))),
        "{result:?}"
    );
    let bad_client = sink(
        &sim,
        tokens_with(settings(&sim), MemoryStore::with_client(CLIENT_ID, "nope")),
    );
    assert_eq!(
        bad_client.deliver("i-1", &card(), "k").await,
        Err(PublishError::Auth(AuthError::InvalidClient))
    );
}
