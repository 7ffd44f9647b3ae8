//! `supervisor-assist eval`: offline retrieval evaluation of BM25, dense, the seed's method and ours.

use std::path::PathBuf;

use anyhow::Context;
use assist_core::assets;
use assist_core::eval::{self, EvalOptions};
use assist_core::nlp::keyphrases::seed::SeedKeyphraseExtractor;
use assist_core::nlp::{extract_keyphrases, query_text, KeyPhraseOptions};

/// Options of `supervisor-assist eval`.
#[derive(Debug, Clone, clap::Args)]
pub struct EvalArgs {
    /// Articles, one JSON object per line: `{"id","title","content"}` (extra fields ignored).
    #[arg(long, value_name = "FILE")]
    pub kb: PathBuf,
    /// Queries, one JSON object per line: `{"qid","transcript","relevant":[ids]}`.
    #[arg(long, value_name = "FILE")]
    pub queries: PathBuf,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Runs the evaluation and prints the report.
pub fn run(_common: &crate::cli::CommonArgs, args: EvalArgs) -> anyhow::Result<()> {
    crate::logging::init(None);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let embedder = runtime.block_on(crate::runtime::load_embedder())?;
    let candidates = crate::runtime::asset_candidates();
    let asset_paths = assets::locate_assets(&candidates)?;
    let seed = SeedKeyphraseExtractor::from_tokenizer_file(&asset_paths.tokenizer_json)
        .context("loading the tokenizer for the seed's key phrases")?;
    let keyphrase_query = |transcript: &str| {
        query_text(&extract_keyphrases(
            transcript,
            &KeyPhraseOptions::default(),
        ))
    };
    let seed_keyphrases = |transcript: &str| seed.extract(transcript, 5);
    let options = EvalOptions {
        keyphrase_query: &keyphrase_query,
        seed_keyphrases: &seed_keyphrases,
        ..EvalOptions::default()
    };
    let report = eval::run(&args.kb, &args.queries, embedder.as_ref(), &options)?;
    if args.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        println!("{}", report.to_table());
    }
    Ok(())
}
