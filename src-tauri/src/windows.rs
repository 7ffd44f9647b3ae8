//! Opening, focusing and hiding the app's windows, and opening folders in the file manager.

use std::path::Path;

use tauri::plugin::TauriPlugin;
use tauri::{AppHandle, Manager, Runtime, WebviewUrl, WebviewWindowBuilder};
use url::Url;

/// Label of the queue window (declared in tauri.conf.json).
pub const QUEUE_WINDOW: &str = "queue";
/// Label of the settings window (created on demand).
pub const SETTINGS_WINDOW: &str = "settings";

/// Whether `url` is one of the app's own pages: `tauri://localhost` (Linux, macOS), `http(s)://tauri.localhost`
/// (Windows, Android), or in a dev build the `devUrl`'s origin when one is configured. Anything else (a hostile link,
/// `window.location = ...` from injected text) would put a foreign page in a window that can call the app's commands.
pub fn is_app_url(url: &Url, dev_url: Option<&Url>) -> bool {
    let host = url.host_str();
    let app = match url.scheme() {
        "tauri" => host == Some("localhost") && url.port().is_none(),
        "http" | "https" => host == Some("tauri.localhost") && url.port().is_none(),
        _ => false,
    };
    let same_origin = |dev: &Url| {
        url.scheme() == dev.scheme()
            && host == dev.host_str()
            && url.port_or_known_default() == dev.port_or_known_default()
    };
    app || dev_url.is_some_and(same_origin)
}

/// A plugin (it hooks every webview, the config-declared queue window included) that refuses any navigation away
/// from the app's own origin ([`is_app_url`]).
pub fn navigation_guard<R: Runtime>() -> TauriPlugin<R> {
    tauri::plugin::Builder::new("navigation-guard")
        .on_navigation(|webview, url| {
            let dev_url = if tauri::is_dev() {
                webview.config().build.dev_url.clone()
            } else {
                None
            };
            let allowed = is_app_url(url, dev_url.as_ref());
            if !allowed {
                tracing::warn!(
                    window = webview.label(),
                    scheme = url.scheme(),
                    host = url.host_str().unwrap_or(""),
                    "refused a navigation away from the app"
                );
            }
            allowed
        })
        .build()
}

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

#[cfg(test)]
mod tests {
    use super::*;

    fn allowed(url: &str, dev: Option<&str>) -> bool {
        let dev = dev.map(|d| Url::parse(d).unwrap());
        is_app_url(&Url::parse(url).unwrap(), dev.as_ref())
    }

    #[test]
    fn queue_window_refuses_navigation_off_the_app_origin() {
        for own in [
            "tauri://localhost/index.html",
            "tauri://localhost/settings.html?x=1#top",
            "http://tauri.localhost/index.html",
            "https://tauri.localhost/",
        ] {
            assert!(allowed(own, None), "{own}");
        }
        for foreign in [
            "https://example.com/",
            "http://localhost:1420/",
            "https://tauri.localhost.evil.example/",
            "https://evil.example/?tauri.localhost",
            "https://tauri.localhost:8443/",
            "tauri://evil/index.html",
            "tauri://localhost:1/index.html",
            "file:///etc/passwd",
            "javascript:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "about:blank",
            "ipc://localhost/act_on_card",
        ] {
            assert!(!allowed(foreign, None), "{foreign}");
        }
        // A dev build with a devUrl: that origin too, and only it.
        let dev = Some("http://localhost:1420");
        assert!(allowed("http://localhost:1420/index.html", dev));
        assert!(!allowed("http://localhost:1421/index.html", dev));
        assert!(!allowed("https://localhost:1420/index.html", dev));
        assert!(!allowed("https://example.com/", dev));
    }
}
