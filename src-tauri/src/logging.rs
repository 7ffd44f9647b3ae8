//! The tracing subscriber: stderr plus a daily rolling file in the app's log dir. Installed once by the shell.
//!
//! Noisy dependencies are turned down; `RUST_LOG` overrides everything. Secrets never reach the log: the types that
//! carry them print `[redacted]`.

use std::path::Path;

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{fmt, EnvFilter};

/// Log file name prefix (`supervisor-assist.log.2026-11-28`).
pub const LOG_FILE_PREFIX: &str = "supervisor-assist.log";

/// The default filter: our crates at info, chatty dependencies at warn.
pub const DEFAULT_FILTER: &str =
    "info,tao=warn,wry=warn,hyper=warn,hyper_util=warn,reqwest=warn,rustls=warn,\
tungstenite=warn,tokio_tungstenite=warn,ort=warn,zbus=warn,sled=warn,tracing=warn";

fn filter() -> EnvFilter {
    EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER))
}

/// Installs the subscriber. With `log_dir`, also writes daily files there; keep the guard alive until exit so the
/// file writer flushes. Returns `None` if a subscriber was already installed (e.g. in tests) or no file is used.
pub fn init(log_dir: Option<&Path>) -> Option<WorkerGuard> {
    // Colour only on a terminal: a redirected stderr (journal, CI log, test capture) gets plain text.
    let stderr = fmt::layer()
        .with_writer(std::io::stderr)
        .with_target(true)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    let (file, guard) = match log_dir.map(crate::private_dir::ensure) {
        Some(Ok(())) => {
            let appender = tracing_appender::rolling::daily(log_dir?, LOG_FILE_PREFIX);
            let (writer, guard) = tracing_appender::non_blocking(appender);
            (
                Some(fmt::layer().with_writer(writer).with_ansi(false)),
                Some(guard),
            )
        }
        Some(Err(error)) => {
            eprintln!("supervisor-assist: cannot create the log folder: {error}");
            (None, None)
        }
        None => (None, None),
    };
    let installed = tracing_subscriber::registry()
        .with(filter())
        .with(stderr)
        .with(file)
        .try_init();
    installed.ok().and(guard)
}
