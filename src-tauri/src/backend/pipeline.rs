//! The real backend: assist-core's [`PipelineHandle`] behind the shell's [`Backend`] seam.

use std::time::Duration;

use assist_core::domain::Article;
use assist_core::pipeline::api::{
    CardAction, KbRefreshSummary, PipelineEvent, QueueSnapshot, StatusSnapshot,
};
use assist_core::pipeline::{PipelineError, PipelineHandle};
use async_trait::async_trait;
use tokio::sync::{broadcast, watch, Mutex};

use super::{Backend, BackendError};

/// The running pipeline (and, in demo mode, the simulator, kept alive with it).
pub struct PipelineBackend {
    handle: PipelineHandle,
    sim: Mutex<Option<cxone_sim::SimServer>>,
}

impl PipelineBackend {
    /// Wraps a started pipeline.
    pub fn new(handle: PipelineHandle, sim: Option<cxone_sim::SimServer>) -> Self {
        Self {
            handle,
            sim: Mutex::new(sim),
        }
    }
}

fn backend_error(error: PipelineError) -> BackendError {
    BackendError::new(error.kind(), error.to_string())
}

#[async_trait]
impl Backend for PipelineBackend {
    fn subscribe(&self) -> broadcast::Receiver<PipelineEvent> {
        self.handle.subscribe()
    }
    fn status(&self) -> watch::Receiver<StatusSnapshot> {
        self.handle.status()
    }
    async fn snapshot(&self) -> QueueSnapshot {
        self.handle.snapshot().await
    }
    async fn act(&self, action: CardAction, who: &str) -> Result<(), BackendError> {
        self.handle.act(action, who).await.map_err(backend_error)
    }
    async fn refresh_kb(&self) -> Result<KbRefreshSummary, BackendError> {
        self.handle.refresh_kb().await.map_err(backend_error)
    }
    fn set_paused(&self, paused: bool) {
        self.handle.set_paused(paused)
    }
    async fn article(&self, id: &str) -> Option<Article> {
        self.handle.article(id).await
    }
    async fn shutdown(&self, timeout: Duration) {
        self.handle.clone().shutdown(timeout).await;
        if let Some(sim) = self.sim.lock().await.take() {
            sim.shutdown().await;
        }
    }
}
