//! The `Embedder` seam. Real implementation: fastembed + ONNX Runtime (see `fastembed_embedder`).

/// Why embedding failed; the caller either asks the user to fix the assets or gives up on this text.
#[derive(Debug, thiserror::Error)]
pub enum EmbedError {
    /// Model or runtime missing/corrupt: the message names the fix.
    #[error("embedding assets unavailable: {0}")]
    Assets(String),
    /// Inference failed for this batch.
    #[error("embedding failed: {0}")]
    Inference(String),
}

/// Turns texts into L2-normalised vectors. Blocking and CPU-bound: call it from `spawn_blocking`.
pub trait Embedder: Send + Sync {
    /// Model identifier recorded next to stored vectors (e.g. `all-MiniLM-L6-v2`).
    fn model_name(&self) -> &str;
    /// Vector dimension (384 for all-MiniLM-L6-v2).
    fn dim(&self) -> usize;
    /// Embeds a batch; one L2-normalised vector of `dim()` per input, same order.
    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError>;
}
