//! # assist-core
//!
//! The Supervisor Assist pipeline as a library: no tauri, no OS directory lookups (the shell passes paths in).
//!
//! # Layout
//! - [`domain`]: the plain data that flows between stages.
//! - [`auth`]: secret store (keychain) and token sources.
//! - [`events`]: the interactions stream (WebSocket), parsing, reconnect.
//! - [`nlp`]: key phrases and the local MiniLM embedder.
//! - [`kb`]: knowledge client, sled store, HNSW + BM25 snapshot.
//! - [`pii`]: redaction of card numbers, SSNs, e-mails and phone numbers.
//! - [`interaction`]: per-interaction state (turn window, debounce, seen articles).
//! - [`queue`]: the approval state machine; [`outbox`]: durable delivery queue;
//!   [`audit`]: durable decision log and exports; [`metrics`]: latency percentiles.

pub mod audit;
pub mod auth;
pub mod domain;
pub mod events;
pub mod interaction;
pub mod kb;
pub mod metrics;
pub mod nlp;
pub mod outbox;
pub mod pii;
pub mod pipeline;
pub mod queue;
