//! Text → numbers: key phrases from a transcript and sentence embeddings (all-MiniLM-L6-v2).

pub mod embedder;
pub mod keyphrases;
pub mod minilm;

pub use embedder::{EmbedError, Embedder};
pub use keyphrases::{extract_keyphrases, query_text, KeyPhrase, KeyPhraseOptions};
pub use minilm::{MiniLmEmbedder, MiniLmOptions};
