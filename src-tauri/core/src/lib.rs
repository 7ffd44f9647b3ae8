//! # assist-core
//!
//! The Supervisor Assist pipeline as a library: no tauri, no OS directory lookups (the shell passes paths in).
//!
//! # Layout
//! - [`domain`]: the plain data that flows between stages.
//! - [`config`]: raw TOML + environment → validated settings.
//! - [`auth`]: secret store (keychain) and token sources.
//! - [`events`]: the interactions stream (WebSocket), parsing, reconnect.
//! - [`assets`]: where the model and ONNX Runtime are, and whether they are usable.
//! - [`nlp`]: key phrases and the local MiniLM embedder.
//! - [`kb`]: knowledge client, sled store, HNSW + BM25 snapshot, [`kb::retrieve`].
//! - [`rank`]: hybrid score fusion (pure functions).
//! - [`pii`]: redaction of card numbers, SSNs, e-mails and phone numbers.
//! - [`interaction`]: per-interaction conversation turns and the query window (by turns and/or age).
//! - [`queue`]: the approval state machine; [`outbox`]: durable delivery queue; [`audit`]: decision log;
//!   [`metrics`]: latency percentiles.
//! - [`publish`]: the Assist card sink and its retry policy.
//! - [`pipeline`]: the stages as tokio tasks and the handle the shell drives them with; [`assemble`]: config → running pipeline.
//! - [`eval`]: recall/MRR/nDCG evaluation of the retrieval methods on a JSONL dev set.

pub mod assemble;
pub mod assets;
pub mod audit;
pub mod auth;
pub mod config;
pub mod digest;
pub mod domain;
pub mod eval;
pub mod events;
#[doc(hidden)]
pub mod fuzzing;
pub mod interaction;
pub mod kb;
pub mod metrics;
pub mod nlp;
pub mod outbox;
pub mod pii;
pub mod pipeline;
pub mod publish;
pub mod queue;
pub mod rank;
#[cfg(feature = "test-util")]
pub mod testing;
