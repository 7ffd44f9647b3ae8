//! `supervisor-assist audit`: export the decision log (JSONL or CSV) and print the per-article
//! acceptance report, read from the same sled database the pipeline writes.
//!
//! sled allows one process per database: while the tray app (or `headless`) runs, this command
//! fails with a message saying so instead of waiting.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use assist_core::audit::{ArticleAcceptance, AuditLog};

/// Options of `supervisor-assist audit`.
#[derive(Debug, Clone, clap::Args)]
pub struct AuditArgs {
    #[command(subcommand)]
    pub action: AuditAction,
    /// Data directory (default: the app's; with --demo its `demo/` subdirectory).
    #[arg(long, value_name = "DIR", global = true)]
    pub data_dir: Option<PathBuf>,
}

/// What to do with the audit log.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum AuditAction {
    /// Every decision (who, when, suggested vs sent, scores, latency), oldest first.
    Export {
        /// Output format.
        #[arg(long, value_enum, default_value = "jsonl")]
        format: ExportFormat,
        /// Write here instead of stdout.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Per article: suggested / approved / edited / rejected / expired and the acceptance rate.
    Report {
        /// One JSON array instead of a table.
        #[arg(long)]
        json: bool,
    },
}

/// Export formats.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum ExportFormat {
    Jsonl,
    Csv,
}

/// Runs the audit command.
pub fn run(common: &crate::cli::CommonArgs, args: AuditArgs) -> anyhow::Result<()> {
    let data_dir = args.data_dir.clone().unwrap_or_else(|| {
        let base = crate::runtime::default_data_dir();
        if common.demo {
            base.join("demo")
        } else {
            base
        }
    });
    let log = open_audit_log(&data_dir)?;
    match args.action {
        AuditAction::Export { format, out } => export(&log, format, out.as_deref()),
        AuditAction::Report { json } => report(&log, json),
    }
}

fn open_audit_log(data_dir: &Path) -> anyhow::Result<AuditLog> {
    assist_core::assemble::open_audit_log(data_dir).map_err(|e| {
        anyhow::anyhow!(
            "{e} — if Supervisor Assist is running with this data dir, quit it (tray → Quit) and run this again"
        )
    })
}

fn export(log: &AuditLog, format: ExportFormat, out: Option<&Path>) -> anyhow::Result<()> {
    let mut sink: Box<dyn Write> = match out {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?,
        )),
        None => Box::new(std::io::stdout().lock()),
    };
    let written = match format {
        ExportFormat::Jsonl => log.export_jsonl(&mut sink)?,
        ExportFormat::Csv => log.export_csv(&mut sink)?,
    };
    sink.flush().context("writing the export")?;
    if let Some(path) = out {
        eprintln!("{written} records written to {}", path.display());
    }
    Ok(())
}

fn report(log: &AuditLog, json: bool) -> anyhow::Result<()> {
    let rows = log.acceptance_report()?;
    if json {
        println!("{}", serde_json::to_string(&rows)?);
    } else {
        print!("{}", report_table(&rows));
    }
    Ok(())
}

/// The acceptance report as an aligned text table.
pub fn report_table(rows: &[ArticleAcceptance]) -> String {
    let mut out = format!(
        "{:<40} {:>9} {:>8} {:>6} {:>8} {:>7} {:>10}\n",
        "article", "suggested", "approved", "edited", "rejected", "expired", "acceptance"
    );
    for r in rows {
        let rate = r
            .acceptance_rate
            .map_or("-".to_string(), |x| format!("{:.0}%", x * 100.0));
        out.push_str(&format!(
            "{:<40} {:>9} {:>8} {:>6} {:>8} {:>7} {:>10}\n",
            r.article_id, r.suggested, r.approved, r.edited, r.rejected, r.expired, rate
        ));
    }
    out
}
