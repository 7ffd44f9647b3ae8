//! `supervisor-assist eval`: offline retrieval evaluation.
//!
//! OWNED BY THE LEAD: the shell only routes here. Until the body lands this answers "not wired yet".

/// Options of `supervisor-assist eval` (the lead extends these).
#[derive(Debug, Clone, clap::Args)]
pub struct EvalArgs {}

/// Runs the evaluation.
pub fn run(_common: &crate::cli::CommonArgs, _args: EvalArgs) -> anyhow::Result<()> {
    anyhow::bail!("`eval` is not wired yet")
}
