//! [`WsEventSource`]: the interactions WebSocket (tokio-tungstenite, rustls with the OS trust store).
//!
//! Every (re)connect asks the [`TokenSource`] for a token and sends it as a bearer header at the handshake, so a
//! long-running session never reuses an expired token (a seed bug). A 401 at the handshake invalidates the token and
//! retries once at once; a second 401 reports `AuthFailed` and backs off. The session pings every `ping_interval`;
//! when nothing arrives within `pong_timeout` after a ping, it reconnects. Frames above `max_frame_bytes` and
//! malformed JSON are counted in [`EventStats`] and skipped; frames above the hard cap (4×) end the connection.
//! Cancellation is observed at every await, including a full event channel.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use futures_util::{SinkExt, StreamExt};
use rand::rngs::StdRng;
use rand::SeedableRng;
use tokio::sync::{mpsc, watch};
use tokio::time::{sleep, sleep_until, Instant};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::{header, HeaderValue, StatusCode};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_util::sync::CancellationToken;
use url::Url;

use super::backoff::Backoff;
use super::protocol::{parse_frame, Parsed};
use super::{ConnectionStatus, EventSource};
use crate::auth::{AccessToken, AuthError, TokenSource};
use crate::config::Config;
use crate::domain::InteractionEvent;

/// Connection settings.
#[derive(Debug, Clone)]
pub struct WsSettings {
    pub url: Url,
    pub ping_interval: Duration,
    pub pong_timeout: Duration,
    pub connect_timeout: Duration,
    /// Frames larger than this are skipped (and counted).
    pub max_frame_bytes: usize,
    pub backoff: Backoff,
}

impl From<&Config> for WsSettings {
    fn from(config: &Config) -> Self {
        Self {
            url: config.events_url.clone(),
            ping_interval: config.ping_interval,
            pong_timeout: config.pong_timeout,
            connect_timeout: config.connect_timeout,
            max_frame_bytes: config.max_frame_bytes,
            backoff: Backoff::default(),
        }
    }
}

/// Counters the status view and tests read.
#[derive(Debug, Default)]
pub struct EventStats {
    pub connects: AtomicU64,
    pub frames: AtomicU64,
    pub events: AtomicU64,
    pub ignored: AtomicU64,
    pub malformed: AtomicU64,
    pub oversized: AtomicU64,
    pub auth_rejections: AtomicU64,
}

/// A copy of [`EventStats`] at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EventStatsSnapshot {
    pub connects: u64,
    pub frames: u64,
    pub events: u64,
    pub ignored: u64,
    pub malformed: u64,
    pub oversized: u64,
    pub auth_rejections: u64,
}

impl EventStats {
    pub fn snapshot(&self) -> EventStatsSnapshot {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        EventStatsSnapshot {
            connects: get(&self.connects),
            frames: get(&self.frames),
            events: get(&self.events),
            ignored: get(&self.ignored),
            malformed: get(&self.malformed),
            oversized: get(&self.oversized),
            auth_rejections: get(&self.auth_rejections),
        }
    }
}

fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

/// How one connection attempt or session ended.
enum SessionEnd {
    Cancelled,
    /// The pipeline dropped the receiver: nothing left to do.
    ReceiverGone,
    Dropped {
        uptime: Duration,
        reason: String,
    },
    Unauthorized(AccessToken),
    Auth(AuthError),
}

/// The WebSocket event source.
pub struct WsEventSource {
    settings: WsSettings,
    tokens: Arc<dyn TokenSource>,
    stats: Arc<EventStats>,
}

impl WsEventSource {
    pub fn new(settings: WsSettings, tokens: Arc<dyn TokenSource>) -> Self {
        Self {
            settings,
            tokens,
            stats: Arc::default(),
        }
    }

    /// Shared counters (frames, malformed, oversized, ...).
    pub fn stats(&self) -> Arc<EventStats> {
        Arc::clone(&self.stats)
    }

    async fn connect_and_serve(
        &self,
        tx: &mpsc::Sender<InteractionEvent>,
        status: &watch::Sender<ConnectionStatus>,
        cancel: &CancellationToken,
    ) -> SessionEnd {
        let token = match self.tokens.token().await {
            Ok(token) => token,
            Err(error) => return SessionEnd::Auth(error),
        };
        let request = match self.handshake_request(&token) {
            Ok(request) => request,
            Err(reason) => {
                return SessionEnd::Dropped {
                    uptime: Duration::ZERO,
                    reason,
                }
            }
        };
        let hard_cap = self.settings.max_frame_bytes.saturating_mul(4);
        let ws_config = WebSocketConfig::default()
            .max_message_size(Some(hard_cap))
            .max_frame_size(Some(hard_cap));
        let connect = tokio_tungstenite::connect_async_with_config(request, Some(ws_config), true);
        let socket = match tokio::time::timeout(self.settings.connect_timeout, connect).await {
            Err(_) => return dropped_now("handshake timed out"),
            Ok(Ok((socket, _response))) => socket,
            Ok(Err(WsError::Http(response))) if response.status() == StatusCode::UNAUTHORIZED => {
                bump(&self.stats.auth_rejections);
                return SessionEnd::Unauthorized(token);
            }
            Ok(Err(WsError::Http(response))) if response.status() == StatusCode::FORBIDDEN => {
                return SessionEnd::Auth(AuthError::MissingScope("interactions:read".into()));
            }
            Ok(Err(WsError::Http(response))) => {
                return dropped_now(&format!("handshake refused: {}", response.status()))
            }
            Ok(Err(error)) => return dropped_now(&format!("connect failed: {error}")),
        };
        bump(&self.stats.connects);
        tracing::info!(url = %self.settings.url, "interactions stream connected");
        status.send_replace(ConnectionStatus::Connected);
        let connected_at = Instant::now();
        let reason = match self.serve(socket, tx, cancel).await {
            Ok(end) => return end,
            Err(reason) => reason,
        };
        SessionEnd::Dropped {
            uptime: connected_at.elapsed(),
            reason,
        }
    }

    fn handshake_request(
        &self,
        token: &AccessToken,
    ) -> Result<tokio_tungstenite::tungstenite::handshake::client::Request, String> {
        let mut request = self
            .settings
            .url
            .as_str()
            .into_client_request()
            .map_err(|e| format!("bad events URL: {e}"))?;
        let mut bearer = HeaderValue::from_str(&format!("Bearer {}", token.value))
            .map_err(|_| "token is not a valid header value".to_owned())?;
        bearer.set_sensitive(true);
        request.headers_mut().insert(header::AUTHORIZATION, bearer);
        request
            .headers_mut()
            .insert(header::ACCEPT, HeaderValue::from_static("application/json"));
        Ok(request)
    }

    /// Reads frames until the connection drops (`Err(reason)`) or the session must stop (`Ok(end)`).
    async fn serve<S>(
        &self,
        socket: tokio_tungstenite::WebSocketStream<S>,
        tx: &mpsc::Sender<InteractionEvent>,
        cancel: &CancellationToken,
    ) -> Result<SessionEnd, String>
    where
        S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
    {
        let (mut sink, mut stream) = socket.split();
        let period = self.settings.ping_interval;
        let mut ping = tokio::time::interval_at(Instant::now() + period, period);
        let mut awaiting_since: Option<Instant> = None;
        loop {
            let pong_deadline = awaiting_since.map(|since| since + self.settings.pong_timeout);
            tokio::select! {
                biased;
                _ = cancel.cancelled() => {
                    let _ = tokio::time::timeout(Duration::from_secs(1), sink.send(Message::Close(None))).await;
                    return Ok(SessionEnd::Cancelled);
                }
                frame = stream.next() => {
                    awaiting_since = None;
                    let message = match frame {
                        None => return Err("closed by the server".into()),
                        Some(Err(WsError::Capacity(e))) => {
                            bump(&self.stats.oversized);
                            return Err(format!("frame above the hard size cap: {e}"));
                        }
                        Some(Err(e)) => return Err(format!("read failed: {e}")),
                        Some(Ok(message)) => message,
                    };
                    if let Some(end) = self.handle_message(message, tx, cancel).await? {
                        return Ok(end);
                    }
                }
                _ = ping.tick() => {
                    sink.send(Message::Ping(Vec::new().into())).await.map_err(|e| format!("ping failed: {e}"))?;
                    awaiting_since.get_or_insert_with(Instant::now);
                }
                _ = sleep_until(pong_deadline.unwrap_or_else(Instant::now)), if pong_deadline.is_some() => {
                    return Err(format!("no pong within {:?}", self.settings.pong_timeout));
                }
            }
        }
    }

    async fn handle_message(
        &self,
        message: Message,
        tx: &mpsc::Sender<InteractionEvent>,
        cancel: &CancellationToken,
    ) -> Result<Option<SessionEnd>, String> {
        let text = match message {
            Message::Text(text) => text,
            Message::Binary(bytes) => match String::from_utf8(bytes.to_vec()) {
                Ok(text) => text.into(),
                Err(_) => {
                    bump(&self.stats.malformed);
                    tracing::warn!(
                        len = bytes.len(),
                        "skipping a binary frame that is not UTF-8"
                    );
                    return Ok(None);
                }
            },
            Message::Close(frame) => return Err(format!("closed by the server ({frame:?})")),
            Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => return Ok(None),
        };
        bump(&self.stats.frames);
        if text.len() > self.settings.max_frame_bytes {
            bump(&self.stats.oversized);
            tracing::warn!(
                len = text.len(),
                max = self.settings.max_frame_bytes,
                "skipping an oversized frame"
            );
            return Ok(None);
        }
        match parse_frame(text.as_str()) {
            Parsed::Event(event) => {
                bump(&self.stats.events);
                tokio::select! {
                    _ = cancel.cancelled() => Ok(Some(SessionEnd::Cancelled)),
                    sent = tx.send(event) => Ok(sent.err().map(|_| SessionEnd::ReceiverGone)),
                }
            }
            Parsed::Ignored(kind) => {
                bump(&self.stats.ignored);
                tracing::trace!(%kind, "ignoring frame");
                Ok(None)
            }
            Parsed::Malformed(reason) => {
                bump(&self.stats.malformed);
                tracing::warn!(%reason, len = text.len(), "skipping a malformed frame");
                Ok(None)
            }
        }
    }
}

fn dropped_now(reason: &str) -> SessionEnd {
    SessionEnd::Dropped {
        uptime: Duration::ZERO,
        reason: reason.to_owned(),
    }
}

/// Whether retrying can help: bad credentials or scopes need the user.
fn needs_user(error: &AuthError) -> bool {
    !matches!(error, AuthError::Unreachable(_) | AuthError::Other(_))
}

#[async_trait]
impl EventSource for WsEventSource {
    async fn run(
        self: Box<Self>,
        tx: mpsc::Sender<InteractionEvent>,
        status: watch::Sender<ConnectionStatus>,
        cancel: CancellationToken,
    ) {
        let mut backoff = self.settings.backoff.clone();
        let mut rng = StdRng::from_entropy();
        let mut retried_unauthorized = false;
        status.send_replace(ConnectionStatus::Connecting);
        loop {
            let end = tokio::select! {
                biased;
                _ = cancel.cancelled() => break,
                end = self.connect_and_serve(&tx, &status, &cancel) => end,
            };
            let next_status = match end {
                SessionEnd::Cancelled | SessionEnd::ReceiverGone => break,
                SessionEnd::Unauthorized(stale) => {
                    self.tokens.invalidate(&stale);
                    if !retried_unauthorized {
                        retried_unauthorized = true;
                        tracing::info!("handshake got 401; retrying once with a fresh token");
                        continue;
                    }
                    ConnectionStatus::AuthFailed {
                        reason: "the events endpoint rejected a fresh token (401)".into(),
                    }
                }
                SessionEnd::Auth(error) if needs_user(&error) => ConnectionStatus::AuthFailed {
                    reason: error.to_string(),
                },
                SessionEnd::Auth(error) => reconnecting(&backoff, error.to_string()),
                SessionEnd::Dropped { uptime, reason } => {
                    if uptime > Duration::ZERO {
                        retried_unauthorized = false;
                    }
                    backoff.connection_lasted(uptime);
                    reconnecting(&backoff, reason)
                }
            };
            tracing::warn!(status = ?next_status, "interactions stream interrupted");
            status.send_replace(next_status);
            let delay = backoff.next_delay(&mut rng);
            tokio::select! {
                biased;
                _ = cancel.cancelled() => break,
                _ = sleep(delay) => {}
            }
        }
        status.send_replace(ConnectionStatus::Stopped);
    }
}

fn reconnecting(backoff: &Backoff, reason: String) -> ConnectionStatus {
    ConnectionStatus::Reconnecting {
        attempt: backoff.attempt() + 1,
        reason,
    }
}
