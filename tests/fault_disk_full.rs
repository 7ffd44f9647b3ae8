//! Disk full, for real: `headless` runs with a file-size limit (RLIMIT_FSIZE via `prlimit`, SIGXFSZ ignored,
//! so a write past the limit fails with EFBIG as a full disk fails with ENOSPC) equal to what its sled files
//! already use (sled grows its log in 512 KiB segments; a restart rounds the files up to the first one).
//! Long calls then fill the pipeline's segment. Approvals that cannot be stored are reported
//! (`approval_not_saved`) and never acknowledged; after a restart without the limit, every approval that
//! was acknowledged is delivered, and nothing whose delivery had been recorded is sent again. A card whose delivery
//! could not be recorded (in flight at the kill, or the mark refused by the full disk) may reach the server twice,
//! under its idempotency key. Which cards those are is read from the outbox database itself after every kill (the
//! server received them, the outbox does not record them delivered); a repeat of any other card fails the test.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use assist_core::outbox::{Outbox, Outcome};

mod headless_support;
use headless_support::{
    assert_none_lost_repeats_explained, call, received_ids, spawn_headless, spawn_headless_with,
    start_sim, wait_until, write_config,
};

/// Calls sent at most while waiting for the "disk" to fill.
const MAX_CALLS: usize = 150;

/// A call with a long transcript (~4 KB), so each audit record and outbox entry is large.
fn long_call(id: &str, topic: &str) -> serde_json::Value {
    let filler =
        "the customer describes what they already tried, in detail, at length. ".repeat(12);
    let turns: Vec<String> = (0..5)
        .map(|k| format!("Customer: {filler} ({k})"))
        .chain([format!("Customer: {topic}")])
        .collect();
    serde_json::json!({"type": "interaction", "data": {"id": id, "state": "active",
        "channels": [{"type": "voice", "transcript": turns.join("\n")}]}})
}

fn largest_file(dir: &Path) -> u64 {
    let mut largest = 0;
    for entry in std::fs::read_dir(dir).expect("read dir").flatten() {
        let meta = entry.metadata().expect("metadata");
        largest = largest.max(if meta.is_dir() {
            largest_file(&entry.path())
        } else {
            meta.len()
        });
    }
    largest
}

/// `sh -c 'trap "" XFSZ; exec prlimit --fsize=N -- BIN "$@"'`: the binary, with writes past N bytes failing.
fn limited(bytes: u64) -> Command {
    let mut command = Command::new("sh");
    command.args([
        "-c",
        &format!("trap '' XFSZ; exec prlimit --fsize={bytes} -- \"$0\" \"$@\""),
        env!("CARGO_BIN_EXE_supervisor-assist"),
    ]);
    command
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disk_full_acknowledges_nothing_it_could_not_store() {
    let sim = start_sim(20).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write_config(&sim, dir.path(), "");
    let kb = concat!(env!("CARGO_MANIFEST_DIR"), "/data/demo/kb.jsonl");
    let titles: Vec<String> = cxone_sim::load_articles(kb)
        .expect("demo KB")
        .into_iter()
        .take(20)
        .map(|a| format!("I need help: {}", a.title.to_lowercase()))
        .collect();

    // 1. A normal run creates the databases.
    let mut first = spawn_headless(&config);
    first.wait_ready(&sim).await;
    sim.send_event(call("before-full", &titles[0]));
    wait_until("a first delivery, recorded", || {
        first.drain();
        !first.card_ids("card_delivered").is_empty()
    })
    .await;
    first.kill();
    let data = dir.path().join("data");
    let mut may_repeat = unrecorded_deliveries(&sim, &data);

    // A restart recovers the logs, which rounds each file up to its first 512 KiB segment.
    let mut second = spawn_headless(&config);
    second.wait_ready(&sim).await;
    second.kill();
    may_repeat.extend(unrecorded_deliveries(&sim, &data));

    // 2. The disk "fills up": no file may grow past its current size.
    let limit = largest_file(&dir.path().join("data"));
    let mut full = spawn_headless_with(limited(limit), &config);
    full.wait_ready(&sim).await;
    let mut not_saved = 0;
    for i in 0..MAX_CALLS {
        let title = &titles[1 + i % (titles.len() - 1)];
        sim.send_event(long_call(&format!("full-{i}"), title));
        tokio::time::sleep(Duration::from_millis(250)).await;
        full.drain();
        not_saved = full
            .seen
            .iter()
            .filter(|e| e["kind"] == "approval_not_saved")
            .count();
        if not_saved > 0 {
            break;
        }
    }
    assert!(
        not_saved > 0,
        "{MAX_CALLS} long calls did not fill {limit} bytes"
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    full.kill();
    let acknowledged = full.card_ids("card_decided");
    let reason = full
        .seen
        .iter()
        .find(|e| e["kind"] == "approval_not_saved")
        .and_then(|e| e["reason"].as_str().map(str::to_string))
        .unwrap_or_default();
    println!(
        "[fault] disk full (file limit {limit} B): {not_saved} approvals not saved ({reason}), {} acknowledged",
        acknowledged.len()
    );
    assert!(!reason.is_empty(), "the error says why");
    // What the server got but the outbox does not record as delivered may be sent again after the restart.
    let unrecorded = unrecorded_deliveries(&sim, &data);
    may_repeat.extend(unrecorded.iter().cloned());
    println!(
        "[fault] disk full: before the restart {} received, {} not recorded delivered at the last kill, {} at any kill",
        received_ids(&sim).len(),
        unrecorded.len(),
        may_repeat.len()
    );

    // 3. Space is back: everything acknowledged before is delivered; only unrecorded deliveries may repeat.
    let mut after = spawn_headless(&config);
    let mut approved = acknowledged.clone();
    wait_until("acknowledged approvals delivered after the restart", || {
        after.drain();
        approved = acknowledged
            .union(&after.card_ids("card_decided"))
            .cloned()
            .collect();
        approved.is_subset(&received_ids(&sim))
    })
    .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let mut all = approved;
    all.extend(received_ids(&sim));
    assert_none_lost_repeats_explained("disk full, then space again", &sim, &all, &may_repeat);
}

/// The cards the server received that the outbox in `data_dir` does not record as delivered (read right after a kill,
/// while no process holds the database): in flight at the kill, or their mark refused. The next process may send them
/// again.
fn unrecorded_deliveries(sim: &cxone_sim::SimServer, data_dir: &Path) -> BTreeSet<String> {
    let db = assist_core::assemble::open_pipeline_db(data_dir).expect("pipeline db");
    let outbox = Outbox::open(&db).expect("outbox");
    received_ids(sim)
        .into_iter()
        .filter(|id| {
            let finished = outbox.finished(id).expect("outbox readable");
            !matches!(finished, Some(f) if matches!(f.outcome, Outcome::Delivered { .. }))
        })
        .collect()
}
