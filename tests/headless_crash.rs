//! Crash safety of the durable outbox, end to end: `supervisor-assist headless --approve all` runs against the
//! simulator while it answers 503 to every card; approvals pile up in the outbox; the process is killed with
//! SIGKILL; the simulator recovers; a restart delivers every approved card exactly once (the simulator counts
//! duplicates by Idempotency-Key). Then `supervisor-assist audit` exports the decisions and the acceptance
//! report from the same data dir (and refuses clearly while the pipeline holds the database).

use std::collections::BTreeSet;
use std::time::Duration;

mod headless_support;
use headless_support::{
    assert_exactly_once, binary, call, received_ids, spawn_headless, start_sim, wait_until,
    write_config,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_with_undelivered_approvals_then_restart_delivers_each_exactly_once() {
    let sim = start_sim(60).await;
    sim.faults().set_assist_always_503(true);
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write_config(&sim, dir.path(), "");

    let mut first = spawn_headless(&config);
    first.wait_ready(&sim).await;
    sim.send_event(call("crash-1", "How do I use my mouse left-handed?"));
    sim.send_event(call(
        "crash-2",
        "I need to change the screen resolution on my monitor.",
    ));
    let mut approved = BTreeSet::new();
    wait_until("approvals stored in the outbox", || {
        first.drain();
        approved = first.card_ids("card_decided");
        approved.len() >= 4
    })
    .await;
    assert!(
        sim.received_cards().is_empty(),
        "the simulator refused everything so far"
    );
    first.child.kill().expect("SIGKILL");
    first.child.wait().expect("reaped");
    println!("killed with {} approved cards undelivered", approved.len());

    sim.faults().clear();
    let second = spawn_headless(&config);
    wait_until("every approved card to be delivered", || {
        approved.is_subset(&received_ids(&sim))
    })
    .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_exactly_once("kill -9 and restart", &sim, &approved);

    let data_dir = dir.path().join("data");
    let busy = audit(&data_dir, &["report"]);
    assert!(
        !busy.status.success(),
        "the running pipeline holds the database"
    );
    assert!(
        String::from_utf8_lossy(&busy.stderr).contains("quit it"),
        "the error says what to do: {}",
        String::from_utf8_lossy(&busy.stderr)
    );
    drop(second);
    audit_matches(&data_dir, &approved);
    sim.shutdown().await;
}

fn audit(data_dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    binary()
        .arg("audit")
        .args(args)
        .arg("--data-dir")
        .arg(data_dir)
        .output()
        .expect("audit runs")
}

/// The export and the report agree with what headless printed.
fn audit_matches(data_dir: &std::path::Path, approved: &BTreeSet<String>) {
    let export = audit(data_dir, &["export", "--format", "jsonl"]);
    assert!(
        export.status.success(),
        "{}",
        String::from_utf8_lossy(&export.stderr)
    );
    let records: Vec<serde_json::Value> = String::from_utf8_lossy(&export.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON record per line"))
        .collect();
    let exported_approvals: BTreeSet<String> = records
        .iter()
        .filter(|r| r["decision"] == "approved")
        .filter_map(|r| r["card_id"].as_str().map(str::to_string))
        .collect();
    assert!(
        approved.is_subset(&exported_approvals),
        "every approval is in the audit export"
    );
    let csv = audit(data_dir, &["export", "--format", "csv"]);
    let csv_rows = csv::Reader::from_reader(csv.stdout.as_slice())
        .records()
        .collect::<Result<Vec<_>, _>>()
        .expect("well-formed CSV")
        .len();
    assert_eq!(csv_rows, records.len(), "one CSV row per record");
    let report = audit(data_dir, &["report", "--json"]);
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&report.stdout).expect("report JSON");
    let approved_in_report: u64 = rows.iter().filter_map(|r| r["approved"].as_u64()).sum();
    println!(
        "audit: {} records, {} articles in the report, {approved_in_report} approved",
        records.len(),
        rows.len()
    );
    assert_eq!(approved_in_report as usize, exported_approvals.len());
}
