//! Builds a running pipeline from a validated [`Config`]: sled databases under the data dir, the KB snapshot
//! (warm start from sled, rebuild on a model change), the token source, the WebSocket, the knowledge client and
//! the card sink. The shell (tray app, headless, tests) calls [`start_pipeline`]; paths come from the caller.

use std::path::Path;
use std::sync::Arc;

use crate::auth::secrets::SecretStore;
use crate::auth::token::{build_http_client, OAuthTokenSource, TokenSettings};
use crate::auth::TokenSource;
use crate::config::Config;
use crate::domain::Article;
use crate::events::ws::{WsEventSource, WsSettings};
use crate::kb::client::HttpKnowledgeSource;
use crate::kb::graph_file::NotLoaded;
use crate::kb::handle::DEFAULT_COMPACTION_THRESHOLD;
use crate::kb::{GraphFiles, HnswParams, KbHandle, KbSnapshot, KbStore, StoreState};
use crate::nlp::Embedder;
use crate::pipeline::{self, PipelineDeps, PipelineHandle, PipelineSettings};
use crate::publish::HttpCardSink;

/// Why the pipeline could not start; the message says what to fix.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot open the data directory {path}: {reason}")]
    Storage { path: String, reason: String },
    #[error("cannot load the knowledge base: {0}")]
    Kb(String),
    #[error("cannot set up HTTP: {0}")]
    Http(String),
    #[error(transparent)]
    Pipeline(#[from] pipeline::PipelineError),
}

/// Pipeline settings from the config's `[ranking]` and `[pipeline]` sections.
pub fn settings_from_config(config: &Config) -> PipelineSettings {
    PipelineSettings {
        debounce: config.pipeline.debounce,
        window_turns: config.pipeline.window_turns,
        window_max_age: config.pipeline.window_max_age,
        top_k: config.ranking.top_k,
        min_score: config.pipeline.min_score,
        dense_weight: config.ranking.dense_weight,
        bm25_weight: config.ranking.bm25_weight,
        auto_approve: config.pipeline.auto_approve,
        idle_timeout: config.pipeline.idle_timeout,
        kb_poll_interval: config.kb_poll_interval,
        ..PipelineSettings::default()
    }
}

/// The sled database holding the outbox and the audit log (`<data_dir>/pipeline`).
pub fn open_pipeline_db(data_dir: &Path) -> Result<sled::Db, StartError> {
    let db_path = data_dir.join("pipeline");
    sled::open(&db_path).map_err(|e| StartError::Storage {
        path: db_path.display().to_string(),
        reason: e.to_string(),
    })
}

/// The audit log of an existing data dir, for export and reports (fails if the app holds the database).
pub fn open_audit_log(data_dir: &Path) -> Result<crate::audit::AuditLog, StartError> {
    if !data_dir.join("pipeline").exists() {
        return Err(StartError::Storage {
            path: data_dir.join("pipeline").display().to_string(),
            reason: "no pipeline database here (nothing decided yet, or another data dir)".into(),
        });
    }
    let db = open_pipeline_db(data_dir)?;
    crate::audit::AuditLog::open(&db).map_err(|e| StartError::Storage {
        path: data_dir.join("pipeline").display().to_string(),
        reason: e.to_string(),
    })
}

/// Opens the KB store and builds the first snapshot from it (no re-embedding unless the model changed).
pub async fn open_kb(
    data_dir: &Path,
    embedder: Arc<dyn Embedder>,
) -> Result<(Arc<KbStore>, Arc<KbHandle>), StartError> {
    let path = data_dir.join("kb");
    let storage = |e: &dyn std::fmt::Display| StartError::Storage {
        path: path.display().to_string(),
        reason: e.to_string(),
    };
    std::fs::create_dir_all(&path).map_err(|e| storage(&e))?;
    let store =
        KbStore::open(&path, embedder.model_name(), embedder.dim()).map_err(|e| storage(&e))?;
    let store = Arc::new(store);
    let graph_files = GraphFiles::new(data_dir.join("kb-graph"));
    let (task_store, task_embedder, task_files) =
        (store.clone(), embedder.clone(), graph_files.clone());
    let snapshot = tokio::task::spawn_blocking(move || -> Result<KbSnapshot, StartError> {
        if let StoreState::NeedsRebuild { recorded, expected } = task_store.state().map_err(|e| StartError::Kb(e.to_string()))? {
            tracing::warn!(%recorded, %expected, "KB vectors were built with another model; rebuilding from stored articles");
            task_store.rebuild(task_embedder.as_ref(), &mut |_, _| {}).map_err(|e| StartError::Kb(e.to_string()))?;
        }
        let entries = task_store.load_all().map_err(|e| StartError::Kb(e.to_string()))?;
        // Serve at once: with the graph saved for exactly these articles, or by exact scan while the background
        // rebuilds it (warm start ≠ graph build).
        first_snapshot(entries, task_embedder.dim(), &task_files)
    })
    .await
    .map_err(|e| StartError::Kb(e.to_string()))??;
    let graph_needed = snapshot.pending_compaction() > DEFAULT_COMPACTION_THRESHOLD;
    tracing::info!(
        articles = snapshot.len(),
        graph = snapshot.has_graph(),
        pending_compaction = snapshot.pending_compaction(),
        "KB snapshot ready"
    );
    let kb = Arc::new(KbHandle::new(snapshot).with_graph_files(graph_files));
    if graph_needed {
        let background = kb.clone();
        tokio::spawn(async move {
            if let Err(error) = background.compact().await {
                tracing::warn!(%error, "building the HNSW graph failed; exact search continues");
            }
        });
    }
    Ok((store, kb))
}

/// The first snapshot of `entries` (the stored KB) at start-up: around the graph saved in `files` where it still fits
/// (unchanged articles), otherwise by exact scan (the caller builds the graph in the background). Benchmarks call it
/// to measure the app's own warm start.
pub fn first_snapshot(
    entries: Vec<(Article, Vec<f32>)>,
    dim: usize,
    files: &GraphFiles,
) -> Result<KbSnapshot, StartError> {
    let kb_error = |e: &dyn std::fmt::Display| StartError::Kb(e.to_string());
    let started = std::time::Instant::now();
    let saved = if entries.is_empty() {
        Err(NotLoaded::Missing) // an empty KB has nothing to search a graph for
    } else {
        files.load(dim, HnswParams::default())
    };
    match saved {
        Ok(saved) => {
            let (snapshot, reuse) =
                KbSnapshot::with_saved_graph(entries, dim, HnswParams::default(), saved)
                    .map_err(|e| kb_error(&e))?;
            tracing::info!(
                ms = started.elapsed().as_millis() as u64,
                reused = reuse.reused,
                stale = reuse.stale,
                added = reuse.added,
                "HNSW graph loaded from disk"
            );
            Ok(snapshot)
        }
        Err(why) => {
            match why {
                NotLoaded::Missing | NotLoaded::Stale => {
                    tracing::info!(%why, "HNSW graph to be rebuilt")
                }
                NotLoaded::Corrupt(_) => tracing::warn!(%why, "HNSW graph to be rebuilt"),
            }
            KbSnapshot::build_without_graph(entries, dim, HnswParams::default())
                .map_err(|e| kb_error(&e))
        }
    }
}

/// Starts every stage against the endpoints in `config`, with credentials from `secrets`.
pub async fn start_pipeline(
    config: &Config,
    secrets: Arc<dyn SecretStore>,
    embedder: Arc<dyn Embedder>,
    data_dir: &Path,
    settings: PipelineSettings,
) -> Result<PipelineHandle, StartError> {
    let (kb_store, kb) = open_kb(data_dir, embedder.clone()).await?;
    let db = open_pipeline_db(data_dir)?;
    let http = build_http_client(config).map_err(|e| StartError::Http(e.to_string()))?;
    let tokens: Arc<dyn TokenSource> = Arc::new(OAuthTokenSource::new(
        http.clone(),
        TokenSettings::from(config),
        secrets,
    ));
    let events = Box::new(WsEventSource::new(WsSettings::from(config), tokens.clone()));
    let (_, last_modified) = kb_store
        .sync_markers()
        .map_err(|e| StartError::Kb(e.to_string()))?;
    let knowledge = HttpKnowledgeSource::new(
        http.clone(),
        &config.base_url,
        tokens.clone(),
        last_modified,
    )
    .map_err(|e| StartError::Http(e.to_string()))?;
    let sink = Arc::new(HttpCardSink::new(http, config.base_url.clone(), tokens));
    let deps = PipelineDeps {
        events,
        embedder,
        kb_store,
        kb,
        knowledge: Box::new(knowledge),
        sink,
        db,
    };
    Ok(pipeline::start(deps, settings)?)
}
