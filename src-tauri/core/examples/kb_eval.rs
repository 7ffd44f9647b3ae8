//! Runs the retrieval evaluation with the real model: `cargo run -p assist-core --example kb_eval -- KB.jsonl QUERIES.jsonl [--no-exact]`.
//! Prints the table, then the JSON report (the `supervisor-assist eval` subcommand prints the same).

use std::path::Path;

use assist_core::eval::{run, EvalOptions};
use assist_core::nlp::keyphrases::seed::SeedKeyphraseExtractor;
use assist_core::nlp::{extract_keyphrases, query_text, KeyPhraseOptions};
use assist_core::testing::real_model::{real_asset_paths, real_embedder};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (kb, queries) = (Path::new(&args[1]), Path::new(&args[2]));
    let paths = real_asset_paths();
    let seed =
        SeedKeyphraseExtractor::from_tokenizer_file(&paths.tokenizer_json).expect("tokenizer");
    let phrase_options = KeyPhraseOptions::default();
    let keyphrase_query = |t: &str| query_text(&extract_keyphrases(t, &phrase_options));
    let seed_keyphrases = |t: &str| seed.extract(t, 5);
    let mut options = EvalOptions {
        keyphrase_query: &keyphrase_query,
        seed_keyphrases: &seed_keyphrases,
        ..EvalOptions::default()
    };
    if args.iter().any(|a| a == "--no-exact") {
        options.params.weights.exact = 0.0;
    }
    let report = run(kb, queries, &real_embedder(), &options).expect("eval");
    println!("{}", report.to_table());
    println!("{}", serde_json::to_string(&report).expect("json"));
}
