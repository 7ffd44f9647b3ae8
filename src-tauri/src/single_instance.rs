//! One tray app per session, handed over without a race (Linux, D-Bus session bus).
//!
//! A launch asks for the well-known name with `DoNotQueue`. If it gets it, it is the primary instance. If another
//! process owns it, the launch forwards its arguments (`ExecuteCallback`, the protocol of
//! `tauri-plugin-single-instance`, so mixed versions still hand over) and exits once the primary accepted them.
//! When the forward fails — the owner left the bus between the two calls (`ServiceUnknown`), or answers that it is
//! quitting — the launch asks for the name again, every 50 ms until [`HANDOVER_TIMEOUT`]: a launch while the last
//! instance is quitting therefore starts, instead of exiting (what the plugin did, seen in CI). Only if neither the
//! name nor the forward succeeds in that time does it start without the guard, and says so in the log.
//!
//! A quitting primary refuses forwards ([`InstanceGuard::begin_quit`]) and keeps the name until the process ends,
//! so the next instance takes over only once the pipeline released its databases.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use zbus::blocking::Connection;
use zbus::fdo::{RequestNameFlags, RequestNameReply};

/// The bus name: the app identifier of `tauri.conf.json` + `.SingleInstance`, as the plugin named it.
pub const BUS_NAME: &str = "com.supervisorassist.app.SingleInstance";
/// The object the primary serves.
pub const OBJECT_PATH: &str = "/com/supervisorassist/app/SingleInstance";
const INTERFACE: &str = "org.SingleInstance.DBus";
/// How long a launch keeps trying to take over or forward. Longer than Quit's bounded pipeline shutdown
/// (`SHUTDOWN_TIMEOUT`, 5 s), so a launch during a Quit outlasts the quitting instance.
pub const HANDOVER_TIMEOUT: Duration = Duration::from_secs(15);
const RETRY_EVERY: Duration = Duration::from_millis(50);
/// A primary that does not answer a forward in this time counts as gone.
const FORWARD_TIMEOUT: Duration = Duration::from_secs(3);

/// The outcome of a launch's claim.
pub enum Claim {
    /// This process owns the name: run the app, keep the guard alive.
    Primary(InstanceGuard),
    /// The running instance accepted this launch's arguments: exit successfully.
    Forwarded,
    /// No session bus, or no usable answer in [`HANDOVER_TIMEOUT`]: run without the guard (the reason is logged).
    Unguarded(String),
}

#[derive(Default)]
struct Shared {
    on_forward: OnceLock<Box<dyn Fn() + Send + Sync>>,
    forwarded_early: AtomicBool,
    quitting: AtomicBool,
}

/// The primary's D-Bus object: a later launch calls it.
struct Listener(Arc<Shared>);

#[zbus::interface(name = "org.SingleInstance.DBus")]
impl Listener {
    fn execute_callback(&self, _argv: Vec<String>, _cwd: String) -> zbus::fdo::Result<()> {
        if self.0.quitting.load(Ordering::SeqCst) {
            return Err(zbus::fdo::Error::Failed(
                "the running instance is quitting".into(),
            ));
        }
        match self.0.on_forward.get() {
            Some(show) => show(),
            // Forwarded before the app finished starting: shown once `on_forward` is set.
            None => self.0.forwarded_early.store(true, Ordering::SeqCst),
        }
        Ok(())
    }
}

/// Held by the primary instance for its lifetime; the name is released when it drops (or the process ends).
pub struct InstanceGuard {
    connection: Connection,
    shared: Arc<Shared>,
}

impl InstanceGuard {
    /// What a later launch triggers (show the queue window). Runs at once if one came in while starting.
    pub fn on_forward(&self, show: impl Fn() + Send + Sync + 'static) {
        if self.shared.on_forward.set(Box::new(show)).is_ok()
            && self.shared.forwarded_early.swap(false, Ordering::SeqCst)
        {
            if let Some(show) = self.shared.on_forward.get() {
                show();
            }
        }
    }

    /// From now on, launches are told this instance is quitting; they take over once it has exited.
    pub fn begin_quit(&self) {
        self.shared.quitting.store(true, Ordering::SeqCst);
    }
}

impl Drop for InstanceGuard {
    fn drop(&mut self) {
        let _ = self.connection.release_name(BUS_NAME);
    }
}

/// Claims the name or hands over to the running instance (see the module docs).
pub fn claim(timeout: Duration) -> Claim {
    let connection = match zbus::blocking::connection::Builder::session()
        .map(|b| b.method_timeout(FORWARD_TIMEOUT))
        .and_then(|b| b.build())
    {
        Ok(connection) => connection,
        Err(error) => return Claim::Unguarded(format!("no D-Bus session bus: {error}")),
    };
    let shared = Arc::new(Shared::default());
    if let Err(error) = connection
        .object_server()
        .at(OBJECT_PATH, Listener(Arc::clone(&shared)))
    {
        return Claim::Unguarded(format!("cannot serve {OBJECT_PATH}: {error}"));
    }
    let deadline = Instant::now() + timeout;
    let mut attempts = 0u32;
    loop {
        attempts += 1;
        let reply =
            connection.request_name_with_flags(BUS_NAME, RequestNameFlags::DoNotQueue.into());
        let last_failure = match reply {
            Ok(RequestNameReply::PrimaryOwner | RequestNameReply::AlreadyOwner) => {
                if attempts > 1 {
                    tracing::info!(
                        attempts,
                        "single-instance: took over from an instance that was leaving"
                    );
                }
                return Claim::Primary(InstanceGuard { connection, shared });
            }
            // zbus reports `Exists` as the error `NameTaken`.
            Ok(RequestNameReply::Exists | RequestNameReply::InQueue)
            | Err(zbus::Error::NameTaken) => match forward(&connection) {
                Ok(()) => return Claim::Forwarded,
                Err(error) => error,
            },
            Err(error) => return Claim::Unguarded(format!("cannot request {BUS_NAME}: {error}")),
        };
        if Instant::now() >= deadline {
            return Claim::Unguarded(format!(
                "neither took over {BUS_NAME} nor reached its owner in {timeout:?} ({attempts} tries; last: {last_failure})"
            ));
        }
        std::thread::sleep(RETRY_EVERY);
    }
}

fn forward(connection: &Connection) -> Result<(), String> {
    let argv: Vec<String> = std::env::args_os()
        .map(|arg| arg.to_string_lossy().into_owned())
        .collect();
    let cwd = std::env::current_dir()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned();
    connection
        .call_method(
            Some(BUS_NAME),
            OBJECT_PATH,
            Some(INTERFACE),
            "ExecuteCallback",
            &(argv, cwd),
        )
        .map(|_| ())
        .map_err(|error| error.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bus_name_follows_the_app_identifier() {
        let conf: serde_json::Value =
            serde_json::from_str(include_str!("../../tauri.conf.json")).expect("tauri.conf.json");
        let identifier = conf["identifier"].as_str().expect("identifier");
        assert_eq!(BUS_NAME, format!("{identifier}.SingleInstance"));
        assert_eq!(OBJECT_PATH, format!("/{}", BUS_NAME.replace('.', "/")));
    }
}
