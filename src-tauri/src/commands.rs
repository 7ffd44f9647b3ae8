//! The queue window's commands: each deserialises, calls the backend, maps the error to `{kind, message}`.

use std::sync::Arc;

use assist_core::domain::Article;
use assist_core::pipeline::api::{CardAction, QueueSnapshot, StatusSnapshot};
use tauri::{AppHandle, Runtime, State};

use crate::error::CommandError;
use crate::state::ShellState;

/// Recorded as the actor of window actions in the audit trail.
pub const WINDOW_ACTOR: &str = "supervisor";

/// Everything the queue window renders from scratch.
#[tauri::command]
pub async fn get_snapshot(
    state: State<'_, Arc<ShellState>>,
) -> Result<QueueSnapshot, CommandError> {
    Ok(state.backend.snapshot().await)
}

/// The current status (connection, pause, pending cards, KB freshness).
#[tauri::command]
pub fn get_status(state: State<'_, Arc<ShellState>>) -> StatusSnapshot {
    state.backend.status().borrow().clone()
}

/// Approve, edit-and-approve, reject, or approve all for one interaction.
#[tauri::command]
pub async fn act_on_card(
    state: State<'_, Arc<ShellState>>,
    action: CardAction,
) -> Result<(), CommandError> {
    state
        .backend
        .act(action, WINDOW_ACTOR)
        .await
        .map_err(CommandError::from)
}

/// The full article for "Show article" (the window renders it as inert text).
#[tauri::command]
pub async fn get_article(
    state: State<'_, Arc<ShellState>>,
    id: String,
) -> Result<Article, CommandError> {
    state.backend.article(&id).await.ok_or_else(|| {
        CommandError::new("not_found", format!("article {id} is not in the local KB"))
    })
}

/// Starts a KB refresh; progress and the result arrive as events.
#[tauri::command]
pub fn refresh_kb<R: Runtime>(app: AppHandle<R>, state: State<'_, Arc<ShellState>>) {
    crate::tray::start_kb_refresh(app, Arc::clone(&state));
}

/// Pauses or resumes suggestions.
#[tauri::command]
pub fn set_paused(state: State<'_, Arc<ShellState>>, paused: bool) {
    state.backend.set_paused(paused);
}

/// Opens (or focuses) the settings window.
#[tauri::command]
pub fn open_settings<R: Runtime>(app: AppHandle<R>) {
    crate::windows::show_settings(&app);
}
