//! Command line: `supervisor-assist [--demo [--demo-sim-port PORT]] [--config FILE] [headless ... | eval ...]`.
//!
//! No subcommand starts the tray app; `headless` and `eval` route to [`crate::headless`] and [`crate::eval_cmd`];
//! the hidden `self-check` (used by the .deb install check) routes to [`crate::self_check`].

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::audit_cmd::AuditArgs;
use crate::eval_cmd::EvalArgs;
use crate::headless::HeadlessArgs;

/// Supervisor Assist: knowledge-base suggestions for contact-center supervisors.
#[derive(Debug, Parser)]
#[command(name = "supervisor-assist", version, about)]
pub struct Cli {
    #[command(flatten)]
    pub common: CommonArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Options shared by every mode.
#[derive(Debug, Clone, Default, Args)]
pub struct CommonArgs {
    /// Run against the built-in CXone simulator with demo data and demo credentials (no keychain needed).
    #[arg(long, global = true)]
    pub demo: bool,
    /// Port for the demo simulator (default: any free port; the base URL is logged).
    #[arg(long, value_name = "PORT", requires = "demo", global = true)]
    pub demo_sim_port: Option<u16>,
    /// Config file (default: config.toml in the app config dir).
    #[arg(long, value_name = "FILE", global = true)]
    pub config: Option<PathBuf>,
    /// Show canned suggestions without any network (UI development and WebDriver tests).
    #[arg(long, hide = true)]
    pub ui_preview: bool,
    /// Start in the tray with the queue window hidden (used by the autostart entry).
    #[arg(long)]
    pub hidden: bool,
}

/// The modes besides the tray app.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the pipeline without a window, printing events as JSON lines.
    Headless(HeadlessArgs),
    /// Evaluate retrieval quality offline.
    Eval(EvalArgs),
    /// Export the decision audit log or print the per-article acceptance report.
    Audit(AuditArgs),
    /// Load the model and ONNX Runtime, embed one sentence, print OK and the dimensions (install check).
    #[command(hide = true)]
    SelfCheck,
}

/// Runs the mode the command line asks for.
pub fn dispatch(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        None => crate::run(cli.common),
        Some(Command::Headless(args)) => crate::headless::run(&cli.common, args),
        Some(Command::Eval(args)) => crate::eval_cmd::run(&cli.common, args),
        Some(Command::Audit(args)) => crate::audit_cmd::run(&cli.common, args),
        Some(Command::SelfCheck) => crate::self_check::run(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_demo_port_config_and_subcommands() {
        let cli = Cli::try_parse_from([
            "supervisor-assist",
            "--demo",
            "--demo-sim-port",
            "8099",
            "--config",
            "c.toml",
        ])
        .unwrap();
        assert!(cli.common.demo && cli.command.is_none());
        assert_eq!(cli.common.demo_sim_port, Some(8099));
        assert_eq!(cli.common.config, Some(PathBuf::from("c.toml")));
        let cli = Cli::try_parse_from(["supervisor-assist", "headless", "--demo"]).unwrap();
        assert!(matches!(cli.command, Some(Command::Headless(_))) && cli.common.demo);
        assert!(Cli::try_parse_from(["supervisor-assist", "--demo-sim-port", "1"]).is_err());
        let cli = Cli::try_parse_from(["supervisor-assist", "--hidden"]).unwrap();
        assert!(cli.common.hidden && cli.command.is_none());
        let cli = Cli::try_parse_from(["supervisor-assist", "self-check"]).unwrap();
        assert!(matches!(cli.command, Some(Command::SelfCheck)));
    }
}
