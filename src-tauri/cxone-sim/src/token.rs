//! Token issuing and checking: `POST /oauth/token` (client credentials, as the seed uses),
//! `POST /auth/token` (CXone's access-key password grant, approximated) and
//! `GET /.well-known/cxone-configuration`.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Form, Json};
use base64::Engine;
use serde_json::json;
use tokio::time::Instant;

use crate::state::{lock, SharedState};

struct TokenRecord {
    expires_at: Instant,
    scopes: HashSet<String>,
}

/// Why a bearer token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// Missing, unknown or expired token: 401.
    InvalidToken,
    /// Valid token without the needed scope: 403.
    MissingScope,
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        match self {
            Self::InvalidToken => error_response(StatusCode::UNAUTHORIZED, "invalid_token"),
            Self::MissingScope => error_response(StatusCode::FORBIDDEN, "insufficient_scope"),
        }
    }
}

/// Issued tokens with their expiry and scopes.
#[derive(Default)]
pub(crate) struct TokenStore {
    tokens: Mutex<HashMap<String, TokenRecord>>,
}

impl TokenStore {
    fn issue(&self, ttl: Duration, scopes: HashSet<String>) -> String {
        let token = format!("sim-{}", uuid::Uuid::new_v4().simple());
        let record = TokenRecord {
            expires_at: Instant::now() + ttl,
            scopes,
        };
        lock(&self.tokens).insert(token.clone(), record);
        token
    }

    /// When `token` expires, if it was ever issued.
    pub(crate) fn expires_at(&self, token: &str) -> Option<Instant> {
        lock(&self.tokens).get(token).map(|r| r.expires_at)
    }

    /// Accepts `token` if it is known, unexpired and carries `scope`.
    pub(crate) fn check(&self, token: &str, scope: &str) -> Result<(), Refusal> {
        let tokens = lock(&self.tokens);
        let record = tokens.get(token).ok_or(Refusal::InvalidToken)?;
        if record.expires_at <= Instant::now() {
            return Err(Refusal::InvalidToken);
        }
        if !record.scopes.contains(scope) {
            return Err(Refusal::MissingScope);
        }
        Ok(())
    }

    pub(crate) fn expire_all(&self) {
        let now = Instant::now();
        for record in lock(&self.tokens).values_mut() {
            record.expires_at = record.expires_at.min(now);
        }
    }
}

/// The bearer token of a request, if it has one.
pub(crate) fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// Checks the request's bearer token for `scope`.
pub(crate) fn authorize(
    state: &SharedState,
    headers: &HeaderMap,
    scope: &str,
) -> Result<String, Refusal> {
    let token = bearer_token(headers).ok_or(Refusal::InvalidToken)?;
    state.tokens.check(token, scope)?;
    Ok(token.to_owned())
}

/// `{"error": code}` with `status`.
pub(crate) fn error_response(status: StatusCode, code: &str) -> Response {
    (status, Json(json!({ "error": code }))).into_response()
}

/// Client id and secret from HTTP Basic, else from the form.
fn client_credentials(
    headers: &HeaderMap,
    form: &HashMap<String, String>,
) -> Option<(String, String)> {
    if let Some(basic) = basic_credentials(headers) {
        return Some(basic);
    }
    Some((
        form.get("client_id")?.clone(),
        form.get("client_secret")?.clone(),
    ))
}

fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    Some((id.to_owned(), secret.to_owned()))
}

/// Checks client, grant type and scope; on success issues a token and returns it with TTL and scopes.
fn grant(
    state: &SharedState,
    headers: &HeaderMap,
    form: &HashMap<String, String>,
    grant_type: &str,
    owner_ok: bool,
) -> Result<(String, Duration, String), Response> {
    state.stats().token_requests += 1;
    let config = &state.config;
    let client_ok = client_credentials(headers, form)
        .is_some_and(|(id, secret)| id == config.client_id && secret == config.client_secret);
    if !client_ok || state.faults.snapshot().reject_client {
        tracing::info!("token request refused: invalid_client");
        return Err(error_response(StatusCode::UNAUTHORIZED, "invalid_client"));
    }
    if form.get("grant_type").map(String::as_str) != Some(grant_type) {
        return Err(error_response(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
        ));
    }
    if !owner_ok {
        return Err(error_response(StatusCode::BAD_REQUEST, "invalid_grant"));
    }
    let granted: HashSet<&str> = config.granted_scopes.split_whitespace().collect();
    let requested: HashSet<&str> = match form.get("scope") {
        Some(scope) if !scope.trim().is_empty() => scope.split_whitespace().collect(),
        _ => granted.clone(),
    };
    if !requested.is_subset(&granted) {
        return Err(error_response(StatusCode::BAD_REQUEST, "invalid_scope"));
    }
    let ttl = token_ttl(state);
    let mut scope_list: Vec<&str> = requested.iter().copied().collect();
    scope_list.sort_unstable();
    let scopes = requested.into_iter().map(str::to_owned).collect();
    let token = state.tokens.issue(ttl, scopes);
    Ok((token, ttl, scope_list.join(" ")))
}

fn token_ttl(state: &SharedState) -> Duration {
    match state.faults.snapshot().token_ttl_ms {
        0 => Duration::from_secs(state.config.token_ttl_secs),
        ms => Duration::from_millis(ms),
    }
}

/// `expires_in` seconds, rounded up so a sub-second TTL is still positive.
fn expires_in(ttl: Duration) -> u64 {
    ttl.as_millis()
        .div_ceil(1000)
        .try_into()
        .unwrap_or(u64::MAX)
}

/// `POST /oauth/token`: OAuth 2.0 client credentials (form or HTTP Basic client auth).
pub(crate) async fn oauth_token(
    State(state): State<Arc<SharedState>>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    match grant(&state, &headers, &form, "client_credentials", true) {
        Ok((token, ttl, scope)) => Json(json!({
            "access_token": token,
            "token_type": "bearer",
            "expires_in": expires_in(ttl),
            "scope": scope,
        }))
        .into_response(),
        Err(response) => response,
    }
}

/// `POST /auth/token`: CXone's access-key flow (password grant; client in HTTP Basic,
/// access key id/secret as username/password).
pub(crate) async fn access_key_token(
    State(state): State<Arc<SharedState>>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let config = &state.config;
    let key_ok = form.get("username") == Some(&config.access_key_id)
        && form.get("password") == Some(&config.access_key_secret);
    let (token, ttl, scope) = match grant(&state, &headers, &form, "password", key_ok) {
        Ok(granted) => granted,
        Err(response) => return response,
    };
    Json(json!({
        "access_token": token,
        "token_type": "bearer",
        "expires_in": expires_in(ttl),
        "scope": scope,
        "id_token": format!("sim-id-{}", uuid::Uuid::new_v4().simple()),
        "resource_server_base_uri": state.base_url,
    }))
    .into_response()
}

/// `GET /.well-known/cxone-configuration`: where the API and auth endpoints live (both this server).
pub(crate) async fn discovery(State(state): State<Arc<SharedState>>) -> Response {
    Json(json!({
        "api_endpoint": state.base_url,
        "auth_endpoint": state.base_url,
        "token_endpoint": format!("{}/auth/token", state.base_url),
    }))
    .into_response()
}
