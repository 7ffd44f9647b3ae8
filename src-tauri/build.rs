//! Tauri build script: generates the context and declares the app's own command permissions
//! (`allow-<command-with-hyphens>`), which `src-tauri/capabilities/*.json` grant per window.

/// Every IPC command of the app (queue window, then settings window).
const APP_COMMANDS: &[&str] = &[
    "get_snapshot",
    "get_status",
    "act_on_card",
    "get_article",
    "refresh_kb",
    "set_paused",
    "open_settings",
    "load_settings",
    "save_settings",
    "save_credentials",
    "credentials_state",
    "test_connection",
    "open_logs",
];

fn main() {
    let attributes = tauri_build::Attributes::new()
        .capabilities_path_pattern("src-tauri/capabilities/*.json")
        .app_manifest(tauri_build::AppManifest::new().commands(APP_COMMANDS));
    if let Err(error) = tauri_build::try_build(attributes) {
        panic!("tauri build script failed: {error:#}");
    }
}
