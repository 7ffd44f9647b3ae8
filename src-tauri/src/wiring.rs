//! Which backend the tray app drives: the real pipeline (demo or tenant), canned cards for `--ui-preview`, or —
//! when the pipeline cannot start (missing model, bad config) — an offline backend whose every answer says why.

use std::sync::Arc;

use crate::backend::keyring_settings::KeychainSettings;
use crate::backend::offline::OfflineBackend;
use crate::backend::pipeline::PipelineBackend;
use crate::backend::preview::PreviewBackend;
use crate::backend::{Backend, SettingsBackend};
use crate::cli::CommonArgs;
use crate::runtime::{self, RuntimePaths};
use crate::state::AppPaths;

/// The backends for this run.
pub struct Wired {
    pub backend: Arc<dyn Backend>,
    pub settings: Arc<dyn SettingsBackend>,
}

/// Starts the pipeline for `options`; called from `setup` (blocks until the model and KB snapshot are loaded).
pub fn start(options: &CommonArgs, paths: &AppPaths) -> Wired {
    let backend: Arc<dyn Backend> = if options.ui_preview {
        tracing::info!("UI preview: canned suggestions, no network");
        Arc::new(PreviewBackend::default())
    } else {
        let runtime_paths = RuntimePaths {
            config_file: Some(paths.config_file.clone()),
            data_dir: runtime::default_data_dir(),
        };
        match tauri::async_runtime::block_on(runtime::start(options, &runtime_paths, |_| {})) {
            Ok(running) => Arc::new(PipelineBackend::new(running.handle, running.sim)),
            Err(error) => {
                tracing::error!(error = %format!("{error:#}"), "the pipeline could not start");
                Arc::new(OfflineBackend::new(format!("{error:#}")))
            }
        }
    };
    Wired {
        backend,
        settings: Arc::new(KeychainSettings::system()),
    }
}
