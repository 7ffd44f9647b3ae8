//! NLP benchmarks (figures, not asserts): one utterance, a batch of 32, key phrases on 12 turns.
//!
//! Run: `cargo bench -p assist-core --bench nlp -- --warm-up-time 1 --measurement-time 3`
//! (needs the real assets, see `scripts/fetch-assets.py`).

use assist_core::nlp::keyphrases::seed::{SeedKeyphraseExtractor, SEED_TOP_K};
use assist_core::nlp::{extract_keyphrases, Embedder, KeyPhraseOptions};
use assist_core::testing::{real_asset_paths, real_embedder};
use criterion::{black_box, criterion_group, criterion_main, Criterion};

/// ~40 WordPiece tokens, call-center phrasing.
const UTTERANCE: &str = "Hi, I upgraded to the Unlimited Plus plan last week and since then my router keeps \
     dropping the connection every evening, and the app shows error E-1042 when I try to restart it.";

const TRANSCRIPT: &str = "Agent: Thank you for calling Northwind Telecom, my name is Dana, how can I help you today?
Customer: Hi, um, my internet keeps dropping every evening since I upgraded to the Unlimited Plus 5G plan.
Agent: I'm sorry to hear that. Let me check your account. Can I have the order number?
Customer: Sure, it's ORD-558120. The router was replaced last week too.
Agent: Thank you. I see the new router, a Nighthawk AX5400. Are you seeing any error on it?
Customer: Yeah, the app shows error E-1042 and the light on the router blinks orange.
Agent: Okay, E-1042 usually means the firmware update failed. Have you tried a factory reset?
Customer: No, I, uh, I restarted it a few times but not a factory reset.
Agent: Let me walk you through the factory reset and then we will reinstall the firmware update.
Customer: Will I lose my Wi-Fi password and the parental controls settings?
Agent: You will need to set the Wi-Fi password again, the parental controls are stored in your account.
Customer: Okay, and if the connection still drops after the firmware update, can I get a refund for this month?";

fn bench_embed(c: &mut Criterion) {
    let embedder = real_embedder();
    c.bench_function("embed 1 utterance (~40 tokens)", |b| {
        b.iter(|| embedder.embed(black_box(&[UTTERANCE])).map(|v| v.len()))
    });
    let batch: Vec<&str> = std::iter::repeat_n(UTTERANCE, 32).collect();
    c.bench_function("embed batch of 32 utterances", |b| {
        b.iter(|| embedder.embed(black_box(&batch)).map(|v| v.len()))
    });
}

fn bench_keyphrases(c: &mut Criterion) {
    let options = KeyPhraseOptions::default();
    c.bench_function("key phrases, 12-turn transcript", |b| {
        b.iter(|| extract_keyphrases(black_box(TRANSCRIPT), &options))
    });
    let seed = SeedKeyphraseExtractor::from_tokenizer_file(&real_asset_paths().tokenizer_json)
        .expect("tokenizer.json loads");
    c.bench_function("seed key phrases (tokenizer proxy), 12 turns", |b| {
        b.iter(|| seed.extract(black_box(TRANSCRIPT), SEED_TOP_K))
    });
}

criterion_group!(benches, bench_embed, bench_keyphrases);
criterion_main!(benches);
