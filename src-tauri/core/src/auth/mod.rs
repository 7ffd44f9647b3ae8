//! Credentials and access tokens: the secret store (OS keychain) and token sources.

use async_trait::async_trait;

/// A bearer token and when we must stop using it.
#[derive(Clone)]
pub struct AccessToken {
    pub value: String,
    /// When the token should be refreshed (already 300 s before the server's expiry).
    pub refresh_at: tokio::time::Instant,
}

impl std::fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessToken")
            .field("value", &"[redacted]")
            .finish()
    }
}

/// Why no token could be had; shaped by what the caller (and the UI) does next.
#[derive(Debug, Clone, thiserror::Error, PartialEq)]
pub enum AuthError {
    /// The server rejected the client id/secret (`invalid_client`): fix the credentials.
    #[error(
        "the tenant rejected the client id or secret (invalid_client); re-enter them in Settings"
    )]
    InvalidClient,
    /// A scope is missing (403 / `invalid_scope`): fix the OAuth client in the CXone admin console.
    #[error("the OAuth client lacks a required scope ({0}); grant interactions:read assist:write knowledge:read")]
    MissingScope(String),
    /// Credentials absent from the keychain and the environment.
    #[error(
        "no CXone credentials: save them in Settings or set CXONE_CLIENT_ID / CXONE_CLIENT_SECRET"
    )]
    NoCredentials,
    /// The token endpoint could not be reached or answered 5xx: retry later.
    #[error("token endpoint unreachable: {0}")]
    Unreachable(String),
    /// Anything else the server said.
    #[error("token request failed: {0}")]
    Other(String),
}

/// Where bearer tokens come from. Shared by the WebSocket and HTTP clients.
#[async_trait]
pub trait TokenSource: Send + Sync {
    /// A valid token, from cache when fresh; concurrent callers share one request.
    async fn token(&self) -> Result<AccessToken, AuthError>;
    /// Drop `stale` (e.g. after a 401) so the next `token()` fetches a new one.
    fn invalidate(&self, stale: &AccessToken);
}
