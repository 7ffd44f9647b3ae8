//! # assist-core
//!
//! The Supervisor Assist pipeline as a library: no tauri, no OS directory lookups (the shell passes paths in).
//!
//! # Layout
//! - [`domain`]: the plain data that flows between stages.
//! - [`config`]: raw TOML + environment → validated settings.
//! - [`auth`]: secret store (keychain) and token sources.
//! - [`events`]: the interactions stream (WebSocket), parsing, reconnect.
//! - [`nlp`]: key phrases and the local MiniLM embedder.
//! - [`kb`]: knowledge client, sled store, HNSW + BM25 snapshot.
//! - [`publish`]: the Assist card sink and its retry policy.

pub mod auth;
pub mod config;
pub mod domain;
pub mod events;
pub mod kb;
pub mod nlp;
pub mod pipeline;
pub mod publish;
