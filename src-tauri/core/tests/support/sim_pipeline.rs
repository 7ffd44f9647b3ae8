//! Test helper: the whole pipeline (real model, sled in a temp dir) wired to a `cxone-sim` server.
#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use assist_core::auth::secrets::{MemoryStore, SecretStore};
use assist_core::config::RawConfig;
use assist_core::nlp::Embedder;
use assist_core::pipeline::{PipelineHandle, PipelineSettings};
use cxone_sim::{SimArticle, SimConfig, SimServer};

/// The first `n` articles of the demo KB.
pub fn demo_articles(n: usize) -> Vec<SimArticle> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/demo/kb.jsonl");
    let mut articles = cxone_sim::load_articles(path).expect("demo KB");
    articles.truncate(n);
    articles
}

/// Starts the pipeline against `sim` with the simulator's demo credentials.
pub async fn start(
    sim: &SimServer,
    data_dir: &std::path::Path,
    settings: PipelineSettings,
) -> PipelineHandle {
    let raw = RawConfig {
        tenant: Some("test".into()),
        base_url: Some(sim.base_url()),
        token_url: Some(sim.token_url()),
        events_url: Some(sim.events_url()),
        ..RawConfig::default()
    };
    let config = raw.validate().expect("config");
    let defaults = SimConfig::default();
    let secrets: Arc<dyn SecretStore> = Arc::new(MemoryStore::with_client(
        &defaults.client_id,
        &defaults.client_secret,
    ));
    let embedder: Arc<dyn Embedder> = assist_core::testing::shared_real_embedder();
    assist_core::assemble::start_pipeline(&config, secrets, embedder, data_dir, settings)
        .await
        .expect("pipeline starts")
}

/// Polls `check` every 50 ms for up to 120 s (a loaded 2-core CI machine embeds the KB slowly in debug).
pub async fn wait_for(mut check: impl FnMut() -> bool, what: &str) {
    for _ in 0..2400 {
        if check() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for {what}");
}
