//! `supervisor-assist headless`: the same pipeline without a window, for servers, benchmarks and scripted checks.
//! Prints one JSON object per line on stdout, each with a `kind` and the `interaction_id`.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use assist_core::pipeline::api::{PipelineEvent, StatusSnapshot};
use assist_core::pipeline::CountersSnapshot;
use assist_core::queue::AutoApprove;
use serde_json::{json, Value};
use tokio::sync::broadcast::error::RecvError;

use crate::runtime::{self, RuntimePaths};

/// Options of `supervisor-assist headless`.
#[derive(Debug, Clone, clap::Args)]
pub struct HeadlessArgs {
    /// Who approves: `none` (cards stay pending), `all`, or `score>=X`.
    #[arg(long, default_value = "none", value_parser = parse_policy)]
    pub approve: AutoApprove,
    /// Write latency percentiles and counters to this file (every 2 s and at exit).
    #[arg(long, value_name = "PATH")]
    pub metrics_json: Option<PathBuf>,
    /// Stop after this many seconds (default: run until SIGINT/SIGTERM).
    #[arg(long, value_name = "SECS")]
    pub duration_secs: Option<u64>,
    /// Data directory (sled databases); default: `data_dir` from the config, else the per-user data dir.
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
}

fn parse_policy(text: &str) -> Result<AutoApprove, String> {
    AutoApprove::parse(text).ok_or_else(|| format!("expected none, all or score>=X, got {text:?}"))
}

/// Runs the headless mode until a signal or `--duration-secs`.
pub fn run(common: &crate::cli::CommonArgs, args: HeadlessArgs) -> anyhow::Result<()> {
    let _guard = crate::logging::init(None);
    let tokio = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    tokio.block_on(run_async(common, args))
}

async fn run_async(common: &crate::cli::CommonArgs, args: HeadlessArgs) -> anyhow::Result<()> {
    let paths = RuntimePaths {
        config_file: runtime::default_config_file(),
        data_dir: args
            .data_dir
            .clone()
            .unwrap_or_else(runtime::default_data_dir),
    };
    let policy = args.approve;
    let running = runtime::start(common, &paths, |s| s.auto_approve = policy).await?;
    let mut events = running.handle.subscribe();
    let status = running.handle.status();
    let deadline = args
        .duration_secs
        .map(|s| tokio::time::Instant::now() + Duration::from_secs(s));
    let mut metrics_tick = tokio::time::interval(Duration::from_secs(2));
    let mut counts = serde_json::Map::new();
    let mut stdout = std::io::stdout().lock();
    loop {
        tokio::select! {
            _ = shutdown_signal() => break,
            _ = sleep_until_opt(deadline) => break,
            _ = metrics_tick.tick() => write_metrics(args.metrics_json.as_ref(), &status.borrow(), &running.handle.counters(), &counts)?,
            event = events.recv() => match event {
                Ok(event) => {
                    let line = event_line(&event);
                    let kind = line["kind"].as_str().unwrap_or("unknown").to_string();
                    let seen = counts.get(&kind).and_then(Value::as_u64).unwrap_or(0);
                    counts.insert(kind, json!(seen + 1));
                    writeln!(stdout, "{line}").context("writing to stdout")?;
                    stdout.flush().ok();
                }
                Err(RecvError::Lagged(missed)) => tracing::warn!(missed, "headless output fell behind; events skipped"),
                Err(RecvError::Closed) => break,
            },
        }
    }
    write_metrics(
        args.metrics_json.as_ref(),
        &status.borrow(),
        &running.handle.counters(),
        &counts,
    )?;
    running.handle.shutdown(crate::SHUTDOWN_TIMEOUT).await;
    if let Some(sim) = running.sim {
        sim.shutdown().await;
    }
    Ok(())
}

/// The event as a JSON line; `card_queued` also carries title, body and scores at the top level.
pub fn event_line(event: &PipelineEvent) -> Value {
    let mut line = serde_json::to_value(event)
        .unwrap_or_else(|e| json!({"kind": "error", "reason": e.to_string()}));
    if let (PipelineEvent::CardQueued { card, .. }, Some(map)) = (event, line.as_object_mut()) {
        map.insert("card_id".into(), json!(card.card_id));
        map.insert("article_id".into(), json!(card.article_id));
        map.insert("title".into(), json!(card.suggested.title));
        map.insert("body".into(), json!(card.suggested.body));
        map.insert("score".into(), json!(card.suggested.score));
        map.insert("scores".into(), json!(card.scores));
    }
    line
}

fn write_metrics(
    path: Option<&PathBuf>,
    status: &StatusSnapshot,
    stage: &CountersSnapshot,
    counts: &serde_json::Map<String, Value>,
) -> anyhow::Result<()> {
    let Some(path) = path else { return Ok(()) };
    let body = json!({
        "event_to_queued_ms": status.latency_event_to_queued,
        "approved_to_delivered_ms": status.latency_approved_to_delivered,
        "pending_cards": status.pending_cards,
        "kb_articles": status.kb_articles,
        "events": counts,
        "stage": stage,
    });
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, serde_json::to_vec_pretty(&body)?)
        .with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

async fn sleep_until_opt(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

async fn shutdown_signal() {
    let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(term) => term,
        Err(_) => return std::future::pending().await,
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {},
        _ = term.recv() => {},
    }
}
