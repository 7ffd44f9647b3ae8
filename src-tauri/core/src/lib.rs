//! # assist-core
//!
//! The Supervisor Assist pipeline as a library: no tauri, no OS directory lookups (the shell passes paths in).
//!
//! # Layout
//! - [`domain`]: the plain data that flows between stages.
//! - [`auth`]: secret store (keychain) and token sources.
//! - [`events`]: the interactions stream (WebSocket), parsing, reconnect.
//! - [`assets`]: where the model and ONNX Runtime are, and whether they are usable.
//! - [`nlp`]: key phrases and the local MiniLM embedder.
//! - [`kb`]: knowledge client, sled store, HNSW + BM25 snapshot, [`kb::retrieve`].
//! - [`rank`]: hybrid score fusion (pure functions).
//! - [`eval`]: recall/MRR/nDCG evaluation of the retrieval methods on a JSONL dev set.

pub mod assets;
pub mod auth;
pub mod domain;
pub mod eval;
pub mod events;
pub mod kb;
pub mod nlp;
pub mod pipeline;
pub mod rank;
#[cfg(feature = "test-util")]
pub mod testing;
