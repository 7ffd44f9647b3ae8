//! The tracing subscriber: stderr plus a daily rolling file in the app's log dir. Installed once by the shell.
//!
//! Noisy dependencies are turned down; `RUST_LOG` overrides the default filter. Secrets never reach the log: the types
//! that carry them print `[redacted]`, and the crates that log raw requests, headers or message bodies at debug/trace
//! ([`SENSITIVE_TARGETS`]: tungstenite prints the handshake with the bearer header and every frame) are capped at warn
//! by a second filter that `RUST_LOG` cannot reach.

use std::path::Path;

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::layer::{Layered, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{fmt, EnvFilter, Registry};

/// Log file name prefix (`supervisor-assist.log.2026-11-28`).
pub const LOG_FILE_PREFIX: &str = "supervisor-assist.log";

/// The default filter: our crates at info, chatty dependencies at warn.
pub const DEFAULT_FILTER: &str =
    "info,tao=warn,wry=warn,hyper=warn,hyper_util=warn,reqwest=warn,rustls=warn,\
tungstenite=warn,tokio_tungstenite=warn,ort=warn,zbus=warn,sled=warn,tracing=warn";

/// Crates (targets and their submodules) that log raw requests, headers, frames or bodies at debug/trace: the bearer
/// token and transcripts would reach the log. Capped at [`SENSITIVE_MAX_LEVEL`] whatever `RUST_LOG` says.
pub const SENSITIVE_TARGETS: &[&str] = &[
    "tungstenite",
    "tokio_tungstenite",
    "hyper",
    "hyper_util",
    "h2",
    "reqwest",
    "rustls",
    "tokio_rustls",
    "rustls_platform_verifier",
    "axum",
    "tower",
    "tower_http",
    "tauri::ipc",
];

/// The most verbose level [`SENSITIVE_TARGETS`] may log at.
pub const SENSITIVE_MAX_LEVEL: LevelFilter = LevelFilter::WARN;

fn filter() -> EnvFilter {
    EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER))
}

/// The hard cap. Not directives added to the `EnvFilter`: there a more specific `RUST_LOG` directive
/// (`tungstenite::protocol=trace`, a span or field directive) would win. A separate global filter is ANDed with it:
/// an event is written only if both enable it.
pub fn sensitive_cap() -> Targets {
    SENSITIVE_TARGETS.iter().fold(
        Targets::new().with_default(LevelFilter::TRACE),
        |cap, target| cap.with_target(*target, SENSITIVE_MAX_LEVEL),
    )
}

/// The filters every subscriber of the app starts with: `env_filter` (from `RUST_LOG` or the default) and the cap.
pub fn filtered_registry(env_filter: EnvFilter) -> Layered<Targets, Layered<EnvFilter, Registry>> {
    tracing_subscriber::registry()
        .with(env_filter)
        .with(sensitive_cap())
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
    let installed = filtered_registry(filter())
        .with(stderr)
        .with(file)
        .try_init();
    installed.ok().and(guard)
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use tracing::Level;
    use tracing_subscriber::fmt::MakeWriter;

    use super::*;

    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl<'a> MakeWriter<'a> for Captured {
        type Writer = Captured;
        fn make_writer(&'a self) -> Self::Writer {
            self.clone()
        }
    }

    /// What the app's filters let through for `rust_log` when each target logs at trace, debug and warn.
    fn written(rust_log: &str) -> String {
        let captured = Captured::default();
        let subscriber = filtered_registry(EnvFilter::new(rust_log))
            .with(fmt::layer().with_writer(captured.clone()).with_ansi(false));
        tracing::subscriber::with_default(subscriber, || {
            let span = tracing::trace_span!("conn", peer = "x");
            let _entered = span.enter();
            tracing::trace!(target: "tungstenite::handshake::client", "Request: Authorization: Bearer tok-trace");
            tracing::debug!(target: "tungstenite::protocol", "Received message tok-debug");
            tracing::trace!(target: "tokio_tungstenite::compat", user = "x", "tok-field");
            tracing::trace!(target: "hyper_util::client::legacy", "tok-hyper");
            tracing::trace!(target: "reqwest::connect::verbose", "tok-reqwest");
            tracing::trace!(target: "tauri::ipc::protocol", "tok-ipc");
            tracing::warn!(target: "tungstenite::protocol", "warn-from-tungstenite");
            tracing::trace!(target: "assist_core::events::ws", "ours-trace");
            tracing::info!(target: "assist_core::queue", "ours-info");
        });
        let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
        logs
    }

    #[test]
    fn rust_log_cannot_raise_the_sensitive_targets_above_warn() {
        // Plain trace, the same target, a more specific target, field and span directives: none gets through.
        for rust_log in [
            "trace",
            "trace,tungstenite=trace,tokio_tungstenite=trace,hyper_util=trace,reqwest=trace,tauri=trace",
            "tungstenite::handshake::client=trace,tungstenite::protocol=trace,hyper_util::client::legacy=trace,\
             reqwest::connect::verbose=trace,tauri::ipc::protocol=trace",
            "tokio_tungstenite::compat[{user}]=trace,[conn]=trace",
        ] {
            let logs = written(rust_log);
            assert!(!logs.contains("tok-"), "RUST_LOG={rust_log}: {logs}");
            assert!(
                logs.contains("warn-from-tungstenite"),
                "RUST_LOG={rust_log}: warnings still pass: {logs}"
            );
        }
    }

    #[test]
    fn rust_log_still_decides_for_everything_else() {
        let logs = written("trace");
        assert!(
            logs.contains("ours-trace") && logs.contains("ours-info"),
            "{logs}"
        );
        let logs = written("assist_core=warn");
        assert!(
            !logs.contains("ours-trace") && !logs.contains("ours-info"),
            "{logs}"
        );
        let logs = written("assist_core::events=trace,assist_core::queue=off");
        assert!(
            logs.contains("ours-trace") && !logs.contains("ours-info"),
            "{logs}"
        );
    }

    #[test]
    fn the_cap_covers_submodules_of_every_sensitive_target() {
        let cap = sensitive_cap();
        for target in SENSITIVE_TARGETS {
            let sub = format!("{target}::inner");
            assert!(!cap.would_enable(target, &Level::DEBUG), "{target}");
            assert!(!cap.would_enable(&sub, &Level::TRACE), "{sub}");
            assert!(cap.would_enable(&sub, &Level::WARN), "{sub}");
        }
        assert!(cap.would_enable("supervisor_assist::wiring", &Level::TRACE));
    }
}
