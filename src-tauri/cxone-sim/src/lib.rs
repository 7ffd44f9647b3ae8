//! A loopback simulator of the CXone endpoints the seed tutorial uses, with fault switches.
//! Demo mode, integration tests and benchmarks run against it.
//!
//! The endpoints follow the seed tutorial's shapes, not CXone's documented public API.
//!
//! # Layout
//! - [`config`]: [`SimConfig`], fixture types and JSONL loaders.
//! - `state`: shared state, counters, received cards, WebSocket hub.
//! - [`faults`]: run-time fault switches ([`Faults`], [`FaultPatch`]).
//! - `token`: `/oauth/token`, `/auth/token`, `/.well-known/cxone-configuration`, bearer checks.
//! - `ws`: the interactions events WebSocket.
//! - `assist`: the assist card endpoint.
//! - `knowledge`: the paged, conditional knowledge endpoint.
//! - `control`: the loopback-only `/_sim/*` control API.
//! - [`script`]: conversation playback.

pub mod config;
pub mod faults;
pub mod script;

mod assist;
mod control;
mod knowledge;
mod state;
mod token;
mod ws;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use tokio::task::JoinHandle;

pub use config::{load_articles, load_conversations, Conversation, SimArticle, SimConfig, Turn};
pub use faults::{FaultPatch, FaultSettings, Faults};
pub use state::{ReceivedCard, SimStats};
pub use ws::TOKEN_EXPIRED_CLOSE_CODE;

use state::SharedState;

/// How long [`SimServer::shutdown`] waits for the server task before aborting it.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// A running simulator bound to a loopback port.
pub struct SimServer {
    state: Arc<SharedState>,
    addr: SocketAddr,
    server: JoinHandle<()>,
}

impl SimServer {
    /// Binds `cfg.bind` and starts serving in a background task.
    pub async fn start(cfg: SimConfig) -> anyhow::Result<SimServer> {
        let listener = tokio::net::TcpListener::bind(cfg.bind)
            .await
            .with_context(|| format!("binding {}", cfg.bind))?;
        let addr = listener.local_addr().context("reading the bound address")?;
        let state = SharedState::new(cfg, format!("http://{addr}"));
        let app = router(state.clone());
        let shutdown = state.shutdown.clone();
        let server = tokio::spawn(async move {
            let service = app.into_make_service_with_connect_info::<SocketAddr>();
            let served = axum::serve(listener, service)
                .with_graceful_shutdown(shutdown.cancelled_owned())
                .await;
            if let Err(error) = served {
                tracing::error!(%error, "simulator server stopped with an error");
            }
        });
        tracing::info!(%addr, "cxone-sim started");
        Ok(SimServer {
            state,
            addr,
            server,
        })
    }

    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        self.state.base_url.clone()
    }

    /// `ws://127.0.0.1:PORT/api/v2/interactions/events`.
    pub fn events_url(&self) -> String {
        format!("ws://{}/api/v2/interactions/events", self.addr)
    }

    /// `{base}/oauth/token`.
    pub fn token_url(&self) -> String {
        format!("{}/oauth/token", self.state.base_url)
    }

    /// The run-time fault switches.
    pub fn faults(&self) -> &Faults {
        &self.state.faults
    }

    /// Broadcasts `json` as one text frame to every connected WebSocket client.
    pub fn send_event(&self, json: serde_json::Value) {
        self.state.broadcast_event(json.to_string());
    }

    /// Broadcasts `text` as is (e.g. a malformed frame).
    pub fn send_raw_text(&self, text: String) {
        self.state.broadcast_event(text);
    }

    /// Plays one conversation: an `active` event per turn with the cumulative transcript,
    /// `turn_interval` apart, then an `ended` event.
    pub async fn play(&self, conv: &Conversation, turn_interval: Duration) {
        script::play(&self.state, conv, &conv.id, turn_interval).await;
    }

    /// Plays `convs` in a background task with `gap` between conversations, looping if `repeat`
    /// (later rounds use ids `<id>-r<round>`). The task ends at [`SimServer::shutdown`].
    pub fn spawn_playlist(
        &self,
        convs: Vec<Conversation>,
        turn_interval: Duration,
        gap: Duration,
        repeat: bool,
    ) -> JoinHandle<()> {
        script::spawn_playlist(self.state.clone(), convs, turn_interval, gap, repeat)
    }

    /// Like [`SimServer::spawn_playlist`], but waits until a WebSocket client is connected (demo mode:
    /// the first call should not be played to nobody).
    pub fn spawn_playlist_when_connected(
        &self,
        convs: Vec<Conversation>,
        turn_interval: Duration,
        gap: Duration,
        repeat: bool,
    ) -> JoinHandle<()> {
        let state = self.state.clone();
        tokio::spawn(async move {
            while state.connected_clients() == 0 && !state.shutdown.is_cancelled() {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            let _ = script::spawn_playlist(state, convs, turn_interval, gap, repeat).await;
        })
    }

    /// Every card accepted by the assist endpoint, in order.
    pub fn received_cards(&self) -> Vec<ReceivedCard> {
        self.state.assist_log().cards.clone()
    }

    /// Request counters.
    pub fn stats(&self) -> SimStats {
        self.state.stats().clone()
    }

    /// Inserts or replaces an article and moves Last-Modified forward.
    pub fn upsert_article(&self, a: SimArticle) {
        self.state.knowledge().upsert(a);
    }

    /// Deletes an article (if present) and moves Last-Modified forward.
    pub fn delete_article(&self, id: &str) {
        self.state.knowledge().delete(id);
    }

    /// WebSocket clients currently connected.
    pub fn connected_clients(&self) -> usize {
        self.state.connected_clients()
    }

    /// Stops serving: closes every WebSocket and playlist, then waits for the server task.
    pub async fn shutdown(self) {
        self.state.shutdown.cancel();
        let mut server = self.server;
        if tokio::time::timeout(SHUTDOWN_GRACE, &mut server)
            .await
            .is_err()
        {
            tracing::warn!("simulator did not stop in time; aborting it");
            server.abort();
        }
        tracing::info!(addr = %self.addr, "cxone-sim stopped");
    }
}

fn router(state: Arc<SharedState>) -> Router {
    let cxone = Router::new()
        .route("/oauth/token", post(token::oauth_token))
        .route("/auth/token", post(token::access_key_token))
        .route("/.well-known/cxone-configuration", get(token::discovery))
        .route("/api/v2/interactions/events", get(ws::events))
        .route(
            "/api/v2/interactions/{id}/assist",
            post(assist::post_assist),
        )
        .route("/api/v2/knowledge/articles", get(knowledge::list_articles))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            http_delay,
        ));
    cxone.merge(control::routes()).with_state(state)
}

/// Applies the `http_delay_ms` fault before every CXone endpoint.
async fn http_delay(
    State(state): State<Arc<SharedState>>,
    request: Request,
    next: Next,
) -> Response {
    let delay_ms = state.faults.snapshot().http_delay_ms;
    if delay_ms > 0 {
        tokio::time::sleep(Duration::from_millis(delay_ms)).await;
    }
    next.run(request).await
}
