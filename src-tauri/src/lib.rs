//! # Supervisor Assist — the Tauri shell
//!
//! Adapters only: the pipeline lives in `assist-core`; this crate turns it into a tray app with a queue window.
//!
//! # Layout
//! - [`cli`]: command line and routing (`headless`, `eval`, `self-check` route to [`headless`], [`eval_cmd`],
//!   [`self_check`]).
//! - [`backend`]: the seam to the pipeline ([`backend::Backend`]) and to keychain/token ([`backend::SettingsBackend`]).
//! - [`wiring`]: which backend runs.
//! - [`commands`], [`settings`]: IPC commands of the queue and settings windows.
//! - [`events`]: event names and batched forwarding to the webview.
//! - [`tray`], [`windows`], [`notify`]: tray icon and menu, windows, desktop notifications.
//! - [`state`], [`error`], [`logging`].

pub mod audit_cmd;
pub mod backend;
pub mod cli;
pub mod commands;
pub mod error;
pub mod eval_cmd;
pub mod events;
pub mod headless;
pub mod logging;
pub mod notify;
pub mod private_dir;
pub mod runtime;
pub mod self_check;
pub mod settings;
#[cfg(target_os = "linux")]
pub mod single_instance;
pub mod state;
pub mod tray;
pub mod windows;
pub mod wiring;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use tauri::{AppHandle, Builder, Manager, RunEvent, Runtime, WindowEvent};

use crate::state::{AppPaths, ShellState};

/// How long Quit waits for the pipeline to stop before exiting anyway.
pub const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(5);

/// The binary's entry point: parse the command line, run the mode, report a failure on stderr.
pub fn main_entry() -> ExitCode {
    match cli::dispatch(cli::Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("supervisor-assist: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Commands and window behaviour, for any runtime (the app and the mock-runtime tests).
/// The caller manages an `Arc<ShellState>` and a [`tray::TrayModelState`].
pub fn build_app<R: Runtime>(builder: Builder<R>) -> Builder<R> {
    builder
        .invoke_handler(tauri::generate_handler![
            commands::get_snapshot,
            commands::get_status,
            commands::act_on_card,
            commands::get_article,
            commands::refresh_kb,
            commands::set_paused,
            commands::open_settings,
            settings::load_settings,
            settings::save_settings,
            settings::save_credentials,
            settings::credentials_state,
            settings::test_connection,
            settings::open_logs,
        ])
        .on_window_event(|window, event| {
            if let WindowEvent::CloseRequested { api, .. } = event {
                if window.label() == windows::QUEUE_WINDOW {
                    api.prevent_close();
                    let _ = window.hide();
                }
            }
        })
}

/// Spawns the forwarders from the backend to the webview and tray.
pub fn start_forwarders<R: Runtime>(app: &AppHandle<R>, state: &ShellState) {
    tauri::async_runtime::spawn(events::forward_pipeline_events(
        app.clone(),
        state.backend.subscribe(),
    ));
    tauri::async_runtime::spawn(events::forward_status(app.clone(), state.backend.status()));
}

/// Quit: stop the pipeline (bounded wait), then exit. A second Quit while stopping is ignored.
pub fn quit<R: Runtime>(app: &AppHandle<R>) {
    let Some(state) = app.try_state::<Arc<ShellState>>().map(|s| Arc::clone(&s)) else {
        app.exit(0);
        return;
    };
    if !state.begin_quit() {
        return;
    }
    #[cfg(target_os = "linux")]
    if let Some(instance) = app.try_state::<single_instance::InstanceGuard>() {
        instance.begin_quit();
    }
    tracing::info!("quitting: stopping the pipeline");
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        state.backend.shutdown(SHUTDOWN_TIMEOUT).await;
        app.exit(0);
    });
}

fn resolve_paths<R: Runtime>(
    app: &AppHandle<R>,
    config: Option<PathBuf>,
) -> tauri::Result<AppPaths> {
    let config_file = match config {
        Some(file) => file,
        None => app.path().app_config_dir()?.join("config.toml"),
    };
    Ok(AppPaths {
        config_file,
        log_dir: app.path().app_log_dir()?,
    })
}

/// Keeps the log writer alive for the life of the app.
struct LogGuard(#[allow(dead_code)] Option<tracing_appender::non_blocking::WorkerGuard>);

/// Runs the tray app until Quit.
pub fn run(options: cli::CommonArgs) -> anyhow::Result<()> {
    // Before anything else: a second launch (desktop entry, autostart, a double click) opens the running
    // instance's queue window and exits instead of starting a second tray icon and pipeline; a launch while the
    // last instance is quitting takes over once it has gone (single_instance).
    let Some(instance) = claim_instance() else {
        return Ok(()); // handed over to the running instance
    };
    let app = tauri::Builder::default();
    #[cfg(not(target_os = "linux"))]
    let app = app.plugin(tauri_plugin_single_instance::init(|app, _argv, _cwd| {
        tracing::info!("second launch: showing the running instance's queue window");
        windows::show_queue(app);
    }));
    let app = build_app(app)
        .plugin(tauri_plugin_notification::init())
        .setup(move |app| {
            let paths = resolve_paths(app.handle(), options.config.clone())?;
            app.manage(LogGuard(logging::init(Some(&paths.log_dir))));
            tracing::info!(log_dir = %paths.log_dir.display(), "Supervisor Assist starting");
            match instance {
                #[cfg(target_os = "linux")]
                Ok(instance) => {
                    let handle = app.handle().clone();
                    instance.on_forward(move || {
                        tracing::info!(
                            "second launch: showing the running instance's queue window"
                        );
                        windows::show_queue(&handle);
                    });
                    app.manage(instance);
                }
                #[cfg(not(target_os = "linux"))]
                Ok(()) => {}
                Err(ref reason) => {
                    tracing::warn!(%reason, "started without the single-instance guard")
                }
            }
            let wired = wiring::start(&options, &paths);
            let state = Arc::new(ShellState::new(wired.backend, wired.settings, paths));
            app.manage(tray::TrayModelState::default());
            app.manage(Arc::clone(&state));
            tray::install(app.handle())?;
            start_forwarders(app.handle(), &state);
            if options.hidden {
                windows::hide_queue(app.handle());
            }
            Ok(())
        })
        .build(tauri::generate_context!())?;
    app.run(|app, event| {
        if let RunEvent::ExitRequested { api, code, .. } = event {
            let quitting = app
                .try_state::<Arc<ShellState>>()
                .is_some_and(|s| s.is_quitting());
            if code.is_none() && !quitting {
                api.prevent_exit();
            }
        }
    });
    Ok(())
}

#[cfg(target_os = "linux")]
type Instance = single_instance::InstanceGuard;
#[cfg(not(target_os = "linux"))]
type Instance = ();

/// `None` = handed over (exit); `Some(Ok(guard))` = primary; `Some(Err(reason))` = run without the guard.
#[cfg(target_os = "linux")]
fn claim_instance() -> Option<Result<Instance, String>> {
    match single_instance::claim(single_instance::HANDOVER_TIMEOUT) {
        single_instance::Claim::Primary(guard) => Some(Ok(guard)),
        single_instance::Claim::Forwarded => None,
        single_instance::Claim::Unguarded(reason) => {
            eprintln!("supervisor-assist: starting without the single-instance guard: {reason}");
            Some(Err(reason))
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn claim_instance() -> Option<Result<Instance, String>> {
    Some(Ok(())) // tauri-plugin-single-instance guards these platforms (see run)
}
