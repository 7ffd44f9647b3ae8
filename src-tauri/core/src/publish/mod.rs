//! Publishing approved cards to the Assist API: the [`CardSink`] seam, the error the caller branches on,
//! the pure [`RetryPolicy`], and the reqwest adapter [`HttpCardSink`].

use std::time::Duration;

use async_trait::async_trait;

use crate::auth::AuthError;
use crate::domain::CardContent;

pub mod http;
pub mod retry;

pub use http::HttpCardSink;
pub use retry::{deliver_with_retry, parse_retry_after, EndpointPause, RetryNotice, RetryPolicy};

/// Why a delivery failed, shaped by what the caller does next.
#[derive(Debug, Clone, thiserror::Error, PartialEq)]
pub enum PublishError {
    /// 429: wait (`retry_after` when the server said how long) and retry.
    #[error("rate limited by the Assist API{}", retry_after.map(|d| format!(" (retry after {d:?})")).unwrap_or_default())]
    RateLimited { retry_after: Option<Duration> },
    /// Another 4xx: the request itself is wrong; retrying cannot help.
    #[error("the Assist API rejected the card ({status}): {body}")]
    Rejected { status: u16, body: String },
    /// No usable token (or a fresh one was refused): the user must fix credentials or scopes.
    #[error("authorisation failed: {0}")]
    Auth(AuthError),
    /// 5xx or 408: the server cannot take the card now; wait (`retry_after` when it said how long) and retry.
    #[error("the Assist API is unavailable ({status}){}", retry_after.map(|d| format!(" (retry after {d:?})")).unwrap_or_default())]
    Unavailable {
        status: u16,
        retry_after: Option<Duration>,
    },
    /// Timeout or connection failure: retry later.
    #[error("temporary failure: {0}")]
    Transient(String),
}

impl PublishError {
    /// Whether waiting and trying again can succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Self::RateLimited { .. } | Self::Unavailable { .. } | Self::Transient(_)
        )
    }

    /// How long the server asked every client to wait (`Retry-After` on a 429 or 503), if it said.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::RateLimited { retry_after } | Self::Unavailable { retry_after, .. } => {
                *retry_after
            }
            _ => None,
        }
    }
}

/// Where approved cards go. One card per call; the key must stay the same across retries of that card.
#[async_trait]
pub trait CardSink: Send + Sync {
    async fn deliver(
        &self,
        interaction_id: &str,
        card: &CardContent,
        idempotency_key: &str,
    ) -> Result<(), PublishError>;
}

/// A fresh idempotency key for a new card (reuse it for every retry of that card).
pub fn new_idempotency_key() -> String {
    uuid::Uuid::new_v4().to_string()
}
