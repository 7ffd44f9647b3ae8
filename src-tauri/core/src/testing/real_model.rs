//! The real all-MiniLM-L6-v2 model for tests: located via `$SUPERVISOR_ASSIST_ASSETS`, else
//! `$XDG_CACHE_HOME/supervisor-assist`, else `~/.cache/supervisor-assist`.
//!
//! Missing assets make the calling test **fail** (panic) with the fix in the message; tests never skip.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use crate::assets::{self, AssetPaths, ASSETS_ENV_VAR};
use crate::nlp::minilm::{MiniLmEmbedder, MiniLmOptions};

/// Candidate asset dirs for tests, in the app's order (env override, then the per-user cache dir).
pub fn test_asset_candidates() -> Vec<PathBuf> {
    let env_override = std::env::var_os(ASSETS_ENV_VAR).map(PathBuf::from);
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")));
    assets::default_candidates(env_override, cache, None)
}

/// Paths of the installed assets; panics with the fix when they are missing or corrupt.
pub fn real_asset_paths() -> AssetPaths {
    match assets::locate_assets(&test_asset_candidates()) {
        Ok(paths) => paths,
        Err(e) => panic!("the real MiniLM assets are required by this test: {e}"),
    }
}

/// A fresh real embedder (2 intra-op threads); panics with the fix when the assets are unusable.
pub fn real_embedder() -> MiniLmEmbedder {
    match MiniLmEmbedder::load(&real_asset_paths(), &MiniLmOptions::default()) {
        Ok(embedder) => embedder,
        Err(e) => panic!("the real MiniLM embedder is required by this test: {e}"),
    }
}

/// One real embedder shared by every test of the calling test binary (loads once, ~0.3 s).
pub fn shared_real_embedder() -> Arc<MiniLmEmbedder> {
    static SHARED: OnceLock<Arc<MiniLmEmbedder>> = OnceLock::new();
    SHARED.get_or_init(|| Arc::new(real_embedder())).clone()
}
