//! Events WebSocket: reconnects with fresh tokens, ping timeout, malformed and oversized frames, 401 at handshake.

use std::sync::Arc;
use std::time::Duration;

use assist_core::auth::TokenSource;
use assist_core::domain::InteractionEvent;
use assist_core::events::backoff::Backoff;
use assist_core::events::{ConnectionStatus, EventSource, EventStats, WsEventSource, WsSettings};
use cxone_sim::{FaultPatch, SimServer};
use serde_json::json;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use url::Url;

use crate::common::*;

struct Running {
    events: mpsc::Receiver<InteractionEvent>,
    status: watch::Receiver<ConnectionStatus>,
    stats: Arc<EventStats>,
    cancel: CancellationToken,
    task: JoinHandle<()>,
}

fn ws_settings(sim: &SimServer, ping: Duration, pong: Duration) -> WsSettings {
    WsSettings {
        url: Url::parse(&sim.events_url()).unwrap(),
        ping_interval: ping,
        pong_timeout: pong,
        connect_timeout: Duration::from_secs(5),
        max_frame_bytes: 1 << 20,
        backoff: Backoff::new(
            Duration::from_millis(10),
            Duration::from_millis(100),
            Duration::from_secs(1),
        ),
    }
}

fn start(settings: WsSettings, tokens: Arc<dyn TokenSource>) -> Running {
    let source = WsEventSource::new(settings, tokens);
    let stats = source.stats();
    let (tx, events) = mpsc::channel(16);
    let (status_tx, status) = watch::channel(ConnectionStatus::Stopped);
    let cancel = CancellationToken::new();
    let task = tokio::spawn(Box::new(source).run(tx, status_tx, cancel.clone()));
    Running {
        events,
        status,
        stats,
        cancel,
        task,
    }
}

/// Polls `check` until true; panics after 10 s (a hang, not a speed assertion).
async fn wait_until(what: &str, mut check: impl FnMut() -> bool) {
    for _ in 0..500 {
        if check() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("timed out waiting for {what}");
}

fn active(id: &str, text: &str) -> serde_json::Value {
    json!({"type":"interaction","data":{"id":id,"state":"active","channels":[{"type":"voice","transcript":text}]}})
}

async fn next_event(running: &mut Running) -> InteractionEvent {
    tokio::time::timeout(Duration::from_secs(10), running.events.recv())
        .await
        .expect("an event")
        .expect("stream open")
}

async fn stop(running: Running) {
    running.cancel.cancel();
    running.task.await.unwrap();
    assert_eq!(*running.status.borrow(), ConnectionStatus::Stopped);
}

#[tokio::test]
async fn reconnects_after_drops_with_a_new_token_each_time() {
    let sim = sim().await;
    // Tokens live 1 s (refreshed after 0.5 s), so every reconnect after a pause needs a new one.
    fault(
        &sim,
        FaultPatch {
            token_ttl_ms: Some(1000),
            ..FaultPatch::default()
        },
    );
    let mut running = start(
        ws_settings(&sim, Duration::from_secs(20), Duration::from_secs(10)),
        demo_tokens(&sim),
    );
    for round in 1..=3u64 {
        wait_until("a connection", || {
            sim.connected_clients() == 1 && sim.stats().ws_connections == round
        })
        .await;
        sim.send_event(active(&format!("i-{round}"), "hello"));
        assert!(
            matches!(next_event(&mut running).await, InteractionEvent::Active(a) if a.interaction_id == format!("i-{round}"))
        );
        tokio::time::sleep(Duration::from_millis(600)).await;
        fault(
            &sim,
            FaultPatch {
                drop_connections_now: true,
                ..FaultPatch::default()
            },
        );
    }
    wait_until("the fourth connection", || sim.stats().ws_connections == 4).await;
    let tokens = sim.stats().ws_handshake_tokens;
    let unique: std::collections::HashSet<&String> = tokens.iter().collect();
    assert_eq!(
        unique.len(),
        tokens.len(),
        "every handshake used a new token"
    );
    stop(running).await;
}

#[tokio::test]
async fn expired_token_gets_401_then_a_fresh_token_and_reconnects() {
    let sim = sim().await;
    let mut running = start(
        ws_settings(&sim, Duration::from_secs(20), Duration::from_secs(10)),
        demo_tokens(&sim),
    );
    wait_until("a connection", || sim.stats().ws_connections == 1).await;
    fault(
        &sim,
        FaultPatch {
            expire_tokens_now: true,
            ..FaultPatch::default()
        },
    );
    wait_until("a reconnection", || sim.stats().ws_connections == 2).await;
    assert_eq!(
        running.stats.snapshot().auth_rejections,
        1,
        "the cached token was refused once"
    );
    assert_eq!(sim.stats().token_requests, 2);
    sim.send_event(active("i-9", "still here"));
    assert!(matches!(
        next_event(&mut running).await,
        InteractionEvent::Active(_)
    ));
    stop(running).await;
}

#[tokio::test]
async fn unanswered_pings_cause_a_reconnect_and_answered_ones_do_not() {
    let sim = sim().await;
    let running = start(
        ws_settings(&sim, Duration::from_millis(100), Duration::from_millis(300)),
        demo_tokens(&sim),
    );
    wait_until("a connection", || sim.stats().ws_connections == 1).await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(sim.stats().ws_connections, 1, "pongs keep the connection");
    fault(
        &sim,
        FaultPatch {
            ignore_pings: Some(true),
            ..FaultPatch::default()
        },
    );
    let mut status = running.status.clone();
    let saw_reconnecting = tokio::time::timeout(Duration::from_secs(10), status.wait_for(|s| {
        matches!(s, ConnectionStatus::Reconnecting { reason, .. } if reason.contains("pong"))
    }))
    .await
    .is_ok_and(|seen| seen.is_ok());
    assert!(
        saw_reconnecting,
        "status went to Reconnecting after the pong timeout"
    );
    fault(
        &sim,
        FaultPatch {
            ignore_pings: Some(false),
            ..FaultPatch::default()
        },
    );
    wait_until("a reconnection", || sim.stats().ws_connections >= 2).await;
    stop(running).await;
}

#[tokio::test]
async fn malformed_and_oversized_frames_are_counted_and_skipped() {
    let sim = sim().await;
    let mut running = start(
        ws_settings(&sim, Duration::from_secs(20), Duration::from_secs(10)),
        demo_tokens(&sim),
    );
    wait_until("a connection", || sim.stats().ws_connections == 1).await;
    fault(
        &sim,
        FaultPatch {
            malformed_frames: Some(2),
            oversized_frame_bytes: Some(1_500_000),
            ..FaultPatch::default()
        },
    );
    sim.send_raw_text("{\"type\":\"interaction\",\"data\":".into());
    for i in 0..4 {
        sim.send_event(active(&format!("i-{i}"), "text"));
    }
    sim.send_event(json!({"type":"heartbeat"}));
    sim.send_event(json!({"type":"interaction","data":{"id":"i-0","state":"ended"}}));
    for i in 0..4 {
        assert!(
            matches!(next_event(&mut running).await, InteractionEvent::Active(a) if a.interaction_id == format!("i-{i}"))
        );
    }
    assert!(
        matches!(next_event(&mut running).await, InteractionEvent::Ended { state, .. } if state == "ended")
    );
    let stats = running.stats.snapshot();
    assert_eq!(
        (
            stats.malformed,
            stats.oversized,
            stats.ignored,
            stats.events
        ),
        (3, 1, 1, 5)
    );
    assert_eq!(
        sim.stats().ws_connections,
        1,
        "the same connection carried on"
    );
    stop(running).await;
}

#[tokio::test]
async fn rejected_client_reports_auth_failed_and_cancel_stops_it() {
    let sim = sim().await;
    fault(
        &sim,
        FaultPatch {
            reject_client: Some(true),
            ..FaultPatch::default()
        },
    );
    let running = start(
        ws_settings(&sim, Duration::from_secs(20), Duration::from_secs(10)),
        demo_tokens(&sim),
    );
    let mut status = running.status.clone();
    let failed = tokio::time::timeout(
        Duration::from_secs(10),
        status.wait_for(|s| matches!(s, ConnectionStatus::AuthFailed { .. })),
    )
    .await
    .is_ok_and(|seen| seen.is_ok());
    assert!(failed);
    assert_eq!(sim.stats().ws_connections, 0);
    stop(running).await;
}

#[tokio::test]
async fn a_full_event_channel_does_not_block_cancellation() {
    let sim = sim().await;
    let running = start(
        ws_settings(&sim, Duration::from_secs(20), Duration::from_secs(10)),
        demo_tokens(&sim),
    );
    wait_until("a connection", || sim.stats().ws_connections == 1).await;
    for i in 0..40 {
        sim.send_event(active(&format!("i-{i}"), "nobody reads this"));
    }
    wait_until("the channel to fill", || {
        running.stats.snapshot().events >= 17
    })
    .await;
    tokio::time::timeout(Duration::from_secs(5), stop(running))
        .await
        .expect("cancel ends a blocked sender");
}
