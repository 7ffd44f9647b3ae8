//! The error every command returns: `{kind, message}`, so the UI can branch on `kind` and show `message`.

use serde::Serialize;

use crate::backend::BackendError;

/// Serialised to the webview as `{"kind": "...", "message": "..."}`. Never carries a secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{kind}: {message}")]
pub struct CommandError {
    pub kind: String,
    pub message: String,
}

impl CommandError {
    /// A new error of `kind`.
    pub fn new(kind: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            kind: kind.into(),
            message: message.into(),
        }
    }
}

impl From<BackendError> for CommandError {
    fn from(error: BackendError) -> Self {
        Self {
            kind: error.kind,
            message: error.message,
        }
    }
}

impl From<tauri::Error> for CommandError {
    fn from(error: tauri::Error) -> Self {
        Self::new("shell", error.to_string())
    }
}
