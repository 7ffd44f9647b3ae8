//! Vector math for the dense side: dot product, true cosine, and the HNSW distance on normalised vectors.

use hnsw_rs::anndists::dist::Distance;

/// `1 − dot` on L2-normalised vectors, clamped at 0 (anndists' `DistDot` asserts on rounding above 1).
#[derive(Debug, Clone, Copy, Default)]
pub struct NormalisedDot;

impl Distance<f32> for NormalisedDot {
    fn eval(&self, va: &[f32], vb: &[f32]) -> f32 {
        (1.0 - dot(va, vb)).max(0.0)
    }
}

/// Dot product written so the compiler vectorises it.
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut lanes = [0f32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in ca.zip(cb) {
        for i in 0..8 {
            lanes[i] += x[i] * y[i];
        }
    }
    lanes.iter().sum::<f32>() + tail
}

/// True cosine similarity (does not assume normalised inputs).
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let norms = (dot(a, a) * dot(b, b)).sqrt();
    if norms > 0.0 {
        (dot(a, b) / norms).clamp(-1.0, 1.0)
    } else {
        0.0
    }
}
