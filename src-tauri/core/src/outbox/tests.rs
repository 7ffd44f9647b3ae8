use super::testing::{FailureMode, FaultyStore};
use super::*;

fn temp_db() -> sled::Db {
    sled::Config::new().temporary(true).open().unwrap()
}

fn entry(card_id: &str, approved_at_ms: u64) -> OutboxEntry {
    OutboxEntry {
        card_id: card_id.into(),
        interaction_id: "i1".into(),
        content: CardContent {
            title: "t".into(),
            body: "b".into(),
            score: 0.5,
        },
        approved_at_ms,
        attempts: 0,
    }
}

#[test]
fn enqueue_is_idempotent_and_pending_is_ordered() {
    let outbox = Outbox::open(&temp_db()).unwrap();
    assert_eq!(outbox.enqueue(entry("b", 2)).unwrap(), Enqueued::Stored);
    assert_eq!(outbox.enqueue(entry("a", 1)).unwrap(), Enqueued::Stored);
    assert_eq!(
        outbox.enqueue(entry("a", 9)).unwrap(),
        Enqueued::AlreadyPresent
    );
    let ids: Vec<String> = outbox
        .pending()
        .unwrap()
        .into_iter()
        .map(|e| e.card_id)
        .collect();
    assert_eq!(ids, ["a", "b"]);
}

#[test]
fn delivered_and_failed_entries_leave_the_pending_set_for_good() {
    let outbox = Outbox::open(&temp_db()).unwrap();
    outbox.enqueue(entry("a", 1)).unwrap();
    outbox.enqueue(entry("b", 2)).unwrap();
    assert_eq!(outbox.record_attempt("a").unwrap(), 1);
    assert_eq!(outbox.record_attempt("a").unwrap(), 2);
    let done = outbox.mark_delivered("a", 10).unwrap();
    assert_eq!(done.entry.attempts, 2);
    outbox.mark_failed("b", "interaction ended", 11).unwrap();
    assert!(outbox.pending().unwrap().is_empty());
    assert_eq!(
        outbox.enqueue(entry("a", 3)).unwrap(),
        Enqueued::AlreadyPresent
    );
    assert!(outbox.pending().unwrap().is_empty());
    let failed = outbox.finished("b").unwrap().unwrap();
    assert_eq!(
        failed.outcome,
        Outcome::Failed {
            reason: "interaction ended".into(),
            at_ms: 11
        }
    );
    let not_pending = OutboxError::NotPending {
        card_id: "a".into(),
    };
    assert_eq!(outbox.mark_delivered("a", 12).unwrap_err(), not_pending);
    assert_eq!(outbox.record_attempt("a").unwrap_err(), not_pending);
}

#[test]
fn write_failure_is_a_storage_error_and_stores_nothing() {
    let sled_store = SledOutboxStore::open(&temp_db()).unwrap();
    let (store, failing) = FaultyStore::new(sled_store, FailureMode::Writes);
    let outbox = Outbox::with_store(Box::new(store));
    failing.store(true, std::sync::atomic::Ordering::SeqCst);
    let err = outbox.enqueue(entry("a", 1)).unwrap_err();
    assert!(err.to_string().contains("No space left on device"), "{err}");
    assert!(matches!(err, OutboxError::Storage { .. }));
    assert!(outbox.pending().unwrap().is_empty());
}

#[test]
fn flush_failure_rolls_the_insert_back() {
    let sled_store = SledOutboxStore::open(&temp_db()).unwrap();
    let (store, failing) = FaultyStore::new(sled_store, FailureMode::Flush);
    let outbox = Outbox::with_store(Box::new(store));
    failing.store(true, std::sync::atomic::Ordering::SeqCst);
    assert!(outbox.enqueue(entry("a", 1)).is_err());
    assert!(outbox.pending().unwrap().is_empty());
    failing.store(false, std::sync::atomic::Ordering::SeqCst);
    assert_eq!(outbox.enqueue(entry("a", 1)).unwrap(), Enqueued::Stored);
}
