//! The seed's key-phrase method, kept for comparison in the evaluation (not used for suggestions).
//!
//! What the seed does: tokenise the transcript with the MiniLM WordPiece tokenizer (truncated at
//! 512 tokens), run the model with `output_attentions=True`, average the attention maps over layers,
//! drop `[PAD]`/`[CLS]`/`[SEP]`, sort tokens by attention, decode the top 5 **single sub-word tokens**
//! one by one, and de-duplicate (after taking 5, so it may return fewer).
//!
//! Why a stand-in: our int8 ONNX export outputs only `last_hidden_state` (no attention tensors), and
//! the seed's code cannot run as written anyway (after `mean(dim=0).squeeze(0)` it zips token ids with
//! the *heads* axis and calls `.item()` on a `[seq, seq]` tensor). We keep everything observable about
//! the method: same tokenizer and truncation, same exclusions, single sub-word tokens decoded one at a
//! time (`##ing` stays `##ing`), top 5, de-duplicated after the cut. Only the score differs:
//! attention received is replaced by a **proxy** = Σ over the token's occurrences of `ln(vocab id)`.
//! BERT's WordPiece vocabulary is roughly frequency-ordered (low ids = common pieces), so `ln(id)`
//! acts like an IDF and repeated tokens accumulate, as received attention does. Ties: higher id first.

use std::collections::HashMap;
use std::path::Path;

use tokenizers::Tokenizer;

use crate::assets::{AssetError, FIX_HINT};

/// The seed's truncation length.
const SEED_MAX_TOKENS: usize = 512;
/// The seed's `top_k`.
pub const SEED_TOP_K: usize = 5;

/// Tokenizer-based stand-in for the seed's attention key phrases (see the module docs).
pub struct SeedKeyphraseExtractor {
    tokenizer: Tokenizer,
    special_ids: Vec<u32>,
}

impl std::fmt::Debug for SeedKeyphraseExtractor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SeedKeyphraseExtractor")
            .field("special_ids", &self.special_ids)
            .finish_non_exhaustive()
    }
}

impl SeedKeyphraseExtractor {
    /// Loads `tokenizer.json` (the MiniLM one) with the seed's settings: no padding, truncation at 512.
    pub fn from_tokenizer_file(path: &Path) -> Result<Self, AssetError> {
        let corrupt = |reason: String| AssetError::Corrupt {
            path: path.to_path_buf(),
            reason,
        };
        let mut tokenizer =
            Tokenizer::from_file(path).map_err(|e| corrupt(format!("unusable tokenizer ({e})")))?;
        tokenizer.with_padding(None);
        tokenizer
            .with_truncation(Some(tokenizers::TruncationParams {
                max_length: SEED_MAX_TOKENS,
                ..Default::default()
            }))
            .map_err(|e| corrupt(format!("cannot set truncation ({e})")))?;
        let special_ids = ["[PAD]", "[CLS]", "[SEP]"]
            .iter()
            .filter_map(|t| tokenizer.token_to_id(t))
            .collect::<Vec<_>>();
        if special_ids.len() != 3 {
            return Err(corrupt(format!(
                "missing [PAD]/[CLS]/[SEP] tokens. Fix: {FIX_HINT}"
            )));
        }
        Ok(Self {
            tokenizer,
            special_ids,
        })
    }

    /// Up to `top_k` single sub-word tokens, best first (fewer when duplicates decode alike).
    pub fn extract(&self, text: &str, top_k: usize) -> Vec<String> {
        let encoding = match self.tokenizer.encode(text, true) {
            Ok(encoding) => encoding,
            Err(e) => {
                tracing::warn!(error = %e, "seed key phrases: tokenizer failed");
                return Vec::new();
            }
        };
        let mut scores: HashMap<u32, f32> = HashMap::new();
        for &id in encoding.get_ids() {
            if !self.special_ids.contains(&id) {
                *scores.entry(id).or_default() += (id.max(2) as f32).ln();
            }
        }
        let mut ranked: Vec<(u32, f32)> = scores.into_iter().collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(b.0.cmp(&a.0)));
        let mut out: Vec<String> = Vec::new();
        for (id, _) in ranked.into_iter().take(top_k) {
            let token = self.tokenizer.id_to_token(id).unwrap_or_default();
            if !token.is_empty() && !out.contains(&token) {
                out.push(token);
            }
        }
        out
    }
}
