//! The tray icon: menu, status icon, tooltip (pending cards, KB freshness, refresh progress).
//!
//! The menu handler [`handle_tray_menu`] is generic over the runtime so tests drive it on the mock runtime; the icon
//! itself is installed only by `run()` ([`install`]).

use std::sync::{Arc, Mutex};

use assist_core::events::ConnectionStatus;
use assist_core::pipeline::api::{KbProgress, StatusSnapshot};
use tauri::image::Image;
use tauri::menu::{Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Emitter, Manager, Runtime};

use crate::state::ShellState;

/// Id of the one tray icon.
pub const TRAY_ID: &str = "main";
pub const MENU_OPEN_QUEUE: &str = "open_queue";
pub const MENU_REFRESH_KB: &str = "refresh_kb";
pub const MENU_TOGGLE_PAUSE: &str = "toggle_pause";
pub const MENU_SETTINGS: &str = "settings";
pub const MENU_OPEN_LOGS: &str = "open_logs";
pub const MENU_QUIT: &str = "quit";

/// What the tooltip and icon are computed from.
#[derive(Debug, Clone, Default)]
pub struct TrayModel {
    pub status: Option<StatusSnapshot>,
    pub progress: Option<KbProgress>,
    /// "12 updated, 1 removed", "up to date", or a failure.
    pub last_refresh: Option<String>,
}

/// The four icon variants in `icons/tray-*.png`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrayIconKind {
    Connected,
    Reconnecting,
    Error,
    Paused,
}

/// Icon for a status: paused wins, then auth failure/stopped (error), then connecting/reconnecting.
pub fn icon_for(status: &StatusSnapshot) -> TrayIconKind {
    if status.paused {
        return TrayIconKind::Paused;
    }
    match status.connection {
        ConnectionStatus::Connected => TrayIconKind::Connected,
        ConnectionStatus::Connecting | ConnectionStatus::Reconnecting { .. } => {
            TrayIconKind::Reconnecting
        }
        ConnectionStatus::AuthFailed { .. } | ConnectionStatus::Stopped => TrayIconKind::Error,
    }
}

fn icon_bytes(kind: TrayIconKind) -> &'static [u8] {
    match kind {
        TrayIconKind::Connected => include_bytes!("../../icons/tray-connected.png"),
        TrayIconKind::Reconnecting => include_bytes!("../../icons/tray-reconnecting.png"),
        TrayIconKind::Error => include_bytes!("../../icons/tray-error.png"),
        TrayIconKind::Paused => include_bytes!("../../icons/tray-paused.png"),
    }
}

/// "2026-11-28 10:42 UTC" from an RFC 3339 time (unchanged if it does not parse).
pub fn short_time(rfc3339: &str) -> String {
    use time::format_description::well_known::Rfc3339;
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
    time::OffsetDateTime::parse(rfc3339, &Rfc3339)
        .ok()
        .and_then(|t| t.to_offset(time::UtcOffset::UTC).format(&format).ok())
        .unwrap_or_else(|| rfc3339.to_owned())
}

fn connection_text(status: &StatusSnapshot) -> String {
    if status.paused {
        return "paused".to_owned();
    }
    match &status.connection {
        ConnectionStatus::Connecting => "connecting".to_owned(),
        ConnectionStatus::Connected => "connected".to_owned(),
        ConnectionStatus::Reconnecting { attempt, .. } => {
            format!("reconnecting (attempt {attempt})")
        }
        ConnectionStatus::AuthFailed { reason } => format!("sign-in failed: {reason}"),
        ConnectionStatus::Stopped => "stopped".to_owned(),
    }
}

/// The tooltip, one fact per line.
pub fn tooltip_text(model: &TrayModel) -> String {
    let mut lines = vec!["Supervisor Assist".to_owned()];
    if let Some(status) = &model.status {
        lines.push(format!(
            "{} · {} pending",
            connection_text(status),
            status.pending_cards
        ));
        match &status.kb_fresh_as_of {
            Some(when) => lines.push(format!("KB fresh as of {}", short_time(when))),
            None => lines.push("KB not synced yet".to_owned()),
        }
    }
    match (&model.progress, &model.last_refresh) {
        (Some(p), _) if p.done < p.total => lines.push(format!(
            "Refreshing KB: {} / {} ({:.0} articles/s)",
            p.done, p.total, p.articles_per_sec
        )),
        (_, Some(message)) => lines.push(format!("Last refresh: {message}")),
        _ => {}
    }
    lines.join("\n")
}

/// Menu items whose text changes (kept in managed state by [`install`]).
pub struct TrayItems<R: Runtime> {
    pause: MenuItem<R>,
}

/// Builds the menu and the icon. Call once, from `setup` in `run()`.
pub fn install<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<()> {
    let item = |id: &str, text: &str| MenuItem::with_id(app, id, text, true, None::<&str>);
    let pause = item(MENU_TOGGLE_PAUSE, "Pause suggestions")?;
    let menu = Menu::with_items(
        app,
        &[
            &item(MENU_OPEN_QUEUE, "Open queue")?,
            &item(MENU_REFRESH_KB, "Refresh KB now")?,
            &pause,
            &PredefinedMenuItem::separator(app)?,
            &item(MENU_SETTINGS, "Settings…")?,
            &item(MENU_OPEN_LOGS, "Open logs")?,
            &PredefinedMenuItem::separator(app)?,
            &item(MENU_QUIT, "Quit")?,
        ],
    )?;
    TrayIconBuilder::with_id(TRAY_ID)
        .icon(Image::from_bytes(icon_bytes(TrayIconKind::Reconnecting))?)
        .tooltip("Supervisor Assist")
        .menu(&menu)
        .on_menu_event(|app, event| handle_tray_menu(app, event.id().as_ref()))
        .build(app)?;
    app.manage(TrayItems { pause });
    Ok(())
}

/// Runs the menu item `id`. Unknown ids are logged and ignored.
pub fn handle_tray_menu<R: Runtime>(app: &AppHandle<R>, id: &str) {
    tracing::debug!(item = id, "tray menu");
    let Some(state) = app.try_state::<Arc<ShellState>>().map(|s| Arc::clone(&s)) else {
        return;
    };
    match id {
        MENU_OPEN_QUEUE => crate::windows::show_queue(app),
        MENU_REFRESH_KB => start_kb_refresh(app.clone(), state),
        MENU_TOGGLE_PAUSE => {
            let paused = !state.backend.status().borrow().paused;
            state.backend.set_paused(paused);
        }
        MENU_SETTINGS => crate::windows::show_settings(app),
        MENU_OPEN_LOGS => crate::windows::open_folder(&state.paths.log_dir),
        MENU_QUIT => crate::quit(app),
        other => tracing::warn!(item = other, "unknown tray menu item"),
    }
}

/// Runs a KB refresh in the background and reports the result to the window and the tooltip.
pub fn start_kb_refresh<R: Runtime>(app: AppHandle<R>, state: Arc<ShellState>) {
    tauri::async_runtime::spawn(async move {
        let outcome = state.backend.refresh_kb().await;
        let (ok, message) = match outcome {
            Ok(summary) => (true, summary.message()),
            Err(error) => (false, format!("refresh failed: {}", error.message)),
        };
        tracing::info!(ok, %message, "KB refresh finished");
        let _ = app.emit(
            crate::events::KB_REFRESH_RESULT,
            serde_json::json!({ "ok": ok, "message": message }),
        );
        update_model(&app, |m| {
            m.progress = None;
            m.last_refresh = Some(message);
        });
    });
}

/// Managed tooltip model.
#[derive(Default)]
pub struct TrayModelState(Mutex<TrayModel>);

/// Applies `change` to the tray model and redraws icon and tooltip.
pub fn update_model<R: Runtime>(app: &AppHandle<R>, change: impl FnOnce(&mut TrayModel)) {
    let Some(state) = app.try_state::<TrayModelState>() else {
        return;
    };
    let Ok(mut model) = state.0.lock() else {
        return;
    };
    change(&mut model);
    redraw(app, &model);
}

/// New status: icon, tooltip, pause item text.
pub fn show_status<R: Runtime>(app: &AppHandle<R>, status: &StatusSnapshot) {
    if let Some(items) = app.try_state::<TrayItems<R>>() {
        let text = if status.paused {
            "Resume suggestions"
        } else {
            "Pause suggestions"
        };
        let _ = items.pause.set_text(text);
    }
    update_model(app, |m| m.status = Some(status.clone()));
}

fn redraw<R: Runtime>(app: &AppHandle<R>, model: &TrayModel) {
    let Some(tray) = app.tray_by_id(TRAY_ID) else {
        return;
    };
    if let Some(status) = &model.status {
        match Image::from_bytes(icon_bytes(icon_for(status))) {
            Ok(icon) => {
                let _ = tray.set_icon(Some(icon));
            }
            Err(error) => tracing::warn!(%error, "tray icon unreadable"),
        }
    }
    let _ = tray.set_tooltip(Some(tooltip_text(model)));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(connection: ConnectionStatus, paused: bool) -> StatusSnapshot {
        let mut s = crate::backend::offline::stopped_status();
        s.connection = connection;
        s.paused = paused;
        s.pending_cards = 3;
        s.kb_fresh_as_of = Some("2026-11-28T10:42:05Z".into());
        s
    }

    #[test]
    fn icon_follows_status_with_pause_first() {
        assert_eq!(
            icon_for(&status(ConnectionStatus::Connected, false)),
            TrayIconKind::Connected
        );
        assert_eq!(
            icon_for(&status(ConnectionStatus::Connected, true)),
            TrayIconKind::Paused
        );
        let reconnecting = ConnectionStatus::Reconnecting {
            attempt: 2,
            reason: "x".into(),
        };
        assert_eq!(
            icon_for(&status(reconnecting, false)),
            TrayIconKind::Reconnecting
        );
        let failed = ConnectionStatus::AuthFailed {
            reason: "invalid_client".into(),
        };
        assert_eq!(icon_for(&status(failed, false)), TrayIconKind::Error);
    }

    #[test]
    fn tooltip_shows_pending_freshness_and_progress() {
        let mut model = TrayModel {
            status: Some(status(ConnectionStatus::Connected, false)),
            ..Default::default()
        };
        model.progress = Some(KbProgress {
            done: 120,
            total: 300,
            articles_per_sec: 45.4,
        });
        let text = tooltip_text(&model);
        assert!(text.contains("connected · 3 pending"), "{text}");
        assert!(
            text.contains("KB fresh as of 2026-11-28 10:42 UTC"),
            "{text}"
        );
        assert!(
            text.contains("Refreshing KB: 120 / 300 (45 articles/s)"),
            "{text}"
        );
        model.progress = None;
        model.last_refresh = Some("up to date".into());
        assert!(tooltip_text(&model).contains("Last refresh: up to date"));
    }
}
