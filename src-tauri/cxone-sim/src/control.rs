//! The `/_sim/*` control API for out-of-process tests. Only loopback peers may use it.
//!
//! | route | body | effect |
//! |---|---|---|
//! | `GET /_sim/cards` | | JSON list of [`crate::ReceivedCard`] |
//! | `GET /_sim/stats` | | [`crate::SimStats`] |
//! | `GET /_sim/faults` | | [`crate::FaultSettings`] |
//! | `POST /_sim/faults` | [`crate::FaultPatch`] | applies it, answers the new settings |
//! | `POST /_sim/events` | any text | broadcast as one WebSocket text frame |
//! | `POST /_sim/kb/upsert` | article or array of articles | upsert, bump Last-Modified |
//! | `POST /_sim/kb/delete` | `{"id": "..."}` | delete, bump Last-Modified |

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use crate::config::SimArticle;
use crate::faults::FaultPatch;
use crate::state::SharedState;
use crate::token::error_response;

/// The control routes, guarded so only loopback peers reach them.
pub(crate) fn routes() -> Router<Arc<SharedState>> {
    Router::new()
        .route("/_sim/cards", get(cards))
        .route("/_sim/stats", get(stats))
        .route("/_sim/faults", get(faults).post(set_faults))
        .route("/_sim/events", post(send_event))
        .route("/_sim/kb/upsert", post(kb_upsert))
        .route("/_sim/kb/delete", post(kb_delete))
        .layer(axum::middleware::from_fn(loopback_only))
}

async fn loopback_only(
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
    next: Next,
) -> Response {
    if !peer.ip().is_loopback() {
        tracing::warn!(%peer, "control API refused to a non-loopback peer");
        return error_response(StatusCode::FORBIDDEN, "loopback_only");
    }
    next.run(request).await
}

async fn cards(State(state): State<Arc<SharedState>>) -> Response {
    Json(state.assist_log().cards.clone()).into_response()
}

async fn stats(State(state): State<Arc<SharedState>>) -> Response {
    Json(state.stats().clone()).into_response()
}

async fn faults(State(state): State<Arc<SharedState>>) -> Response {
    Json(state.faults.snapshot()).into_response()
}

async fn set_faults(
    State(state): State<Arc<SharedState>>,
    Json(patch): Json<FaultPatch>,
) -> Response {
    tracing::info!(?patch, "faults changed via control API");
    state.faults.apply(patch);
    Json(state.faults.snapshot()).into_response()
}

async fn send_event(State(state): State<Arc<SharedState>>, body: String) -> Response {
    state.broadcast_event(body);
    Json(json!({"status": "ok", "connected_clients": state.connected_clients()})).into_response()
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    Many(Vec<SimArticle>),
    One(SimArticle),
}

async fn kb_upsert(State(state): State<Arc<SharedState>>, Json(body): Json<OneOrMany>) -> Response {
    let articles = match body {
        OneOrMany::Many(articles) => articles,
        OneOrMany::One(article) => vec![article],
    };
    let mut kb = state.knowledge();
    let count = articles.len();
    for article in articles {
        kb.upsert(article);
    }
    Json(json!({"status": "ok", "upserted": count, "last_modified_unix": kb.last_modified_secs()}))
        .into_response()
}

#[derive(Deserialize)]
struct DeleteRequest {
    id: String,
}

async fn kb_delete(
    State(state): State<Arc<SharedState>>,
    Json(request): Json<DeleteRequest>,
) -> Response {
    let mut kb = state.knowledge();
    let deleted = kb.delete(&request.id);
    Json(json!({"status": "ok", "deleted": deleted, "last_modified_unix": kb.last_modified_secs()}))
        .into_response()
}
