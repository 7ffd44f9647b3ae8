//! Opening, focusing and hiding the app's windows, and opening folders in the file manager.

use std::path::Path;

use tauri::{AppHandle, Manager, Runtime, WebviewUrl, WebviewWindowBuilder};

/// Label of the queue window (declared in tauri.conf.json).
pub const QUEUE_WINDOW: &str = "queue";
/// Label of the settings window (created on demand).
pub const SETTINGS_WINDOW: &str = "settings";

/// Shows, restores and focuses the queue window.
pub fn show_queue<R: Runtime>(app: &AppHandle<R>) {
    let Some(window) = app.get_webview_window(QUEUE_WINDOW) else {
        tracing::warn!("queue window is missing");
        return;
    };
    let _ = window.show();
    let _ = window.unminimize();
    let _ = window.set_focus();
}

/// Hides the queue window (the app keeps running in the tray).
pub fn hide_queue<R: Runtime>(app: &AppHandle<R>) {
    if let Some(window) = app.get_webview_window(QUEUE_WINDOW) {
        let _ = window.hide();
    }
}

/// Focuses the settings window, creating it the first time.
pub fn show_settings<R: Runtime>(app: &AppHandle<R>) {
    if let Some(window) = app.get_webview_window(SETTINGS_WINDOW) {
        let _ = window.show();
        let _ = window.set_focus();
        return;
    }
    let built = WebviewWindowBuilder::new(
        app,
        SETTINGS_WINDOW,
        WebviewUrl::App("settings.html".into()),
    )
    .title("Supervisor Assist — Settings")
    .inner_size(620.0, 720.0)
    .build();
    if let Err(error) = built {
        tracing::warn!(%error, "could not open the settings window");
    }
}

/// Opens `folder` in the desktop's file manager (best effort; failures are logged).
pub fn open_folder(folder: &Path) {
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else if cfg!(target_os = "windows") {
        "explorer"
    } else {
        "xdg-open"
    };
    if let Err(error) = std::fs::create_dir_all(folder) {
        tracing::warn!(%error, folder = %folder.display(), "cannot create the folder");
    }
    match std::process::Command::new(opener).arg(folder).spawn() {
        Ok(mut child) => {
            std::thread::spawn(move || child.wait());
        }
        Err(error) => tracing::warn!(%error, folder = %folder.display(), "cannot open the folder"),
    }
}
