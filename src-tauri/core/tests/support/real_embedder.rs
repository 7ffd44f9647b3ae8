//! Test/bench helpers: the real all-MiniLM-L6-v2 embedder and a counting wrapper. Included with `#[path]` by the kb tests, the retrieval bench and the eval example.
#![allow(dead_code)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use assist_core::nlp::{EmbedError, Embedder};

/// The real embedder (assets located by `assist_core::testing`).
pub type RealEmbedder = assist_core::nlp::minilm::MiniLmEmbedder;

/// A fresh real embedder.
pub fn load_real() -> RealEmbedder {
    assist_core::testing::real_model::real_embedder()
}

/// One real embedder per test binary.
pub fn shared_real() -> Arc<RealEmbedder> {
    assist_core::testing::real_model::shared_real_embedder()
}

/// Counts how many texts go through the inner embedder; can pretend to be another model.
pub struct Counting {
    pub inner: Arc<dyn Embedder>,
    pub texts: AtomicUsize,
    pub name: String,
    pub dim: usize,
}

impl Counting {
    pub fn new(inner: Arc<dyn Embedder>) -> Self {
        let (name, dim) = (inner.model_name().to_string(), inner.dim());
        Self {
            inner,
            texts: AtomicUsize::new(0),
            name,
            dim,
        }
    }
    pub fn count(&self) -> usize {
        self.texts.load(Ordering::SeqCst)
    }
}

impl Embedder for Counting {
    fn model_name(&self) -> &str {
        &self.name
    }
    fn dim(&self) -> usize {
        self.dim
    }
    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        self.texts.fetch_add(texts.len(), Ordering::SeqCst);
        self.inner.embed(texts)
    }
}
