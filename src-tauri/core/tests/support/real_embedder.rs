//! Test/bench helpers: the real all-MiniLM-L6-v2 embedder (fastembed + ONNX Runtime from ~/.cache/supervisor-assist)
//! and a counting wrapper. Included with `#[path]` by the kb tests, the retrieval bench and the eval example.
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use assist_core::nlp::{EmbedError, Embedder};
use fastembed::{
    InitOptionsUserDefined, Pooling, TextEmbedding, TokenizerFiles, UserDefinedEmbeddingModel,
};

/// fastembed's MiniLM with mean pooling and max length 256 (sentence-transformers settings).
pub struct RealEmbedder {
    model: Mutex<TextEmbedding>,
}

fn asset_root() -> PathBuf {
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/root"));
    home.join(".cache/supervisor-assist")
}

impl RealEmbedder {
    pub fn load() -> Self {
        let root = asset_root();
        ort::init_from(root.join("onnxruntime/libonnxruntime.so"))
            .expect("onnxruntime")
            .commit();
        let dir = root.join("all-MiniLM-L6-v2");
        let read = |name: &str| std::fs::read(dir.join(name)).expect(name);
        let files = TokenizerFiles {
            tokenizer_file: read("tokenizer.json"),
            config_file: read("config.json"),
            special_tokens_map_file: read("special_tokens_map.json"),
            tokenizer_config_file: read("tokenizer_config.json"),
        };
        let model =
            UserDefinedEmbeddingModel::new(read("model.onnx"), files).with_pooling(Pooling::Mean);
        let options = InitOptionsUserDefined::new().with_max_length(256);
        let model = TextEmbedding::try_new_from_user_defined(model, options).expect("load MiniLM");
        Self {
            model: Mutex::new(model),
        }
    }
}

impl Embedder for RealEmbedder {
    fn model_name(&self) -> &str {
        "all-MiniLM-L6-v2"
    }
    fn dim(&self) -> usize {
        384
    }
    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        let mut model = self
            .model
            .lock()
            .map_err(|e| EmbedError::Inference(e.to_string()))?;
        model
            .embed(texts, Some(32))
            .map_err(|e| EmbedError::Inference(e.to_string()))
    }
}

/// One real embedder per test binary (loading takes ~0.3 s).
pub fn shared_real() -> Arc<RealEmbedder> {
    static ONCE: OnceLock<Arc<RealEmbedder>> = OnceLock::new();
    ONCE.get_or_init(|| Arc::new(RealEmbedder::load())).clone()
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
