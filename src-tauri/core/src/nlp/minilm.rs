//! [`MiniLmEmbedder`]: all-MiniLM-L6-v2 through fastembed and a dynamically loaded ONNX Runtime.
//!
//! Matches sentence-transformers: mean pooling, max length 256, L2-normalised rows.
//! ONNX Runtime is loaded with `ort::init_from` *before* fastembed touches it, so a missing or
//! incompatible library is an [`EmbedError::Assets`] instead of fastembed's panic. The library is
//! loaded once per process; later constructions reuse it (several embedders may coexist).

use std::num::NonZeroUsize;
use std::sync::Mutex;

use fastembed::{
    InitOptionsUserDefined, Pooling, TextEmbedding, TokenizerFiles, UserDefinedEmbeddingModel,
};

use crate::assets::{self, AssetError, AssetPaths, FIX_HINT};
use crate::nlp::embedder::{EmbedError, Embedder};

/// Name recorded next to stored vectors.
pub const MODEL_NAME: &str = "all-MiniLM-L6-v2";
/// Output dimension of all-MiniLM-L6-v2.
pub const DIM: usize = 384;
/// sentence-transformers' `max_seq_length` for this model.
pub const MAX_TOKENS: usize = 256;

/// Tuning knobs for [`MiniLmEmbedder::load`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MiniLmOptions {
    /// ONNX Runtime intra-op threads for one inference.
    pub intra_threads: usize,
    /// Texts per inference call inside one [`Embedder::embed`] batch.
    pub batch_size: usize,
}

impl Default for MiniLmOptions {
    /// Intra-op threads = available parallelism capped at 2 (the app shares the CPU with the
    /// supervisor's other work); batch size 1. Measured on 120 demo articles (2 cores): batch 32
    /// padded every text to the longest and grew ONNX Runtime's arena to 1.46 GB peak RSS, batch 8
    /// to 487 MB, batch 4 to 341 MB, batch 1 stayed at 268 MB and was also the fastest (no padding).
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, NonZeroUsize::get);
        Self {
            intra_threads: cores.clamp(1, 2),
            batch_size: 1,
        }
    }
}

/// The real [`Embedder`]. `embed` is blocking and CPU-bound: call it from `spawn_blocking`.
pub struct MiniLmEmbedder {
    /// fastembed's `embed` takes `&mut self`; the trait takes `&self`.
    model: Mutex<TextEmbedding>,
    batch_size: usize,
}

impl std::fmt::Debug for MiniLmEmbedder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MiniLmEmbedder")
            .field("batch_size", &self.batch_size)
            .finish_non_exhaustive()
    }
}

impl MiniLmEmbedder {
    /// Loads ONNX Runtime (first call in the process only), the model and the tokenizer.
    /// Every failure is an [`EmbedError::Assets`] whose message names the file and the fix.
    pub fn load(paths: &AssetPaths, options: &MiniLmOptions) -> Result<Self, EmbedError> {
        load_onnx_runtime(paths)?;
        let onnx = assets::read(&paths.onnx_model).map_err(asset_err)?;
        let tokenizer_files = TokenizerFiles {
            tokenizer_file: assets::read(&paths.tokenizer_json).map_err(asset_err)?,
            config_file: assets::read(&paths.config_json).map_err(asset_err)?,
            special_tokens_map_file: assets::read(&paths.special_tokens_map_json)
                .map_err(asset_err)?,
            tokenizer_config_file: assets::read(&paths.tokenizer_config_json).map_err(asset_err)?,
        };
        let model =
            UserDefinedEmbeddingModel::new(onnx, tokenizer_files).with_pooling(Pooling::Mean);
        let init = InitOptionsUserDefined::new()
            .with_max_length(MAX_TOKENS)
            .with_intra_threads(options.intra_threads.max(1));
        let embedding = TextEmbedding::try_new_from_user_defined(model, init).map_err(|e| {
            asset_err(AssetError::Corrupt {
                path: paths.onnx_model.clone(),
                reason: format!("ONNX Runtime could not load the model or tokenizer ({e})"),
            })
        })?;
        tracing::info!(
            model = MODEL_NAME,
            threads = options.intra_threads,
            "MiniLM embedder loaded"
        );
        Ok(Self {
            model: Mutex::new(embedding),
            batch_size: options.batch_size.max(1),
        })
    }

    /// [`assets::locate_assets`] then [`MiniLmEmbedder::load`].
    pub fn from_candidates(
        candidates: &[std::path::PathBuf],
        options: &MiniLmOptions,
    ) -> Result<Self, EmbedError> {
        let paths = assets::locate_assets(candidates).map_err(asset_err)?;
        Self::load(&paths, options)
    }
}

impl Embedder for MiniLmEmbedder {
    fn model_name(&self) -> &str {
        MODEL_NAME
    }

    fn dim(&self) -> usize {
        DIM
    }

    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        let mut model = self
            .model
            .lock()
            .map_err(|_| EmbedError::Inference("embedder poisoned by an earlier panic".into()))?;
        let vectors = model
            .embed(texts, Some(self.batch_size))
            .map_err(|e| EmbedError::Inference(e.to_string()))?;
        if vectors.len() != texts.len() || vectors.iter().any(|v| v.len() != DIM) {
            return Err(EmbedError::Inference(format!(
                "model returned {} vectors for {} texts (expected dimension {DIM})",
                vectors.len(),
                texts.len()
            )));
        }
        Ok(vectors)
    }
}

fn asset_err(e: AssetError) -> EmbedError {
    EmbedError::Assets(e.to_string())
}

/// Loads the ONNX Runtime library once per process. A second call (even with another path) is a
/// no-op: ONNX Runtime cannot be unloaded or swapped while the process runs.
fn load_onnx_runtime(paths: &AssetPaths) -> Result<(), EmbedError> {
    match ort::init_from(&paths.ort_dylib) {
        Ok(_environment_builder) => Ok(()),
        Err(e) => Err(EmbedError::Assets(format!(
            "ONNX Runtime library {} cannot be loaded ({e}). Fix: {FIX_HINT}",
            paths.ort_dylib.display()
        ))),
    }
}
