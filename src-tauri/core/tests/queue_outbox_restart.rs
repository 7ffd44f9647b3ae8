//! The outbox on real sled files: entries survive a restart (drop + reopen of the Db), undelivered
//! ones are resumed, delivered and failed ones are not; a failing store acknowledges nothing.

use std::sync::atomic::Ordering;

use assist_core::domain::{CardContent, LegScores};
use assist_core::outbox::testing::{FailureMode, FaultyStore};
use assist_core::outbox::{Outbox, OutboxEntry, OutboxError, SledOutboxStore};
use assist_core::pipeline::api::{CardAction, Decision, Delivery};
use assist_core::queue::durable::{apply_durably, ApplyError};
use assist_core::queue::{ApprovalQueue, QueueConfig, SuggestedCard};

fn entry(card_id: &str, approved_at_ms: u64) -> OutboxEntry {
    OutboxEntry {
        card_id: card_id.into(),
        interaction_id: "i1".into(),
        content: CardContent {
            title: format!("title {card_id}"),
            body: "body".into(),
            score: 0.7,
        },
        approved_at_ms,
        attempts: 0,
    }
}

fn suggestion(article_id: &str) -> SuggestedCard {
    SuggestedCard {
        article_id: article_id.into(),
        article_url: None,
        article_updated_at: None,
        content: CardContent {
            title: article_id.into(),
            body: format!("**{article_id}**\nsnippet"),
            score: 0.6,
        },
        scores: LegScores {
            fused: 0.6,
            ..LegScores::default()
        },
        also_in: Vec::new(),
        key_phrases: Vec::new(),
        context: "Customer: help".into(),
        event_received_ms: 1,
    }
}

#[test]
fn undelivered_entries_are_resumed_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    {
        let db = sled::open(dir.path()).unwrap();
        let outbox = Outbox::open(&db).unwrap();
        for (n, id) in ["a", "b", "c", "d"].iter().enumerate() {
            outbox.enqueue(entry(id, n as u64)).unwrap();
        }
        outbox.record_attempt("b").unwrap();
        outbox.mark_delivered("a", 10).unwrap();
        outbox.mark_failed("d", "interaction ended", 11).unwrap();
    } // the process "dies": the Db is dropped without any shutdown step
    let db = sled::open(dir.path()).unwrap();
    let outbox = Outbox::open(&db).unwrap();
    let resumed = outbox.pending().unwrap();
    let ids: Vec<&str> = resumed.iter().map(|e| e.card_id.as_str()).collect();
    assert_eq!(ids, ["b", "c"]);
    assert_eq!(resumed[0].attempts, 1);
    assert_eq!(resumed[0].content.title, "title b");
    assert!(outbox.finished("a").unwrap().is_some());
    assert!(outbox.finished("d").unwrap().is_some());
}

#[test]
fn failing_store_acknowledges_nothing() {
    let db = sled::Config::new().temporary(true).open().unwrap();
    let (store, failing) =
        FaultyStore::new(SledOutboxStore::open(&db).unwrap(), FailureMode::Writes);
    let outbox = Outbox::with_store(Box::new(store));
    let mut queue = ApprovalQueue::new(QueueConfig::default());
    let cards = queue.add_suggestions("i1", vec![suggestion("KB-1"), suggestion("KB-2")], 5);

    failing.store(true, Ordering::SeqCst);
    let action = CardAction::ApproveAll {
        interaction_id: "i1".into(),
    };
    let err = apply_durably(&mut queue, &outbox, &action, "sup", 6).unwrap_err();
    let ApplyError::Storage { committed, source } = err else {
        panic!("expected a storage error")
    };
    assert!(committed.is_empty());
    assert!(matches!(source, OutboxError::Storage { .. }));
    assert!(
        source.to_string().contains("No space left on device"),
        "{source}"
    );
    for card in &cards {
        let view = queue.card(&card.card_id).unwrap();
        assert_eq!(
            view.decision,
            Decision::Pending,
            "not acknowledged as approved"
        );
        assert_eq!(view.delivery, Delivery::None);
    }
    assert!(outbox.pending().unwrap().is_empty());

    failing.store(false, Ordering::SeqCst);
    let applied = apply_durably(&mut queue, &outbox, &action, "sup", 7).unwrap();
    assert_eq!(applied.len(), 2);
    assert_eq!(outbox.pending().unwrap().len(), 2);
}

#[test]
fn flush_failure_acknowledges_nothing_and_leaves_nothing_to_deliver() {
    let db = sled::Config::new().temporary(true).open().unwrap();
    let (store, failing) =
        FaultyStore::new(SledOutboxStore::open(&db).unwrap(), FailureMode::Flush);
    let outbox = Outbox::with_store(Box::new(store));
    let mut queue = ApprovalQueue::new(QueueConfig::default());
    let cards = queue.add_suggestions("i1", vec![suggestion("KB-1")], 5);
    failing.store(true, Ordering::SeqCst);
    let approve = CardAction::Approve {
        card_id: cards[0].card_id.clone(),
    };
    assert!(apply_durably(&mut queue, &outbox, &approve, "sup", 6).is_err());
    assert!(
        outbox.pending().unwrap().is_empty(),
        "an unflushed approval must not be delivered"
    );
    let reject = CardAction::Reject {
        card_id: cards[0].card_id.clone(),
    };
    assert_eq!(
        apply_durably(&mut queue, &outbox, &reject, "sup", 7).unwrap()[0].to,
        Decision::Rejected
    );
}
