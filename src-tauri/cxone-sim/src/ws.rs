//! `GET /api/v2/interactions/events`: the interactions WebSocket. The handshake needs a
//! bearer token with `interactions:read`; the socket is closed with 4001 "token expired"
//! when that token expires, and obeys the drop / ignore-pings faults.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::broadcast::Receiver;

use crate::state::{Outbound, SharedState};
use crate::token::authorize;

/// Close code sent when the connection's token expires.
pub const TOKEN_EXPIRED_CLOSE_CODE: u16 = 4001;

/// `GET /api/v2/interactions/events` (WebSocket upgrade).
pub(crate) async fn events(
    State(state): State<Arc<SharedState>>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    let token = match authorize(&state, &headers, "interactions:read") {
        Ok(token) => token,
        Err(refusal) => return refusal.into_response(),
    };
    {
        let mut stats = state.stats();
        stats.ws_connections += 1;
        stats.ws_handshake_tokens.push(token.clone());
    }
    // Subscribe before answering, so no event sent after the handshake is missed.
    let receiver = state.hub.subscribe();
    upgrade.on_upgrade(move |socket| async move {
        let _guard = ConnectedGuard::new(&state);
        Connection::new(state.clone(), token, receiver, socket)
            .run()
            .await;
    })
}

/// Counts a client as connected for its lifetime.
struct ConnectedGuard {
    state: Arc<SharedState>,
}

impl ConnectedGuard {
    fn new(state: &Arc<SharedState>) -> Self {
        state.connected.fetch_add(1, Ordering::SeqCst);
        Self {
            state: state.clone(),
        }
    }
}

impl Drop for ConnectedGuard {
    fn drop(&mut self) {
        self.state.connected.fetch_sub(1, Ordering::SeqCst);
    }
}

/// What the connection loop decided after one wake-up.
enum Step {
    Continue,
    /// Close with 4001 "token expired".
    TokenExpired,
    /// Drop without a close frame.
    Drop,
    /// The client went away or closed.
    Gone,
}

struct Connection {
    state: Arc<SharedState>,
    token: String,
    receiver: Receiver<Outbound>,
    sink: SplitSink<WebSocket, Message>,
    stream: SplitStream<WebSocket>,
    frames_sent: u64,
}

impl Connection {
    fn new(
        state: Arc<SharedState>,
        token: String,
        receiver: Receiver<Outbound>,
        socket: WebSocket,
    ) -> Self {
        let (sink, stream) = socket.split();
        Self {
            state,
            token,
            receiver,
            sink,
            stream,
            frames_sent: 0,
        }
    }

    async fn run(mut self) {
        tracing::debug!("events socket opened");
        loop {
            match self.step().await {
                Step::Continue => {}
                Step::TokenExpired => {
                    tracing::debug!("closing events socket: token expired");
                    let frame = CloseFrame {
                        code: TOKEN_EXPIRED_CLOSE_CODE,
                        reason: "token expired".into(),
                    };
                    let _ = self.sink.send(Message::Close(Some(frame))).await;
                    break;
                }
                Step::Drop => {
                    tracing::debug!("dropping events socket (fault)");
                    break;
                }
                Step::Gone => break,
            }
        }
    }

    /// Waits for the next thing to do: token expiry, a hub message, a client frame or shutdown.
    async fn step(&mut self) -> Step {
        let Some(expires_at) = self.state.tokens.expires_at(&self.token) else {
            return Step::TokenExpired;
        };
        let reading = !self.state.faults.snapshot().ignore_pings;
        tokio::select! {
            _ = tokio::time::sleep_until(expires_at) => Step::TokenExpired,
            _ = self.state.shutdown.cancelled() => Step::Drop,
            message = self.receiver.recv() => self.on_hub(message).await,
            incoming = self.stream.next(), if reading => match incoming {
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => Step::Gone,
                // Pings are answered by the WebSocket layer while we keep reading.
                Some(Ok(_)) => Step::Continue,
            },
        }
    }

    async fn on_hub(&mut self, message: Result<Outbound, RecvError>) -> Step {
        match message {
            Ok(Outbound::Frame(text)) => {
                if self
                    .sink
                    .send(Message::Text(text.as_ref().into()))
                    .await
                    .is_err()
                {
                    return Step::Gone;
                }
                self.frames_sent += 1;
                let drop_after = self.state.faults.snapshot().drop_after_events;
                if drop_after > 0 && self.frames_sent % drop_after == 0 {
                    return Step::Drop;
                }
                Step::Continue
            }
            Ok(Outbound::DropAll) => Step::Drop,
            Ok(Outbound::Recheck) => Step::Continue,
            Err(RecvError::Lagged(missed)) => {
                tracing::warn!(missed, "events socket lagged; frames lost");
                Step::Continue
            }
            Err(RecvError::Closed) => Step::Gone,
        }
    }
}
