//! State shared by every handler: configuration, tokens, faults, knowledge base,
//! received cards, counters and the broadcast hub feeding the WebSockets.

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

use crate::config::SimConfig;
use crate::faults::Faults;
use crate::knowledge::KnowledgeBase;
use crate::token::TokenStore;

/// Frames buffered per WebSocket before a slow client starts losing them.
const HUB_CAPACITY: usize = 4096;

/// One assist card the simulator accepted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReceivedCard {
    /// Interaction id from the URL path.
    pub interaction_id: String,
    /// `Idempotency-Key` header of the POST, if any.
    pub idempotency_key: Option<String>,
    /// Card title.
    pub title: String,
    /// Card body.
    pub body: String,
    /// Card score.
    pub score: f64,
    /// Unix time of receipt in milliseconds.
    pub received_at_ms: u64,
}

/// Request counters, as returned by `GET /_sim/stats`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimStats {
    /// Requests to either token endpoint (successful or not).
    pub token_requests: u64,
    /// WebSocket handshakes accepted.
    pub ws_connections: u64,
    /// The bearer token of each accepted handshake, in order.
    pub ws_handshake_tokens: Vec<String>,
    /// Assist POSTs received (any outcome).
    pub assist_posts: u64,
    /// Assist POSTs answered 200 (duplicates included).
    pub assist_accepted: u64,
    /// Assist POSTs whose `Idempotency-Key` had been accepted before.
    pub duplicates_by_idempotency_key: u64,
    /// The `Idempotency-Key` of each such repeat, in order of arrival.
    pub repeated_keys: Vec<String>,
    /// Assist POSTs that arrived while a `Retry-After` window this simulator announced (on a 429 or 503) was still
    /// open: RFC 9110 asks the client not to send before it ends, for any card.
    pub assist_early_requests: u64,
    /// Knowledge requests received (any outcome).
    pub kb_requests: u64,
}

/// What the hub tells every open WebSocket.
#[derive(Debug, Clone)]
pub(crate) enum Outbound {
    /// A text frame to send as is.
    Frame(Arc<str>),
    /// Drop the connection now.
    DropAll,
    /// Re-check token expiry and fault switches.
    Recheck,
}

/// Broadcast hub from the simulator to its WebSockets.
#[derive(Clone)]
pub(crate) struct Hub {
    sender: broadcast::Sender<Outbound>,
}

impl Hub {
    fn new() -> Self {
        let (sender, _) = broadcast::channel(HUB_CAPACITY);
        Self { sender }
    }

    /// Sends to all current subscribers; nobody listening is not an error.
    pub(crate) fn send(&self, message: Outbound) {
        let _ = self.sender.send(message);
    }

    pub(crate) fn subscribe(&self) -> broadcast::Receiver<Outbound> {
        self.sender.subscribe()
    }

    pub(crate) fn has_subscribers(&self) -> bool {
        self.sender.receiver_count() > 0
    }
}

#[derive(Default)]
pub(crate) struct AssistLog {
    pub(crate) cards: Vec<ReceivedCard>,
    pub(crate) accepted_keys: HashSet<String>,
    /// Unix ms until which the last `Retry-After` asked clients to wait (0 = none announced).
    pub(crate) retry_window_until_ms: u64,
}

/// Everything the handlers share.
pub(crate) struct SharedState {
    pub(crate) config: SimConfig,
    pub(crate) base_url: String,
    pub(crate) tokens: Arc<TokenStore>,
    pub(crate) faults: Faults,
    pub(crate) hub: Hub,
    pub(crate) knowledge: Mutex<KnowledgeBase>,
    pub(crate) assist_log: Mutex<AssistLog>,
    pub(crate) stats: Mutex<SimStats>,
    pub(crate) connected: AtomicUsize,
    pub(crate) shutdown: CancellationToken,
}

impl SharedState {
    pub(crate) fn new(config: SimConfig, base_url: String) -> Arc<Self> {
        let hub = Hub::new();
        let tokens = Arc::new(TokenStore::default());
        let knowledge = KnowledgeBase::new(config.articles.clone());
        Arc::new(Self {
            faults: Faults::new(hub.clone(), tokens.clone()),
            config,
            base_url,
            tokens,
            hub,
            knowledge: Mutex::new(knowledge),
            assist_log: Mutex::new(AssistLog::default()),
            stats: Mutex::new(SimStats::default()),
            connected: AtomicUsize::new(0),
            shutdown: CancellationToken::new(),
        })
    }

    pub(crate) fn stats(&self) -> MutexGuard<'_, SimStats> {
        lock(&self.stats)
    }

    pub(crate) fn knowledge(&self) -> MutexGuard<'_, KnowledgeBase> {
        lock(&self.knowledge)
    }

    pub(crate) fn assist_log(&self) -> MutexGuard<'_, AssistLog> {
        lock(&self.assist_log)
    }

    /// Broadcasts one real event, preceded by a queued garbage frame if any (and someone listens).
    pub(crate) fn broadcast_event(&self, text: String) {
        if self.hub.has_subscribers() {
            if let Some(garbage) = self.faults.next_garbage() {
                self.hub.send(Outbound::Frame(garbage.into()));
            }
        }
        self.hub.send(Outbound::Frame(text.into()));
    }

    pub(crate) fn connected_clients(&self) -> usize {
        self.connected.load(Ordering::SeqCst)
    }
}

/// Locks a mutex, recovering the data if a panicking holder poisoned it.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Milliseconds since the Unix epoch (0 if the clock is before it).
pub(crate) fn unix_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}
