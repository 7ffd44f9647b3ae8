//! Test helpers for this crate and its dependants (feature `test-util`). Not for production code.

pub mod real_model;

pub use real_model::{
    real_asset_paths, real_embedder, shared_real_embedder, test_asset_candidates,
};
