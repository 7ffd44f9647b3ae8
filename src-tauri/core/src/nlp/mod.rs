//! Text → numbers: key phrases from a transcript and sentence embeddings (all-MiniLM-L6-v2).

pub mod embedder;

pub use embedder::{EmbedError, Embedder};
