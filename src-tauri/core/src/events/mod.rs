//! The interactions stream: protocol parsing, the WebSocket client, reconnect backoff.

use async_trait::async_trait;

pub mod backoff;
pub mod protocol;
pub mod ws;

pub use protocol::{parse_frame, Parsed};
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;
pub use ws::{EventStats, EventStatsSnapshot, WsEventSource, WsSettings};

use crate::domain::InteractionEvent;

/// Connection state shown in the tray.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ConnectionStatus {
    Connecting,
    Connected,
    Reconnecting { attempt: u32, reason: String },
    AuthFailed { reason: String },
    Stopped,
}

/// A source of interaction events (the seed's WebSocket; later e.g. CXone's Agent API long-poll).
#[async_trait]
pub trait EventSource: Send {
    /// Runs until `cancel` fires, sending parsed events into `tx` and status into `status`.
    async fn run(
        self: Box<Self>,
        tx: mpsc::Sender<InteractionEvent>,
        status: watch::Sender<ConnectionStatus>,
        cancel: CancellationToken,
    );
}
