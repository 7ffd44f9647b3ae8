//! Back-pressure, end to end over the real WebSocket: a burst of 1,000 transcript updates (50 calls × 20
//! cumulative updates) in about a second. The extract stage coalesces per interaction (the latest transcript
//! wins), so far fewer retrievals run than events arrive, the number of tracked interactions — not events —
//! bounds its memory, and every call still gets cards built from its latest transcript.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use assist_core::pipeline::PipelineSettings;
use cxone_sim::{SimConfig, SimServer};

#[path = "support/sim_pipeline.rs"]
mod sim_pipeline;
use sim_pipeline::wait_for;

const CALLS: usize = 50;
const UPDATES_PER_CALL: usize = 20;

/// The cumulative transcript of `call` after `round` updates; only the last round says what it is about.
fn transcript(round: usize, topic: &str) -> String {
    let mut lines = vec!["Agent: Thanks for calling the help desk, how can I help?".to_string()];
    for k in 0..round {
        lines.push(format!(
            "Customer: um, hold on a second, let me find it ({k})"
        ));
    }
    if round + 1 == UPDATES_PER_CALL {
        lines.push(format!("Customer: I need help: {topic}"));
    }
    lines.join("\n")
}

fn rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_1000_events_is_coalesced_and_the_latest_transcripts_win() {
    let articles = sim_pipeline::demo_articles(80);
    let topics: Vec<String> = articles
        .iter()
        .take(CALLS)
        .map(|a| a.title.to_lowercase())
        .collect();
    let sim = SimServer::start(SimConfig {
        articles,
        ..SimConfig::default()
    })
    .await
    .expect("sim");
    let dir = tempfile::tempdir().expect("tempdir");
    let settings = PipelineSettings {
        min_score: 0.0,
        max_tracked_interactions: 64,
        ..PipelineSettings::default()
    };
    let handle = sim_pipeline::start(&sim, dir.path(), settings).await;
    let status = handle.status();
    wait_for(
        || sim.connected_clients() > 0 && status.borrow().kb_articles == 80,
        "the WebSocket and the first KB sync",
    )
    .await;

    let rss_before = rss_mb();
    let started = Instant::now();
    for round in 0..UPDATES_PER_CALL {
        for (i, topic) in topics.iter().enumerate() {
            sim.send_event(serde_json::json!({"type": "interaction", "data": {
                "id": format!("burst-{i:02}"), "state": "active",
                "channels": [{"type": "voice", "transcript": transcript(round, topic)}]}}));
        }
        tokio::time::sleep(Duration::from_millis(45)).await;
    }
    let burst = started.elapsed();

    let expected_events = (CALLS * UPDATES_PER_CALL) as u64;
    let finals = |snapshot: &assist_core::pipeline::api::QueueSnapshot| -> usize {
        snapshot
            .interactions
            .iter()
            .filter(|view| {
                let i: usize = view.interaction_id[6..].parse().unwrap_or(usize::MAX);
                topics.get(i).is_some_and(|topic| {
                    view.cards
                        .iter()
                        .any(|c| c.context.contains(&format!("I need help: {topic}")))
                })
            })
            .count()
    };
    let mut last = 0;
    for _ in 0..1200 {
        let snapshot = handle.snapshot().await;
        last = finals(&snapshot);
        if last == CALLS && handle.counters().events_received >= expected_events {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let counters = handle.counters();
    let snapshot = handle.snapshot().await;
    let cards: HashMap<&str, usize> = snapshot
        .interactions
        .iter()
        .map(|v| (v.interaction_id.as_str(), v.cards.len()))
        .collect();
    println!(
        "burst of {expected_events} events in {burst:?}: {counters:?}; calls with cards from their latest transcript {last}/{CALLS}; \
         cards queued {}; RSS {rss_before:.0} → {:.0} MB",
        cards.values().sum::<usize>(),
        rss_mb()
    );
    for view in &snapshot.interactions {
        if view.cards.is_empty() {
            println!(
                "{}: no cards ({:?})",
                view.interaction_id, view.no_suggestion_reason
            );
        }
    }
    assert_eq!(
        counters.events_received, expected_events,
        "every event reached the extract stage"
    );
    assert_eq!(
        last, CALLS,
        "every call got cards built from its latest transcript"
    );
    assert!(
        counters.retrievals * 4 <= expected_events,
        "coalescing: {} retrievals for {expected_events} events",
        counters.retrievals
    );
    assert!(counters.updates_coalesced * 2 >= expected_events);
    assert_eq!(
        counters.tracked_interactions_peak, CALLS as u64,
        "memory is bounded by calls tracked, not by events"
    );
    handle.shutdown(Duration::from_secs(5)).await;
    sim.shutdown().await;
}
