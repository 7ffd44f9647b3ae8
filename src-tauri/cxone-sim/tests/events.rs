//! The interactions WebSocket over real loopback: handshake auth, playback, pings,
//! and every socket fault (drop now, drop after N, expire now, token TTL, ignore pings, garbage).

mod common;

use std::time::Duration;

use common::*;
use cxone_sim::{FaultPatch, TOKEN_EXPIRED_CLOSE_CODE};
use futures_util::SinkExt;
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

#[tokio::test]
async fn handshake_needs_a_valid_token_with_interactions_read() {
    let sim = start().await;
    assert_eq!(refused_status(&sim, None).await, 401);
    assert_eq!(refused_status(&sim, Some("Bearer not-a-token")).await, 401);
    let assist_only = token(&sim, "assist:write").await;
    assert_eq!(
        refused_status(&sim, Some(&format!("Bearer {assist_only}"))).await,
        403
    );
    let good = token(&sim, "interactions:read").await;
    let _ws = connect(&sim, &good).await;
    let stats = sim.stats();
    assert_eq!(stats.ws_connections, 1);
    assert_eq!(stats.ws_handshake_tokens, vec![good]);
    assert_eq!(sim.connected_clients(), 1);
}

#[tokio::test]
async fn play_emits_cumulative_active_events_then_ended() {
    let sim = start().await;
    let mut ws = connect(&sim, &token(&sim, ALL_SCOPES).await).await;
    sim.play(&conversation("conv-1"), Duration::from_millis(1))
        .await;
    let first = next_json(&mut ws).await;
    assert_eq!(first["type"], "interaction");
    assert_eq!(first["data"]["id"], "conv-1");
    assert_eq!(first["data"]["state"], "active");
    assert_eq!(first["data"]["channels"][0]["type"], "voice");
    assert_eq!(
        first["data"]["channels"][0]["transcript"],
        "Customer: My card was declined"
    );
    let second = next_json(&mut ws).await;
    assert_eq!(
        second["data"]["channels"][0]["transcript"],
        "Customer: My card was declined\nAgent: Let me check that"
    );
    let ended = next_json(&mut ws).await;
    assert_eq!(ended["data"]["state"], "ended");
}

#[tokio::test]
async fn playlist_repeats_with_fresh_ids() {
    let sim = start().await;
    let mut ws = connect(&sim, &token(&sim, ALL_SCOPES).await).await;
    let playlist = sim.spawn_playlist(
        vec![conversation("a")],
        Duration::from_millis(1),
        Duration::from_millis(1),
        true,
    );
    let mut ids = Vec::new();
    while ids.len() < 6 {
        ids.push(
            next_json(&mut ws).await["data"]["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    assert_eq!(ids, ["a", "a", "a", "a-r2", "a-r2", "a-r2"]);
    sim.shutdown().await;
    tokio::time::timeout(Duration::from_secs(5), playlist)
        .await
        .unwrap()
        .unwrap();
}

#[tokio::test]
async fn send_event_and_raw_text_reach_every_client() {
    let sim = start().await;
    let token = token(&sim, ALL_SCOPES).await;
    let mut first = connect(&sim, &token).await;
    let mut second = connect(&sim, &token).await;
    sim.send_event(json!({"type": "interaction", "data": {"id": "x", "state": "ended"}}));
    sim.send_raw_text("not json".into());
    for ws in [&mut first, &mut second] {
        assert_eq!(next_json(ws).await["data"]["id"], "x");
        assert_eq!(next_text(ws).await, "not json");
    }
}

#[tokio::test]
async fn pings_are_answered_unless_the_ignore_pings_fault_is_on() {
    let sim = start().await;
    let mut ws = connect(&sim, &token(&sim, ALL_SCOPES).await).await;
    ws.send(Message::Ping(b"one".to_vec().into()))
        .await
        .unwrap();
    assert_eq!(
        next_message(&mut ws).await.unwrap().unwrap(),
        Message::Pong(b"one".to_vec().into())
    );

    sim.faults().set_ignore_pings(true);
    tokio::time::sleep(Duration::from_millis(50)).await;
    ws.send(Message::Ping(b"two".to_vec().into()))
        .await
        .unwrap();
    let silent = tokio::time::timeout(
        Duration::from_millis(300),
        futures_util::StreamExt::next(&mut ws),
    )
    .await;
    assert!(
        silent.is_err(),
        "no pong while pings are ignored, got {silent:?}"
    );

    sim.faults().set_ignore_pings(false);
    assert_eq!(
        next_message(&mut ws).await.unwrap().unwrap(),
        Message::Pong(b"two".to_vec().into())
    );
}

#[tokio::test]
async fn drop_connections_now_drops_without_close_frame() {
    let sim = start().await;
    let mut ws = connect(&sim, &token(&sim, ALL_SCOPES).await).await;
    sim.faults().drop_connections_now();
    assert!(ended_without_close_frame(&mut ws).await);
    wait_until(|| sim.connected_clients() == 0).await;
}

#[tokio::test]
async fn drop_after_events_closes_each_socket_after_n_frames() {
    let sim = start().await;
    sim.faults().set_drop_after_events(Some(2));
    let mut ws = connect(&sim, &token(&sim, ALL_SCOPES).await).await;
    for n in 0..3 {
        sim.send_event(json!({"n": n}));
    }
    assert_eq!(next_json(&mut ws).await["n"], 0);
    assert_eq!(next_json(&mut ws).await["n"], 1);
    assert!(ended_without_close_frame(&mut ws).await);
}

async fn expect_token_expired_close(ws: &mut Ws) {
    match next_message(ws).await {
        Some(Ok(Message::Close(Some(frame)))) => {
            assert_eq!(u16::from(frame.code), TOKEN_EXPIRED_CLOSE_CODE);
            assert_eq!(frame.reason.as_str(), "token expired");
        }
        other => panic!("expected close 4001, got {other:?}"),
    }
}

#[tokio::test]
async fn expire_tokens_now_closes_sockets_with_4001_and_invalidates_tokens() {
    let sim = start().await;
    let token = token(&sim, ALL_SCOPES).await;
    let mut ws = connect(&sim, &token).await;
    sim.faults().expire_tokens_now();
    expect_token_expired_close(&mut ws).await;
    assert_eq!(
        refused_status(&sim, Some(&format!("Bearer {token}"))).await,
        401
    );
}

#[tokio::test]
async fn socket_closes_with_4001_when_its_token_ttl_runs_out() {
    let sim = start().await;
    sim.faults().set_token_ttl(Some(Duration::from_millis(300)));
    let mut ws = connect(&sim, &token(&sim, ALL_SCOPES).await).await;
    expect_token_expired_close(&mut ws).await;
}

#[tokio::test]
async fn garbage_frames_are_interleaved_with_real_events() {
    let sim = start().await;
    let mut ws = connect(&sim, &token(&sim, ALL_SCOPES).await).await;
    sim.faults().inject_garbage(2, Some(100_000));
    assert_eq!(sim.faults().snapshot().pending_garbage_frames, 3);
    for n in 0..4 {
        sim.send_event(json!({"n": n}));
    }
    let mut received = Vec::new();
    for _ in 0..7 {
        received.push(next_text(&mut ws).await);
    }
    let parsed: Vec<Option<serde_json::Value>> = received
        .iter()
        .map(|t| serde_json::from_str(t).ok())
        .collect();
    assert!(parsed[0].is_none(), "malformed first");
    assert_eq!(parsed[1].as_ref().unwrap()["n"], 0);
    assert!(received[2].len() >= 100_000, "oversized second");
    assert_eq!(parsed[2].as_ref().unwrap()["data"]["id"], "oversized");
    assert_eq!(parsed[3].as_ref().unwrap()["n"], 1);
    assert!(parsed[4].is_none(), "malformed third");
    assert_eq!(parsed[5].as_ref().unwrap()["n"], 2);
    assert_eq!(parsed[6].as_ref().unwrap()["n"], 3);
    assert_eq!(sim.faults().snapshot().pending_garbage_frames, 0);
}

#[tokio::test]
async fn socket_faults_via_control_api() {
    let sim = start().await;
    let mut ws = connect(&sim, &token(&sim, ALL_SCOPES).await).await;
    let faults_url = format!("{}/_sim/faults", sim.base_url());
    let patch = FaultPatch {
        malformed_frames: Some(1),
        ..FaultPatch::default()
    };
    http().post(&faults_url).json(&patch).send().await.unwrap();
    let sent = http()
        .post(format!("{}/_sim/events", sim.base_url()))
        .body(r#"{"n":7}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(sent.status(), 200);
    assert!(serde_json::from_str::<serde_json::Value>(&next_text(&mut ws).await).is_err());
    assert_eq!(next_json(&mut ws).await["n"], 7);
    let patch = FaultPatch {
        expire_tokens_now: true,
        ..FaultPatch::default()
    };
    http().post(&faults_url).json(&patch).send().await.unwrap();
    expect_token_expired_close(&mut ws).await;

    let mut ws = connect(&sim, &token(&sim, ALL_SCOPES).await).await;
    let patch = FaultPatch {
        drop_connections_now: true,
        ..FaultPatch::default()
    };
    http().post(&faults_url).json(&patch).send().await.unwrap();
    assert!(ended_without_close_frame(&mut ws).await);
}
