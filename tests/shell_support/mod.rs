//! Fakes and a mock-runtime app for the shell tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use assist_core::domain::Article;
use assist_core::pipeline::api::{
    CardAction, KbRefreshSummary, PipelineEvent, QueueSnapshot, StatusSnapshot,
};
use async_trait::async_trait;
use supervisor_assist::backend::offline::stopped_status;
use supervisor_assist::backend::{Backend, BackendError, SecretInput, SettingsBackend};
use supervisor_assist::state::{AppPaths, ShellState};
use tauri::test::{mock_builder, mock_context, noop_assets, MockRuntime};
use tokio::sync::{broadcast, watch};

/// A backend that records every call (as text) and answers from canned values.
pub struct FakeBackend {
    pub calls: Mutex<mpsc::Sender<String>>,
    pub act_result: Result<(), BackendError>,
    pub events: broadcast::Sender<PipelineEvent>,
    pub status: watch::Sender<StatusSnapshot>,
}

impl FakeBackend {
    pub fn new(act_result: Result<(), BackendError>) -> (Arc<Self>, mpsc::Receiver<String>) {
        let (tx, rx) = mpsc::channel();
        let (events, _) = broadcast::channel(16);
        let (status, _) = watch::channel(stopped_status());
        (
            Arc::new(Self {
                calls: Mutex::new(tx),
                act_result,
                events,
                status,
            }),
            rx,
        )
    }
    fn record(&self, call: String) {
        let _ = self.calls.lock().unwrap().send(call);
    }
}

#[async_trait]
impl Backend for FakeBackend {
    fn subscribe(&self) -> broadcast::Receiver<PipelineEvent> {
        self.events.subscribe()
    }
    fn status(&self) -> watch::Receiver<StatusSnapshot> {
        self.status.subscribe()
    }
    async fn snapshot(&self) -> QueueSnapshot {
        QueueSnapshot::default()
    }
    async fn act(&self, action: CardAction, who: &str) -> Result<(), BackendError> {
        self.record(format!(
            "act {} by {who}",
            serde_json::to_string(&action).unwrap()
        ));
        self.act_result.clone()
    }
    async fn refresh_kb(&self) -> Result<KbRefreshSummary, BackendError> {
        self.record("refresh_kb".into());
        Ok(KbRefreshSummary {
            upserted: 12,
            removed: 1,
            total_articles: 300,
            fresh_as_of: None,
        })
    }
    fn set_paused(&self, paused: bool) {
        self.record(format!("set_paused {paused}"));
        self.status.send_modify(|s| s.paused = paused);
    }
    async fn article(&self, id: &str) -> Option<Article> {
        (id == "KB-1").then(|| Article {
            id: id.into(),
            title: "T".into(),
            content: "C".into(),
            url: None,
            updated_at: None,
        })
    }
    async fn shutdown(&self, _timeout: Duration) {
        self.record("shutdown".into());
    }
}

/// A keychain stand-in that keeps what it was given.
#[derive(Default)]
pub struct FakeSettings {
    pub stored: Mutex<Option<(String, String)>>,
}

#[async_trait]
impl SettingsBackend for FakeSettings {
    fn save_credentials(
        &self,
        client_id: &str,
        client_secret: &SecretInput,
    ) -> Result<(), BackendError> {
        *self.stored.lock().unwrap() =
            Some((client_id.to_owned(), client_secret.expose().to_owned()));
        Ok(())
    }
    fn credentials_saved(&self) -> Result<bool, BackendError> {
        Ok(self.stored.lock().unwrap().is_some())
    }
    async fn test_connection(&self, _config_file: &Path) -> Result<(), BackendError> {
        Err(supervisor_assist::backend::auth_error(
            &assist_core::auth::AuthError::InvalidClient,
        ))
    }
}

/// A mock-runtime app around the fakes, with the queue and settings webviews open.
pub fn mock_app(
    backend: Arc<FakeBackend>,
    settings: Arc<FakeSettings>,
    dir: &Path,
) -> tauri::App<MockRuntime> {
    let paths = AppPaths {
        config_file: dir.join("config.toml"),
        log_dir: dir.join("logs"),
    };
    let state = Arc::new(ShellState::new(backend, settings, paths));
    supervisor_assist::build_app(mock_builder())
        .manage(state)
        .manage(supervisor_assist::tray::TrayModelState::default())
        .build(mock_context(noop_assets()))
        .expect("mock app builds")
}

/// Opens a webview labelled `label` (mock runtime).
pub fn webview(app: &tauri::App<MockRuntime>, label: &str) -> tauri::WebviewWindow<MockRuntime> {
    tauri::WebviewWindowBuilder::new(app, label, Default::default())
        .build()
        .expect("mock webview")
}

/// Calls command `cmd` with JSON `args` over the mock IPC.
pub fn invoke(
    webview: &tauri::WebviewWindow<MockRuntime>,
    cmd: &str,
    args: serde_json::Value,
) -> Result<serde_json::Value, serde_json::Value> {
    let request = tauri::webview::InvokeRequest {
        cmd: cmd.into(),
        callback: tauri::ipc::CallbackFn(0),
        error: tauri::ipc::CallbackFn(1),
        // The app origin on Linux/macOS (Windows uses http://tauri.localhost).
        url: "tauri://localhost".parse().unwrap(),
        body: tauri::ipc::InvokeBody::Json(args),
        headers: Default::default(),
        invoke_key: tauri::test::INVOKE_KEY.to_string(),
    };
    tauri::test::get_ipc_response(webview, request)
        .map(|body| body.deserialize::<serde_json::Value>().unwrap())
}

/// Waits (bounded) for the next recorded call.
pub fn next_call(calls: &mpsc::Receiver<String>) -> String {
    calls
        .recv_timeout(Duration::from_secs(10))
        .expect("the backend was called")
}

pub fn temp_dir() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_owned();
    (dir, path)
}
