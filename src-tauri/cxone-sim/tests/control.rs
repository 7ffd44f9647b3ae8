//! The `/_sim/*` control API over real loopback HTTP, and the `cxone-sim` binary.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use common::*;
use cxone_sim::{FaultPatch, FaultSettings, ReceivedCard, SimStats};
use serde_json::{json, Value};

#[tokio::test]
async fn cards_and_stats_are_readable() {
    let sim = start().await;
    let token = token(&sim, ALL_SCOPES).await;
    http()
        .post(format!("{}/api/v2/interactions/c9/assist", sim.base_url()))
        .bearer_auth(&token)
        .header("Idempotency-Key", "key-1")
        .json(&card_payload("Reset a password"))
        .send()
        .await
        .unwrap();
    let cards: Vec<ReceivedCard> = http()
        .get(format!("{}/_sim/cards", sim.base_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(cards, sim.received_cards());
    assert_eq!(cards[0].title, "Reset a password");
    let stats: SimStats = http()
        .get(format!("{}/_sim/stats", sim.base_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(stats, sim.stats());
    assert_eq!(
        (
            stats.token_requests,
            stats.assist_posts,
            stats.assist_accepted
        ),
        (1, 1, 1)
    );
}

#[tokio::test]
async fn faults_round_trip_every_switch() {
    let sim = start().await;
    let patch: FaultPatch = serde_json::from_value(json!({
        "drop_after_events": 5, "token_ttl_ms": 900, "ignore_pings": true,
        "assist_429_next": 2, "retry_after_secs": 4, "assist_503_next": 3, "unavailable_retry_after_secs": 2, "assist_always_503": true,
        "http_delay_ms": 1, "malformed_frames": 2, "oversized_frame_bytes": 10, "kb_500_next": 6, "kb_200_without_items_next": 7, "reject_client": true
    }))
    .unwrap();
    let url = format!("{}/_sim/faults", sim.base_url());
    let answered: FaultSettings = http()
        .post(&url)
        .json(&patch)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let expected = FaultSettings {
        drop_after_events: 5,
        token_ttl_ms: 900,
        ignore_pings: true,
        assist_429_remaining: 2,
        retry_after_secs: 4,
        assist_503_remaining: 3,
        unavailable_retry_after_secs: 2,
        assist_always_503: true,
        http_delay_ms: 1,
        pending_garbage_frames: 3,
        kb_500_remaining: 6,
        kb_200_without_items_remaining: 7,
        reject_client: true,
    };
    assert_eq!(answered, expected);
    let read: FaultSettings = http().get(&url).send().await.unwrap().json().await.unwrap();
    assert_eq!(read, expected);
    sim.faults().clear();
    assert_eq!(sim.faults().snapshot(), FaultSettings::default());

    let unknown = http()
        .post(&url)
        .json(&json!({"no_such_switch": 1}))
        .send()
        .await
        .unwrap();
    assert!(
        unknown.status().is_client_error(),
        "typos are refused, not ignored"
    );
}

#[tokio::test]
async fn events_are_broadcast_verbatim() {
    let sim = start().await;
    let mut ws = connect(&sim, &token(&sim, ALL_SCOPES).await).await;
    let response = http()
        .post(format!("{}/_sim/events", sim.base_url()))
        .body("{broken")
        .send()
        .await
        .unwrap();
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["connected_clients"], 1);
    assert_eq!(next_text(&mut ws).await, "{broken");
}

#[tokio::test]
async fn kb_upsert_and_delete_change_what_is_served() {
    let sim = start().await;
    let base = sim.base_url();
    let one = http()
        .post(format!("{base}/_sim/kb/upsert"))
        .json(&article("a"))
        .send()
        .await
        .unwrap();
    assert_eq!(one.status(), 200);
    let many = http()
        .post(format!("{base}/_sim/kb/upsert"))
        .json(&[article("b"), article("c")])
        .send()
        .await
        .unwrap();
    assert_eq!(many.json::<Value>().await.unwrap()["upserted"], 2);
    let deleted = http()
        .post(format!("{base}/_sim/kb/delete"))
        .json(&json!({"id": "b"}))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.json::<Value>().await.unwrap()["deleted"], true);
    let token = token(&sim, "knowledge:read").await;
    let body: Value = http()
        .get(format!("{base}/api/v2/knowledge/articles"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ids: Vec<&str> = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["a", "c"]);
}

#[tokio::test]
async fn shutdown_closes_sockets_and_stops_listening() {
    let sim = start().await;
    let base = sim.base_url();
    let mut ws = connect(&sim, &token(&sim, ALL_SCOPES).await).await;
    sim.shutdown().await;
    assert!(ended_without_close_frame(&mut ws).await);
    assert!(http()
        .get(format!("{base}/_sim/stats"))
        .send()
        .await
        .is_err());
}

#[test]
fn binary_serves_files_prints_its_address_and_stops_on_sigterm() {
    let dir = std::env::temp_dir().join(format!("cxone-sim-bin-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let kb = dir.join("kb.jsonl");
    let convs = dir.join("conversations.jsonl");
    writeln!(
        std::fs::File::create(&kb).unwrap(),
        "{}",
        serde_json::to_string(&article("kb-1")).unwrap()
    )
    .unwrap();
    writeln!(
        std::fs::File::create(&convs).unwrap(),
        "{}",
        serde_json::to_string(&conversation("c1")).unwrap()
    )
    .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_cxone-sim"))
        .args([
            "--bind",
            "127.0.0.1:0",
            "--turn-interval-ms",
            "10",
            "--gap-ms",
            "10",
            "--repeat",
        ])
        .arg("--kb")
        .arg(&kb)
        .arg("--conversations")
        .arg(&convs)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let base = line
        .trim()
        .strip_prefix("cxone-sim listening on ")
        .unwrap()
        .to_owned();
    assert!(base.starts_with("http://127.0.0.1:"), "{line}");

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let total = runtime.block_on(async {
        let client = http();
        let token: Value = client
            .post(format!("{base}/oauth/token"))
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", "demo-client"),
                ("client_secret", "demo-secret"),
            ])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let kb: Value = client
            .get(format!("{base}/api/v2/knowledge/articles"))
            .bearer_auth(token["access_token"].as_str().unwrap())
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        kb["total_items"].clone()
    });
    assert_eq!(total, 1);

    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = child.wait().unwrap();
    assert!(status.success(), "clean exit on SIGTERM: {status:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}
