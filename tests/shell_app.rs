//! The shell on Tauri's mock runtime: tray menu, command error mapping, write-only credentials.

mod shell_support;

use std::sync::Arc;

use serde_json::json;
use shell_support::{invoke, mock_app, next_call, temp_dir, webview, FakeBackend, FakeSettings};
use supervisor_assist::backend::BackendError;
use supervisor_assist::tray::{handle_tray_menu, MENU_REFRESH_KB, MENU_TOGGLE_PAUSE};

#[test]
fn tray_refresh_kb_calls_the_backend() {
    let (backend, calls) = FakeBackend::new(Ok(()));
    let (_dir, path) = temp_dir();
    let app = mock_app(backend, Arc::new(FakeSettings::default()), &path);
    handle_tray_menu(app.handle(), MENU_REFRESH_KB);
    assert_eq!(next_call(&calls), "refresh_kb");
}

#[test]
fn tray_pause_toggles_from_the_current_status() {
    let (backend, calls) = FakeBackend::new(Ok(()));
    let (_dir, path) = temp_dir();
    let app = mock_app(
        Arc::clone(&backend),
        Arc::new(FakeSettings::default()),
        &path,
    );
    handle_tray_menu(app.handle(), MENU_TOGGLE_PAUSE);
    assert_eq!(next_call(&calls), "set_paused true");
    handle_tray_menu(app.handle(), MENU_TOGGLE_PAUSE);
    assert_eq!(next_call(&calls), "set_paused false");
}

#[test]
fn act_on_card_passes_the_action_and_maps_errors_to_kind_and_message() {
    let failure = BackendError::new("unknown_card", "card c-9 is not pending");
    let (backend, calls) = FakeBackend::new(Err(failure));
    let (_dir, path) = temp_dir();
    let app = mock_app(backend, Arc::new(FakeSettings::default()), &path);
    let queue = webview(&app, "queue");
    let action = json!({ "action": { "action": "edit_approve", "card_id": "c-9", "title": "T2", "body": "B2" } });
    let error = invoke(&queue, "act_on_card", action).unwrap_err();
    assert_eq!(
        error,
        json!({ "kind": "unknown_card", "message": "card c-9 is not pending" })
    );
    let call = next_call(&calls);
    assert!(
        call.contains(r#""action":"edit_approve""#) && call.contains(r#""title":"T2""#),
        "{call}"
    );
    assert!(call.ends_with("by supervisor"), "{call}");
}

#[test]
fn missing_article_is_a_not_found_error() {
    let (backend, _calls) = FakeBackend::new(Ok(()));
    let (_dir, path) = temp_dir();
    let app = mock_app(backend, Arc::new(FakeSettings::default()), &path);
    let queue = webview(&app, "queue");
    assert_eq!(
        invoke(&queue, "get_article", json!({ "id": "KB-1" })).unwrap()["title"],
        "T"
    );
    let error = invoke(&queue, "get_article", json!({ "id": "KB-404" })).unwrap_err();
    assert_eq!(error["kind"], "not_found");
}

#[test]
fn saving_credentials_stores_them_and_never_returns_the_secret() {
    let (backend, _calls) = FakeBackend::new(Ok(()));
    let settings = Arc::new(FakeSettings::default());
    let (_dir, path) = temp_dir();
    let app = mock_app(backend, Arc::clone(&settings), &path);
    let window = webview(&app, "settings");
    let secret = "s3cr3t-value-never-shown";
    let before = invoke(&window, "credentials_state", json!({})).unwrap();
    assert_eq!(before, json!({ "saved": false }));
    let saved = invoke(
        &window,
        "save_credentials",
        json!({ "clientId": "client-1", "clientSecret": secret }),
    )
    .unwrap();
    assert_eq!(saved, json!({ "saved": true }));
    assert_eq!(
        *settings.stored.lock().unwrap(),
        Some(("client-1".to_owned(), secret.to_owned()))
    );
    for cmd in ["credentials_state", "load_settings"] {
        let answer = invoke(&window, cmd, json!({})).unwrap().to_string();
        assert!(
            !answer.contains(secret) && !answer.contains("client-1"),
            "{cmd} leaked: {answer}"
        );
    }
}

#[test]
fn empty_secret_is_refused_before_the_keychain() {
    let (backend, _calls) = FakeBackend::new(Ok(()));
    let settings = Arc::new(FakeSettings::default());
    let (_dir, path) = temp_dir();
    let app = mock_app(backend, Arc::clone(&settings), &path);
    let window = webview(&app, "settings");
    let error = invoke(
        &window,
        "save_credentials",
        json!({ "clientId": "c", "clientSecret": "" }),
    )
    .unwrap_err();
    assert_eq!(error["kind"], "invalid_input");
    assert!(settings.stored.lock().unwrap().is_none());
}

#[test]
fn test_connection_reports_the_exact_failure_kind() {
    let (backend, _calls) = FakeBackend::new(Ok(()));
    let (_dir, path) = temp_dir();
    let app = mock_app(backend, Arc::new(FakeSettings::default()), &path);
    let window = webview(&app, "settings");
    let error = invoke(&window, "test_connection", json!({})).unwrap_err();
    assert_eq!(error["kind"], "invalid_client");
}

#[test]
fn settings_round_trip_through_the_config_file_and_keep_other_keys() {
    let (backend, _calls) = FakeBackend::new(Ok(()));
    let (_dir, path) = temp_dir();
    std::fs::write(
        path.join("config.toml"),
        "scopes = \"a b\"\n[ranking]\ntop_k = 7\n",
    )
    .unwrap();
    let app = mock_app(backend, Arc::new(FakeSettings::default()), &path);
    let window = webview(&app, "settings");
    let mut form = invoke(&window, "load_settings", json!({})).unwrap();
    assert_eq!(form["kb_poll_interval_secs"], 300);
    form["base_url"] = json!("https://api.example.com");
    form["auto_approve_min_score"] = json!(0.9);
    let saved = invoke(&window, "save_settings", json!({ "form": form })).unwrap();
    assert_eq!(saved["base_url"], "https://api.example.com");
    let text = std::fs::read_to_string(path.join("config.toml")).unwrap();
    assert!(
        text.contains("top_k = 7") && text.contains("scopes = \"a b\""),
        "{text}"
    );
    assert!(text.contains("auto_approve = \"score>=0.9\""), "{text}");
    form["events_url"] = json!("https://not-a-websocket");
    let error = invoke(&window, "save_settings", json!({ "form": form })).unwrap_err();
    assert_eq!(error["kind"], "invalid_input");
}
