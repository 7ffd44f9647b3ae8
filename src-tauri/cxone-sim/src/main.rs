//! `cxone-sim`: runs the CXone simulator on a fixed address, optionally serving a KB file
//! and playing a conversations file, until Ctrl-C or SIGTERM.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use cxone_sim::{load_articles, load_conversations, SimConfig, SimServer};
use tracing_subscriber::EnvFilter;

/// CXone simulator (loopback): token, interactions WebSocket, assist and knowledge endpoints with fault switches.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8787")]
    bind: SocketAddr,
    /// Knowledge base, JSON Lines of {id,title,content,updated_at}.
    #[arg(long)]
    kb: Option<PathBuf>,
    /// Conversations to play, JSON Lines of {id,turns:[{speaker,text}],relevant}.
    #[arg(long)]
    conversations: Option<PathBuf>,
    /// Delay between turns of a conversation.
    #[arg(long, default_value_t = 1500)]
    turn_interval_ms: u64,
    /// Delay between conversations.
    #[arg(long, default_value_t = 3000)]
    gap_ms: u64,
    /// Loop over the conversations forever.
    #[arg(long)]
    repeat: bool,
    /// OAuth client id the token endpoints accept.
    #[arg(long, default_value = "demo-client")]
    client_id: String,
    /// OAuth client secret the token endpoints accept.
    #[arg(long, default_value = "demo-secret", hide_default_value = true)]
    client_secret: String,
    /// Lifetime of issued tokens.
    #[arg(long, default_value_t = 3600)]
    token_ttl_secs: u64,
    /// Knowledge page size.
    #[arg(long, default_value_t = 100)]
    kb_page_size: usize,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    let args = Args::parse();
    let articles = match &args.kb {
        Some(path) => load_articles(path)?,
        None => Vec::new(),
    };
    let conversations = match &args.conversations {
        Some(path) => load_conversations(path)?,
        None => Vec::new(),
    };
    let config = SimConfig {
        bind: args.bind,
        client_id: args.client_id,
        client_secret: args.client_secret,
        token_ttl_secs: args.token_ttl_secs,
        articles,
        kb_page_size: args.kb_page_size,
        ..SimConfig::default()
    };
    let server = SimServer::start(config).await?;
    let mut stdout = std::io::stdout();
    writeln!(stdout, "cxone-sim listening on {}", server.base_url())
        .context("writing to stdout")?;
    stdout.flush().context("flushing stdout")?;
    tracing::info!(conversations = conversations.len(), "serving");
    let playlist = (!conversations.is_empty()).then(|| {
        let turn = Duration::from_millis(args.turn_interval_ms);
        server.spawn_playlist(
            conversations,
            turn,
            Duration::from_millis(args.gap_ms),
            args.repeat,
        )
    });
    wait_for_stop_signal().await?;
    tracing::info!("stopping");
    server.shutdown().await;
    if let Some(playlist) = playlist {
        let _ = playlist.await;
    }
    Ok(())
}

#[cfg(unix)]
async fn wait_for_stop_signal() -> anyhow::Result<()> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut terminate = signal(SignalKind::terminate()).context("installing SIGTERM handler")?;
    tokio::select! {
        result = tokio::signal::ctrl_c() => result.context("waiting for Ctrl-C")?,
        _ = terminate.recv() => {}
    }
    Ok(())
}

#[cfg(not(unix))]
async fn wait_for_stop_signal() -> anyhow::Result<()> {
    tokio::signal::ctrl_c().await.context("waiting for Ctrl-C")
}
