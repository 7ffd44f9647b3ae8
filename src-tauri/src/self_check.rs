//! `supervisor-assist self-check` (hidden): proves an install is complete without a display or network.
//!
//! Finds the model and ONNX Runtime through [`crate::runtime::asset_candidates`] (the same search the app uses),
//! loads them, embeds one sentence, checks the vector, and prints one line:
//! `OK: all-MiniLM-L6-v2 embedded 1 sentence into 384 dims (assets: /usr/lib/supervisor-assist)`.
//! Used by `scripts/check-deb-install.sh` inside a clean Debian chroot.

use anyhow::{ensure, Context};
use assist_core::assets;
use assist_core::nlp::{Embedder, MiniLmEmbedder, MiniLmOptions};

/// The sentence embedded by the check.
const PROBE_SENTENCE: &str = "My card was declined at checkout, can you help me?";

/// Loads the assets, embeds a fixed probe sentence and prints the result line on stdout.
pub fn run() -> anyhow::Result<()> {
    crate::logging::init(None);
    let line = check()?;
    println!("{line}");
    Ok(())
}

/// The check itself; returns the line [`run`] prints.
pub fn check() -> anyhow::Result<String> {
    let candidates = crate::runtime::asset_candidates();
    let found =
        assets::locate_assets(&candidates).context("locating the model and ONNX Runtime")?;
    let embedder = MiniLmEmbedder::from_candidates(&candidates, &MiniLmOptions::default())
        .context("loading the model")?;
    let vectors = embedder
        .embed(&[PROBE_SENTENCE])
        .context("embedding a sentence")?;
    let vector = vectors.first().context("the model returned no vector")?;
    ensure!(
        vector.len() == embedder.dim(),
        "the model returned {} dims, expected {}",
        vector.len(),
        embedder.dim()
    );
    let norm = vector.iter().map(|x| x * x).sum::<f32>().sqrt();
    ensure!(
        (norm - 1.0).abs() < 1e-3,
        "the vector is not L2-normalised (norm {norm})"
    );
    Ok(format!(
        "OK: {} embedded 1 sentence into {} dims (assets: {})",
        embedder.model_name(),
        vector.len(),
        found.root.display()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embeds_the_probe_with_the_installed_assets() {
        let line = check().unwrap();
        assert!(
            line.starts_with("OK: all-MiniLM-L6-v2 embedded 1 sentence into 384 dims (assets: ")
        );
    }
}
