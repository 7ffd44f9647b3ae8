//! Which backend the tray app drives — THE ONE PLACE WHERE THE REAL PIPELINE PLUGS IN.
//!
//! Today: `--ui-preview` gives canned cards; otherwise the window opens with an [`OfflineBackend`] that says the
//! pipeline is not wired. The lead replaces the `else` branch with `assist_core::pipeline::start(...)` (and `--demo`
//! with the in-process simulator) plus `impl Backend for PipelineHandle`, and [`UnwiredSettings`] with the
//! keychain (`KeyringStore`) and token source adapters.

use std::sync::Arc;

use crate::backend::offline::{OfflineBackend, UnwiredSettings};
use crate::backend::preview::PreviewBackend;
use crate::backend::{Backend, SettingsBackend};
use crate::cli::CommonArgs;
use crate::state::AppPaths;

/// The backends for this run.
pub struct Wired {
    pub backend: Arc<dyn Backend>,
    pub settings: Arc<dyn SettingsBackend>,
}

/// Starts (or fakes) the pipeline for `options`; called from `setup`, inside Tauri's tokio runtime.
pub fn start(options: &CommonArgs, paths: &AppPaths) -> Wired {
    let backend: Arc<dyn Backend> = if options.ui_preview {
        tracing::info!("UI preview: canned suggestions, no network");
        Arc::new(PreviewBackend::default())
    } else {
        tracing::warn!(config = %paths.config_file.display(), demo = options.demo, "pipeline not wired into the shell yet");
        Arc::new(OfflineBackend::new(
            "the pipeline is not wired into this build yet",
        ))
    };
    Wired {
        backend,
        settings: Arc::new(UnwiredSettings),
    }
}
