//! Crash safety of the durable outbox, end to end: `supervisor-assist headless --approve all` runs against the
//! simulator while it answers 503 to every card; approvals pile up in the outbox; the process is killed with
//! SIGKILL; the simulator recovers; a restart delivers every approved card exactly once (the simulator counts
//! duplicates by Idempotency-Key).

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use cxone_sim::{SimConfig, SimServer};

fn spawn_headless(config: &std::path::Path) -> (Child, mpsc::Receiver<serde_json::Value>) {
    let defaults = SimConfig::default();
    let mut child = Command::new(env!("CARGO_BIN_EXE_supervisor-assist"))
        .args(["headless", "--approve", "all", "--config"])
        .arg(config)
        .env("CXONE_CLIENT_ID", &defaults.client_id)
        .env("CXONE_CLIENT_SECRET", &defaults.client_secret)
        .env("SUPERVISOR_ASSIST_PIPELINE_DEBOUNCE_MS", "50")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("headless starts");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Ok(value) = serde_json::from_str(&line) {
                let _ = tx.send(value);
            }
        }
    });
    (child, rx)
}

/// Kills the child when the test ends, also when it fails.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn call(id: &str, text: &str) -> serde_json::Value {
    serde_json::json!({"type": "interaction", "data": {"id": id, "state": "active",
        "channels": [{"type": "voice", "transcript": format!("Customer: {text}")}]}})
}

async fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(90);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_with_undelivered_approvals_then_restart_delivers_each_exactly_once() {
    let kb = concat!(env!("CARGO_MANIFEST_DIR"), "/data/demo/kb.jsonl");
    let mut articles = cxone_sim::load_articles(kb).expect("demo KB");
    articles.truncate(60);
    let sim = SimServer::start(SimConfig {
        articles,
        ..SimConfig::default()
    })
    .await
    .expect("sim");
    sim.faults().set_assist_always_503(true);
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("config.toml");
    let toml = format!(
        "tenant = \"test\"\nbase_url = \"{}\"\ntoken_url = \"{}\"\nevents_url = \"{}\"\ndata_dir = \"{}\"\n[pipeline]\nmin_score = 0.1\n",
        sim.base_url(),
        sim.token_url(),
        sim.events_url(),
        dir.path().join("data").display()
    );
    std::fs::write(&config, toml).expect("config written");

    let (first, events) = spawn_headless(&config);
    let mut first = KillOnDrop(first);
    let mut kb_ready = false;
    wait_until("the first run's KB sync", || {
        while let Ok(event) = events.try_recv() {
            kb_ready |= event["kind"] == "kb_refreshed";
        }
        kb_ready && sim.connected_clients() > 0
    })
    .await;
    sim.send_event(call("crash-1", "How do I use my mouse left-handed?"));
    sim.send_event(call(
        "crash-2",
        "I need to change the screen resolution on my monitor.",
    ));
    let mut approved = BTreeSet::new();
    wait_until("approvals stored in the outbox", || {
        while let Ok(event) = events.try_recv() {
            if event["kind"] == "card_decided" && event["decision"] == "approved" {
                approved.insert(event["card_id"].as_str().unwrap_or_default().to_string());
            }
        }
        approved.len() >= 4
    })
    .await;
    assert!(
        sim.received_cards().is_empty(),
        "the simulator refused everything so far"
    );
    first.0.kill().expect("SIGKILL");
    first.0.wait().expect("reaped");
    println!("killed with {} approved cards undelivered", approved.len());

    sim.faults().clear();
    let (second, _events) = spawn_headless(&config);
    let _second = KillOnDrop(second);
    let received_ids = || -> BTreeSet<String> {
        sim.received_cards()
            .into_iter()
            .filter_map(|c| c.idempotency_key)
            .collect()
    };
    wait_until("every approved card to be delivered", || {
        approved.is_subset(&received_ids())
    })
    .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let received = sim.received_cards();
    let duplicates = sim.stats().duplicates_by_idempotency_key;
    let lost = approved.difference(&received_ids()).count();
    println!(
        "approved {}, delivered {}, lost {lost}, duplicates {duplicates}",
        approved.len(),
        received.len()
    );
    assert_eq!(lost, 0);
    assert_eq!(duplicates, 0);
    assert_eq!(
        received.len(),
        received_ids().len(),
        "each card received once"
    );
    sim.shutdown().await;
}
