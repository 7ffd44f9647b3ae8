//! The knowledge base: the CXone knowledge client, the sled store, HNSW + BM25 indexes, snapshots.

pub mod client;
pub mod html;
