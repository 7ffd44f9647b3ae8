//! The whole pipeline at 10k articles with the real model: transcript → top-3 (key phrases + embedding +
//! hybrid retrieval), event → card-queued through the running stages (paced below capacity, measured from
//! the moment the event enters the pipeline to the `card_queued` broadcast), and sustained events/s (a
//! burst of distinct calls, no coalescing possible), and a call-center load (200 calls updating every second)
//! where coalescing applies. Prints `[figure]` lines; not a criterion harness.
//!
//! Run: `cargo bench -p assist-core --bench pipeline`. The KB is synthetic (see `support/synthetic.rs`):
//! article vectors are drawn around random centroids, so only timings are meaningful, not relevance.

#[path = "../tests/support/real_embedder.rs"]
mod real_embedder;
#[path = "support/synthetic.rs"]
mod synthetic;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use assist_core::domain::{ActiveInteraction, InteractionEvent};
use assist_core::events::{ConnectionStatus, EventSource};
use assist_core::kb::client::{KbChanges, KbClientError, KnowledgeSource};
use assist_core::kb::{retrieve, HnswParams, KbHandle, KbSnapshot, KbStore, RetrieveParams};
use assist_core::nlp::{extract_keyphrases, query_text, Embedder, KeyPhraseOptions};
use assist_core::pipeline::api::PipelineEvent;
use assist_core::pipeline::{PipelineDeps, PipelineSettings};
use assist_core::publish::{CardSink, PublishError};
use async_trait::async_trait;
use rand::rngs::StdRng;
use rand::SeedableRng;
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

const ARTICLES: usize = 10_000;
const PACED_EVENTS: usize = 200;
const BURST_EVENTS: usize = 600;

/// Interaction events handed in by the bench.
struct ChannelSource(mpsc::Receiver<InteractionEvent>);

#[async_trait]
impl EventSource for ChannelSource {
    async fn run(
        self: Box<Self>,
        tx: mpsc::Sender<InteractionEvent>,
        status: watch::Sender<ConnectionStatus>,
        cancel: CancellationToken,
    ) {
        status.send_replace(ConnectionStatus::Connected);
        let mut rx = self.0;
        loop {
            tokio::select! {
                _ = cancel.cancelled() => break,
                event = rx.recv() => match event {
                    Some(event) => {
                        if tx.send(event).await.is_err() {
                            break;
                        }
                    }
                    None => break,
                },
            }
        }
    }
}

/// A knowledge API where nothing ever changes (the synthetic KB is already loaded).
struct Unchanged;

#[async_trait]
impl KnowledgeSource for Unchanged {
    async fn fetch_changes(&mut self) -> Result<KbChanges, KbClientError> {
        Ok(KbChanges::NotModified)
    }
    fn mark_applied(&mut self) {}
}

/// Accepts every card.
struct Accept;

#[async_trait]
impl CardSink for Accept {
    async fn deliver(
        &self,
        _: &str,
        _: &assist_core::domain::CardContent,
        _: &str,
    ) -> Result<(), PublishError> {
        Ok(())
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted[rank.min(sorted.len()) - 1]
}

fn summary(mut ms: Vec<f64>) -> String {
    ms.sort_by(f64::total_cmp);
    format!(
        "p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms (n={})",
        percentile(&ms, 50.0),
        percentile(&ms, 99.0),
        ms[ms.len() - 1],
        ms.len()
    )
}

fn transcripts(n: usize, seed: u64) -> Vec<String> {
    let mut rng = StdRng::seed_from_u64(seed);
    (0..n)
        .map(|_| {
            format!(
                "Agent: {}\nCustomer: {}",
                synthetic::text(&mut rng, 10),
                synthetic::text(&mut rng, 25)
            )
        })
        .collect()
}

/// Key phrases + embedding + hybrid retrieval, as the extract stage does it, timed per transcript.
fn transcript_to_top3(snapshot: &KbSnapshot, embedder: &dyn Embedder) {
    let params = RetrieveParams {
        top_n: 3,
        ..RetrieveParams::default()
    };
    let times: Vec<f64> = transcripts(300, 11)
        .iter()
        .map(|t| {
            let started = Instant::now();
            let phrases = extract_keyphrases(t, &KeyPhraseOptions::default());
            let vector = embedder.embed(&[t]).expect("embed").remove(0);
            let top = retrieve(snapshot, &vector, &query_text(&phrases), t, &params);
            assert!(!top.is_empty());
            started.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    println!(
        "[figure] transcript → top-3 at {ARTICLES} articles (key phrases + embed + retrieve): {}",
        summary(times)
    );
}

fn event(id: String, transcript: &str) -> InteractionEvent {
    InteractionEvent::Active(ActiveInteraction {
        interaction_id: id,
        channels: vec![transcript.to_string()],
    })
}

async fn through_the_pipeline(snapshot: KbSnapshot, embedder: Arc<dyn Embedder>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let (events_tx, events_rx) = mpsc::channel(4096);
    let deps = PipelineDeps {
        events: Box::new(ChannelSource(events_rx)),
        embedder: embedder.clone(),
        kb_store: Arc::new(
            KbStore::open(&dir.path().join("kb"), "all-MiniLM-L6-v2", 384).expect("kb"),
        ),
        kb: Arc::new(KbHandle::new(snapshot)),
        knowledge: Box::new(Unchanged),
        sink: Arc::new(Accept),
        db: sled::open(dir.path().join("pipeline")).expect("db"),
    };
    let settings = PipelineSettings {
        debounce: Duration::ZERO,
        max_wait: Duration::ZERO,
        min_score: 0.0,
        ..PipelineSettings::default()
    };
    let handle = assist_core::pipeline::start(deps, settings).expect("pipeline");
    let mut queued = handle.subscribe();

    // Paced: one event every 50 ms (20/s), each a new call; latency = event in → first card_queued out.
    let mut sent_at: HashMap<String, Instant> = HashMap::new();
    let mut latencies = Vec::new();
    for (i, t) in transcripts(PACED_EVENTS, 21).iter().enumerate() {
        let id = format!("paced-{i}");
        sent_at.insert(id.clone(), Instant::now());
        events_tx.send(event(id, t)).await.expect("send");
        let deadline = tokio::time::sleep(Duration::from_millis(50));
        tokio::pin!(deadline);
        loop {
            tokio::select! {
                _ = &mut deadline => break,
                Ok(PipelineEvent::CardQueued { interaction_id, .. }) = queued.recv() => {
                    if let Some(at) = sent_at.remove(&interaction_id) {
                        latencies.push(at.elapsed().as_secs_f64() * 1e3);
                    }
                }
            }
        }
    }
    println!(
        "[figure] event → card queued at {ARTICLES} articles, paced 20 events/s: {}",
        summary(latencies)
    );

    // Burst: distinct calls as fast as the channel takes them; sustained rate = calls answered / time.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let mut queued = handle.subscribe();
    let started = Instant::now();
    for (i, t) in transcripts(BURST_EVENTS, 31).iter().enumerate() {
        events_tx
            .send(event(format!("burst-{i}"), t))
            .await
            .expect("send");
    }
    let mut answered = std::collections::HashSet::new();
    while answered.len() < BURST_EVENTS {
        match queued.recv().await {
            Ok(
                PipelineEvent::CardQueued { interaction_id, .. }
                | PipelineEvent::NoSuggestion { interaction_id, .. },
            ) if interaction_id.starts_with("burst-") => {
                answered.insert(interaction_id);
            }
            Ok(_) => {}
            Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
            Err(_) => break,
        }
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "[figure] sustained: {BURST_EVENTS} distinct calls answered in {secs:.2} s = {:.0} events/s ({:?})",
        BURST_EVENTS as f64 / secs,
        handle.counters()
    );
    call_center_load(&handle, &events_tx).await;
    handle.shutdown(Duration::from_secs(5)).await;
}

/// 200 concurrent calls, each sending its growing transcript every second for 10 s (200 events/s): how
/// many events the pipeline takes in per second, how many retrievals that costs after coalescing, and
/// how long after the last event it has caught up.
async fn call_center_load(
    handle: &assist_core::pipeline::PipelineHandle,
    events_tx: &mpsc::Sender<InteractionEvent>,
) {
    const CALLS: usize = 200;
    const ROUNDS: usize = 10;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let before = handle.counters();
    let turns = transcripts(CALLS * ROUNDS, 41);
    let started = Instant::now();
    for round in 0..ROUNDS {
        let tick = Instant::now();
        for call in 0..CALLS {
            let transcript: Vec<&str> = (0..=round)
                .map(|r| turns[r * CALLS + call].as_str())
                .collect();
            events_tx
                .send(event(format!("load-{call}"), &transcript.join("\n")))
                .await
                .expect("send");
        }
        tokio::time::sleep(Duration::from_secs(1).saturating_sub(tick.elapsed())).await;
    }
    let sent_for = started.elapsed();
    let mut last = handle.counters().retrievals;
    loop {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let now = handle.counters().retrievals;
        if now == last {
            break;
        }
        last = now;
    }
    let caught_up = started.elapsed().saturating_sub(sent_for);
    let after = handle.counters();
    let events = after.events_received - before.events_received;
    println!(
        "[figure] call-center load: {CALLS} calls × {ROUNDS} updates = {events} events in {:.1} s = {:.0} events/s taken in; \
         {} retrievals ({} updates coalesced); caught up {:.1} s after the last event",
        sent_for.as_secs_f64(),
        events as f64 / sent_for.as_secs_f64(),
        after.retrievals - before.retrievals,
        after.updates_coalesced - before.updates_coalesced,
        caught_up.as_secs_f64()
    );
}

fn main() {
    let (entries, _) = synthetic::synthetic(ARTICLES, 42);
    let snapshot =
        KbSnapshot::build(entries, synthetic::DIM, HnswParams::default()).expect("snapshot");
    let embedder: Arc<dyn Embedder> = Arc::new(real_embedder::load_real());
    transcript_to_top3(&snapshot, embedder.as_ref());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(through_the_pipeline(snapshot, embedder));
}
