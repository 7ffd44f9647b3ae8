//! The knowledge base: the CXone knowledge client, the sled store, HNSW + BM25 indexes, snapshots.

pub mod bm25_index;
pub mod client;
pub mod graph_file;
pub mod handle;
pub mod html;
pub mod query;
pub mod snapshot;
pub mod store;
pub mod vector;

pub use graph_file::GraphFiles;
pub use handle::KbHandle;
pub use query::{retrieve, RetrieveParams};
pub use snapshot::{HnswParams, KbSnapshot};
pub use store::{KbStore, StoreError, StoreState};
