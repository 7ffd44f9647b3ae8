//! `supervisor-assist headless`: the pipeline without a window, printing events as JSON lines.
//!
//! OWNED BY THE LEAD: the shell only routes here. Until the body lands this answers "not wired yet".

/// Options of `supervisor-assist headless` (the lead extends these).
#[derive(Debug, Clone, clap::Args)]
pub struct HeadlessArgs {}

/// Runs the headless mode.
pub fn run(_common: &crate::cli::CommonArgs, _args: HeadlessArgs) -> anyhow::Result<()> {
    anyhow::bail!("`headless` is not wired yet")
}
