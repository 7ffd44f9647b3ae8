//! The seam between the shell and the pipeline.
//!
//! [`Backend`] mirrors `assist_core::pipeline::PipelineHandle` method for method, so the real handle plugs in with a
//! thin `impl Backend for PipelineHandle` and tests drive the shell with a fake. [`SettingsBackend`] is the seam to the
//! keychain and the token source (assist-core's `KeyringStore` and `OAuthTokenSource`).
//!
//! # Layout
//! - [`keyring_settings`]: the settings backend over the OS keychain and the token endpoint.
//! - [`offline`]: the backend used when no pipeline runs (every action says so).
//! - [`preview`]: canned interactions for UI work and WebDriver tests (`--ui-preview`), no network.

pub mod keyring_settings;
pub mod offline;
pub mod pipeline;
pub mod preview;

use std::path::Path;
use std::time::Duration;

use assist_core::domain::Article;
use assist_core::pipeline::api::{
    CardAction, KbRefreshSummary, PipelineEvent, QueueSnapshot, StatusSnapshot,
};
use async_trait::async_trait;
use tokio::sync::{broadcast, watch};

/// A failure the UI can branch on: a stable machine `kind` and a human message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct BackendError {
    /// Stable, snake_case (e.g. `unknown_card`, `invalid_client`, `keychain_locked`).
    pub kind: String,
    /// What happened and what the user can do, already safe to show (never contains a secret).
    pub message: String,
}

impl BackendError {
    /// A new error of `kind`.
    pub fn new(kind: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            kind: kind.into(),
            message: message.into(),
        }
    }
}

/// What the shell needs from the running pipeline (mirrors `PipelineHandle`).
#[async_trait]
pub trait Backend: Send + Sync + 'static {
    /// Every pipeline event from now on.
    fn subscribe(&self) -> broadcast::Receiver<PipelineEvent>;
    /// Connection, pause and KB status, latest value first.
    fn status(&self) -> watch::Receiver<StatusSnapshot>;
    /// Everything the window needs to render from scratch.
    async fn snapshot(&self) -> QueueSnapshot;
    /// Approve, edit, reject or approve-all; `who` is recorded for the audit trail.
    async fn act(&self, action: CardAction, who: &str) -> Result<(), BackendError>;
    /// Fetch changed articles now and re-embed them.
    async fn refresh_kb(&self) -> Result<KbRefreshSummary, BackendError>;
    /// Stop (or resume) suggesting cards; events keep flowing.
    fn set_paused(&self, paused: bool);
    /// The full article, for "show article".
    async fn article(&self, id: &str) -> Option<Article>;
    /// Cancel every stage and wait at most `timeout`.
    async fn shutdown(&self, timeout: Duration);
}

/// A secret received over IPC: write-only, `Debug` prints `[redacted]`, never serialised.
#[derive(Clone, serde::Deserialize)]
#[serde(transparent)]
pub struct SecretInput(String);

impl SecretInput {
    /// The secret itself, only to hand it to the keychain.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for SecretInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

/// The keychain and the token endpoint, as the settings window uses them.
#[async_trait]
pub trait SettingsBackend: Send + Sync + 'static {
    /// Store the OAuth client id and secret in the OS keychain (write-only).
    fn save_credentials(
        &self,
        client_id: &str,
        client_secret: &SecretInput,
    ) -> Result<(), BackendError>;
    /// Whether credentials are stored (never what they are).
    fn credentials_saved(&self) -> Result<bool, BackendError>;
    /// Fetch one token with the saved credentials and the config at `config_file`; the error kind says why not
    /// (`invalid_client`, `missing_scope`, `no_credentials`, `unreachable`, ...).
    async fn test_connection(&self, config_file: &Path) -> Result<(), BackendError>;
}

/// Maps assist-core's token error onto the UI's `{kind, message}`.
pub fn auth_error(error: &assist_core::auth::AuthError) -> BackendError {
    use assist_core::auth::AuthError;
    let kind = match error {
        AuthError::InvalidClient => "invalid_client",
        AuthError::MissingScope(_) => "missing_scope",
        AuthError::NoCredentials => "no_credentials",
        AuthError::Keychain(_) => "keychain",
        AuthError::Unreachable(_) => "unreachable",
        AuthError::Other(_) => "token_error",
    };
    BackendError::new(kind, error.to_string())
}
