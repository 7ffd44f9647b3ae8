//! What the shell keeps in Tauri's managed state: the backend seams, resolved paths, and the quit flag.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::backend::{Backend, SettingsBackend};
use crate::notify::NotificationGate;

/// Files and folders the shell resolved (the core never looks up OS directories).
#[derive(Debug, Clone)]
pub struct AppPaths {
    /// The TOML config file the settings window edits.
    pub config_file: PathBuf,
    /// Where the rolling log files live ("Open logs").
    pub log_dir: PathBuf,
}

/// Managed state shared by commands, tray and event forwarders.
pub struct ShellState {
    pub backend: Arc<dyn Backend>,
    pub settings: Arc<dyn SettingsBackend>,
    pub paths: AppPaths,
    pub notifications: NotificationGate,
    quitting: AtomicBool,
}

impl ShellState {
    /// State around the given seams.
    pub fn new(
        backend: Arc<dyn Backend>,
        settings: Arc<dyn SettingsBackend>,
        paths: AppPaths,
    ) -> Self {
        Self {
            backend,
            settings,
            paths,
            notifications: NotificationGate::default(),
            quitting: AtomicBool::new(false),
        }
    }

    /// Marks that the user chose Quit (so `ExitRequested` is honoured).
    pub fn begin_quit(&self) -> bool {
        !self.quitting.swap(true, Ordering::SeqCst)
    }

    /// Whether Quit was chosen.
    pub fn is_quitting(&self) -> bool {
        self.quitting.load(Ordering::SeqCst)
    }
}
