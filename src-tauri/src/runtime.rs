//! Starting the real pipeline for the tray app and `headless`: config, credentials, model, data dir, and in
//! demo mode the CXone simulator in-process with the sample KB and calls.

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use assist_core::assets;
use assist_core::auth::secrets::{EnvStore, KeyringStore, LayeredStore, MemoryStore, SecretStore};
use assist_core::config::{Config, RawConfig};
use assist_core::nlp::{Embedder, MiniLmEmbedder, MiniLmOptions};
use assist_core::pipeline::{PipelineHandle, PipelineSettings};
use cxone_sim::{SimConfig, SimServer};

use crate::cli::CommonArgs;

/// The keychain service name (the app id).
pub const APP_ID: &str = "com.supervisorassist.app";
/// Where demo data is looked for first (a directory holding kb.jsonl and conversations.jsonl).
pub const DEMO_DATA_ENV: &str = "SUPERVISOR_ASSIST_DEMO_DATA";

/// A running pipeline and, in demo mode, the simulator it talks to.
pub struct Running {
    pub handle: PipelineHandle,
    pub sim: Option<SimServer>,
    pub data_dir: PathBuf,
}

/// Directories the shell resolved for this user.
#[derive(Debug, Clone)]
pub struct RuntimePaths {
    pub config_file: Option<PathBuf>,
    pub data_dir: PathBuf,
}

/// The per-user data dir (`$XDG_DATA_HOME/supervisor-assist` or `~/.local/share/supervisor-assist`).
pub fn default_data_dir() -> PathBuf {
    let base = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
        .unwrap_or_else(std::env::temp_dir);
    base.join("supervisor-assist")
}

/// The per-user config file (`$XDG_CONFIG_HOME/supervisor-assist/config.toml`).
pub fn default_config_file() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
    Some(base.join("supervisor-assist").join("config.toml"))
}

/// Where the .deb installs the model and ONNX Runtime (`all-MiniLM-L6-v2/`, `onnxruntime/`) and the demo data (`demo/`).
pub const SYSTEM_ASSETS_DIR: &str = "/usr/lib/supervisor-assist";

/// Where the model and ONNX Runtime are looked for, first complete directory wins:
/// 1. `$SUPERVISOR_ASSIST_ASSETS`;
/// 2. the per-user cache `$XDG_CACHE_HOME/supervisor-assist` (default `~/.cache/supervisor-assist`, filled by
///    `scripts/fetch-assets.py`);
/// 3. the executable's directory (a portable or development build);
/// 4. [`SYSTEM_ASSETS_DIR`] (installed by the .deb).
pub fn asset_candidates() -> Vec<PathBuf> {
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")));
    let exe_dir = std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(Path::to_path_buf));
    let env_dir = std::env::var_os(assets::ASSETS_ENV_VAR).map(PathBuf::from);
    let mut candidates = assets::default_candidates(env_dir, cache, exe_dir);
    let system = PathBuf::from(SYSTEM_ASSETS_DIR);
    if !candidates.contains(&system) {
        candidates.push(system);
    }
    candidates
}

/// Loads the model from the [`asset_candidates`] (blocking work off the async threads).
pub async fn load_embedder() -> anyhow::Result<Arc<dyn Embedder>> {
    let candidates = asset_candidates();
    let embedder = tokio::task::spawn_blocking(move || {
        MiniLmEmbedder::from_candidates(&candidates, &MiniLmOptions::default())
    })
    .await
    .context("model loading task failed")??;
    Ok(Arc::new(embedder))
}

/// Starts the pipeline as `common` asks: demo (in-process simulator) or the configured tenant.
pub async fn start(
    common: &CommonArgs,
    paths: &RuntimePaths,
    tweak: impl FnOnce(&mut PipelineSettings),
) -> anyhow::Result<Running> {
    let env: HashMap<String, String> = std::env::vars().collect();
    let embedder = load_embedder().await?;
    if common.demo {
        return start_demo(common.demo_sim_port, &env, paths, embedder, tweak).await;
    }
    let config_file = common
        .config
        .clone()
        .or_else(|| paths.config_file.clone().filter(|f| f.exists()));
    let config = Config::load(config_file.as_deref(), &env)?;
    let secrets: Arc<dyn SecretStore> = Arc::new(LayeredStore::new(
        EnvStore::from_env_map(&env),
        Box::new(KeyringStore::new(APP_ID)),
    ));
    let data_dir = config
        .data_dir
        .clone()
        .unwrap_or_else(|| paths.data_dir.clone());
    let mut settings = assist_core::assemble::settings_from_config(&config);
    tweak(&mut settings);
    let handle =
        assist_core::assemble::start_pipeline(&config, secrets, embedder, &data_dir, settings)
            .await?;
    Ok(Running {
        handle,
        sim: None,
        data_dir,
    })
}

async fn start_demo(
    port: Option<u16>,
    env: &HashMap<String, String>,
    paths: &RuntimePaths,
    embedder: Arc<dyn Embedder>,
    tweak: impl FnOnce(&mut PipelineSettings),
) -> anyhow::Result<Running> {
    let demo_dir = find_demo_data(env)?;
    let articles = cxone_sim::load_articles(demo_dir.join("kb.jsonl"))?;
    let conversations = cxone_sim::load_conversations(demo_dir.join("conversations.jsonl"))?;
    let bind = SocketAddr::from((Ipv4Addr::LOCALHOST, port.unwrap_or(0)));
    let sim = SimServer::start(SimConfig {
        bind,
        articles,
        ..SimConfig::default()
    })
    .await?;
    tracing::info!(base_url = %sim.base_url(), "demo: CXone simulator started");
    eprintln!("demo: CXone simulator at {}", sim.base_url());
    // Environment overrides (e.g. SUPERVISOR_ASSIST_PIPELINE_MIN_SCORE) apply; the endpoints are the simulator's.
    let mut raw = RawConfig::default();
    raw.apply_env(env)?;
    raw.tenant = Some("demo".into());
    raw.base_url = Some(sim.base_url());
    raw.token_url = Some(sim.token_url());
    raw.events_url = Some(sim.events_url());
    let config = raw.validate()?;
    let defaults = SimConfig::default();
    let secrets: Arc<dyn SecretStore> = Arc::new(MemoryStore::with_client(
        &defaults.client_id,
        &defaults.client_secret,
    ));
    let data_dir = paths.data_dir.join("demo");
    let mut settings = assist_core::assemble::settings_from_config(&config);
    tweak(&mut settings);
    let handle =
        assist_core::assemble::start_pipeline(&config, secrets, embedder, &data_dir, settings)
            .await?;
    let summary = handle.refresh_kb().await?;
    tracing::info!(
        articles = summary.total_articles,
        "demo: knowledge base ready"
    );
    start_playlist(&sim, conversations);
    Ok(Running {
        handle,
        sim: Some(sim),
        data_dir,
    })
}

/// Plays the sample calls on repeat once the app's WebSocket is connected.
fn start_playlist(sim: &SimServer, conversations: Vec<cxone_sim::Conversation>) {
    let turn = Duration::from_millis(env_ms("SUPERVISOR_ASSIST_DEMO_TURN_MS", 1500));
    let gap = Duration::from_millis(env_ms("SUPERVISOR_ASSIST_DEMO_GAP_MS", 3000));
    sim.spawn_playlist_when_connected(conversations, turn, gap, true);
}

fn env_ms(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// `$SUPERVISOR_ASSIST_DEMO_DATA`, `./data/demo`, the repository's `data/demo` above the executable, or the
/// packaged copy next to it.
fn find_demo_data(env: &HashMap<String, String>) -> anyhow::Result<PathBuf> {
    let mut candidates: Vec<PathBuf> = env
        .get(DEMO_DATA_ENV)
        .map(PathBuf::from)
        .into_iter()
        .collect();
    if let Ok(cwd) = std::env::current_dir() {
        candidates.push(cwd.join("data/demo"));
    }
    if let Ok(exe) = std::env::current_exe() {
        candidates.extend(
            exe.ancestors()
                .skip(1)
                .take(4)
                .map(|dir| dir.join("data/demo")),
        );
        candidates.extend(exe.parent().map(|dir| dir.join("demo")));
    }
    candidates.push(PathBuf::from(SYSTEM_ASSETS_DIR).join("demo"));
    candidates
        .iter()
        .find(|dir| dir.join("kb.jsonl").is_file() && dir.join("conversations.jsonl").is_file())
        .cloned()
        .with_context(|| format!("demo data (kb.jsonl, conversations.jsonl) not found; set {DEMO_DATA_ENV}. Searched: {candidates:?}"))
}
