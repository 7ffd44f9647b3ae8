//! Pipeline → webview: event names, and the forwarders that batch bursts into one emit.
//!
//! The window listens to [`PIPELINE_EVENTS`] (an array of `PipelineEvent`, oldest first), [`STATUS`] (a
//! `StatusSnapshot`), [`RESYNC`] (the forwarder lagged: re-read the snapshot) and [`KB_REFRESH_RESULT`].

use std::sync::Arc;
use std::time::Duration;

use assist_core::pipeline::api::{PipelineEvent, StatusSnapshot};
use tauri::{AppHandle, Emitter, Manager, Runtime};
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::{broadcast, watch};

use crate::state::ShellState;

/// A batch (JSON array) of pipeline events.
pub const PIPELINE_EVENTS: &str = "pipeline://events";
/// The latest status snapshot.
pub const STATUS: &str = "pipeline://status";
/// Events were dropped; the window should reload the snapshot.
pub const RESYNC: &str = "pipeline://resync";
/// `{ ok, message }` after a KB refresh started from the tray or the window.
pub const KB_REFRESH_RESULT: &str = "kb://refresh-result";

/// How long to wait for more events after the first of a burst.
pub const BATCH_WINDOW: Duration = Duration::from_millis(40);
/// Largest batch sent in one emit.
pub const MAX_BATCH: usize = 128;

/// What the receiver produced: a batch to send, a lag to report, or the end.
#[derive(Debug, PartialEq)]
pub enum Batch {
    Events(Vec<PipelineEvent>),
    Lagged,
    Closed,
}

/// Waits for one event, then gathers whatever else arrives within [`BATCH_WINDOW`] (at most [`MAX_BATCH`]).
pub async fn next_batch(rx: &mut broadcast::Receiver<PipelineEvent>) -> Batch {
    let first = match rx.recv().await {
        Ok(event) => event,
        Err(RecvError::Lagged(_)) => return Batch::Lagged,
        Err(RecvError::Closed) => return Batch::Closed,
    };
    let mut batch = vec![first];
    let deadline = tokio::time::Instant::now() + BATCH_WINDOW;
    while batch.len() < MAX_BATCH {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Ok(event)) => batch.push(event),
            Ok(Err(RecvError::Lagged(_))) => return Batch::Lagged,
            Ok(Err(RecvError::Closed)) | Err(_) => break,
        }
    }
    Batch::Events(batch)
}

/// Forwards pipeline events to every window until the backend closes its channel.
pub async fn forward_pipeline_events<R: Runtime>(
    app: AppHandle<R>,
    mut rx: broadcast::Receiver<PipelineEvent>,
) {
    loop {
        match next_batch(&mut rx).await {
            Batch::Events(events) => {
                notify_if_hidden(&app, &events);
                update_tray_progress(&app, &events);
                if let Err(error) = app.emit(PIPELINE_EVENTS, &events) {
                    tracing::warn!(%error, "could not forward pipeline events");
                }
            }
            Batch::Lagged => {
                tracing::warn!("event forwarder lagged; asking the window to resync");
                let _ = app.emit(RESYNC, ());
            }
            Batch::Closed => break,
        }
    }
}

/// Forwards status changes to the window and the tray.
pub async fn forward_status<R: Runtime>(
    app: AppHandle<R>,
    mut rx: watch::Receiver<StatusSnapshot>,
) {
    loop {
        let status = rx.borrow_and_update().clone();
        crate::tray::show_status(&app, &status);
        let _ = app.emit(STATUS, &status);
        if rx.changed().await.is_err() {
            break;
        }
    }
}

/// Mirrors KB refresh progress and results into the tray tooltip.
fn update_tray_progress<R: Runtime>(app: &AppHandle<R>, events: &[PipelineEvent]) {
    for event in events {
        match event {
            PipelineEvent::KbProgress { progress } => {
                crate::tray::update_model(app, |m| m.progress = Some(*progress))
            }
            PipelineEvent::KbRefreshed { summary } => crate::tray::update_model(app, |m| {
                m.progress = None;
                m.last_refresh = Some(summary.message());
            }),
            PipelineEvent::KbRefreshFailed { reason } => crate::tray::update_model(app, |m| {
                m.progress = None;
                m.last_refresh = Some(format!("refresh failed: {reason}"));
            }),
            _ => {}
        }
    }
}

/// Notifies about new cards when the queue window is not visible (rate-limited).
fn notify_if_hidden<R: Runtime>(app: &AppHandle<R>, events: &[PipelineEvent]) {
    let newest_title = events.iter().rev().find_map(|e| match e {
        PipelineEvent::CardQueued { card, .. } => Some(card.suggested.title.clone()),
        _ => None,
    });
    let Some(title) = newest_title else { return };
    let visible = app
        .get_webview_window(crate::windows::QUEUE_WINDOW)
        .is_some_and(|w| w.is_visible().unwrap_or(false));
    if visible {
        tracing::debug!("queue window visible: no desktop notification");
        return;
    }
    let Some(state) = app.try_state::<Arc<ShellState>>() else {
        return;
    };
    let queued = events
        .iter()
        .filter(|e| matches!(e, PipelineEvent::CardQueued { .. }))
        .count();
    for _ in 1..queued {
        let _ = state.notifications.on_card();
    }
    match state.notifications.on_card() {
        Some(count) => {
            tracing::info!(count, "desktop notification for new cards");
            crate::notify::show(app, count, &title);
        }
        None => tracing::debug!("desktop notification rate-limited"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ended(id: &str) -> PipelineEvent {
        PipelineEvent::InteractionEnded {
            interaction_id: id.into(),
            state: "ended".into(),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_burst_is_one_batch_and_later_events_another() {
        let (tx, mut rx) = broadcast::channel(16);
        tx.send(ended("a")).unwrap();
        tx.send(ended("b")).unwrap();
        assert_eq!(
            next_batch(&mut rx).await,
            Batch::Events(vec![ended("a"), ended("b")])
        );
        tx.send(ended("c")).unwrap();
        drop(tx);
        assert_eq!(next_batch(&mut rx).await, Batch::Events(vec![ended("c")]));
        assert_eq!(next_batch(&mut rx).await, Batch::Closed);
    }

    #[tokio::test]
    async fn overflow_reports_lag() {
        let (tx, mut rx) = broadcast::channel(2);
        for id in ["a", "b", "c"] {
            tx.send(ended(id)).unwrap();
        }
        assert_eq!(next_batch(&mut rx).await, Batch::Lagged);
    }
}
