//! Property: whatever sequence of actions, storage failures and deliveries happens, no card is
//! both rejected and delivered, no card is stored twice in the outbox, and every approval the
//! queue committed is in the outbox.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

use assist_core::domain::{CardContent, LegScores};
use assist_core::outbox::testing::{FailureMode, FaultyStore};
use assist_core::outbox::{
    FinishedEntry, Outbox, OutboxEntry, OutboxStore, SledOutboxStore, StoreError,
};
use assist_core::pipeline::api::{CardAction, Decision, Delivery};
use assist_core::queue::durable::{apply_durably, ApplyError};
use assist_core::queue::{card_id_for, ApprovalQueue, QueueConfig, SuggestedCard};
use proptest::prelude::*;

const INTERACTIONS: [&str; 2] = ["i1", "i2"];
const ARTICLES: [&str; 3] = ["KB-1", "KB-2", "KB-3"];

#[derive(Debug, Clone)]
enum Op {
    Suggest(usize, usize),
    Approve(usize, usize),
    Edit(usize, usize, String),
    Reject(usize, usize),
    ApproveAll(usize),
    End(usize),
    Deliver(usize, usize),
    Fail(usize, usize),
    Storage(bool),
}

fn op() -> impl Strategy<Value = Op> {
    let (i, a) = (0..INTERACTIONS.len(), 0..ARTICLES.len());
    prop_oneof![
        3 => (i.clone(), a.clone()).prop_map(|(i, a)| Op::Suggest(i, a)),
        2 => (i.clone(), a.clone()).prop_map(|(i, a)| Op::Approve(i, a)),
        1 => (i.clone(), a.clone(), "[ a-z]{0,6}").prop_map(|(i, a, t)| Op::Edit(i, a, t)),
        2 => (i.clone(), a.clone()).prop_map(|(i, a)| Op::Reject(i, a)),
        1 => i.clone().prop_map(Op::ApproveAll),
        1 => i.clone().prop_map(Op::End),
        2 => (i.clone(), a.clone()).prop_map(|(i, a)| Op::Deliver(i, a)),
        1 => (i.clone(), a.clone()).prop_map(|(i, a)| Op::Fail(i, a)),
        1 => any::<bool>().prop_map(Op::Storage),
    ]
}

fn suggestion(article: &str) -> SuggestedCard {
    SuggestedCard {
        article_id: article.into(),
        article_url: None,
        article_updated_at: None,
        content: CardContent {
            title: article.into(),
            body: "body".into(),
            score: 0.5,
        },
        scores: LegScores::default(),
        also_in: Vec::new(),
        key_phrases: Vec::new(),
        context: String::new(),
        event_received_ms: 1,
    }
}

#[derive(Default)]
struct Observed {
    rejected: HashSet<String>,
    delivered: HashSet<String>,
    approved: HashSet<String>,
    stored: HashMap<String, i64>,
}

/// Counts, per card id, entries the store holds net of rollbacks (inserted minus removed).
struct CountingStore {
    inner: SledOutboxStore,
    inserts: Arc<Mutex<HashMap<String, i64>>>,
}

impl CountingStore {
    fn bump(&self, card_id: &str, by: i64) {
        *self
            .inserts
            .lock()
            .unwrap()
            .entry(card_id.to_string())
            .or_default() += by;
    }
}

impl OutboxStore for CountingStore {
    fn insert_pending_if_absent(&self, entry: &OutboxEntry) -> Result<bool, StoreError> {
        let stored = self.inner.insert_pending_if_absent(entry)?;
        if stored {
            self.bump(&entry.card_id, 1);
        }
        Ok(stored)
    }
    fn remove_pending(&self, card_id: &str) -> Result<(), StoreError> {
        if self.inner.get_pending(card_id)?.is_some() {
            self.bump(card_id, -1);
        }
        self.inner.remove_pending(card_id)
    }
    fn update_pending(&self, entry: &OutboxEntry) -> Result<bool, StoreError> {
        self.inner.update_pending(entry)
    }
    fn finish(&self, finished: &FinishedEntry) -> Result<bool, StoreError> {
        self.inner.finish(finished)
    }
    fn get_pending(&self, card_id: &str) -> Result<Option<OutboxEntry>, StoreError> {
        self.inner.get_pending(card_id)
    }
    fn get_finished(&self, card_id: &str) -> Result<Option<FinishedEntry>, StoreError> {
        self.inner.get_finished(card_id)
    }
    fn all_pending(&self) -> Result<Vec<OutboxEntry>, StoreError> {
        self.inner.all_pending()
    }
    fn flush(&self) -> Result<(), StoreError> {
        self.inner.flush()
    }
}

fn card(i: usize, a: usize) -> String {
    card_id_for(INTERACTIONS[i], ARTICLES[a])
}

fn action_for(op: &Op) -> Option<CardAction> {
    Some(match op {
        Op::Approve(i, a) => CardAction::Approve {
            card_id: card(*i, *a),
        },
        Op::Edit(i, a, t) => CardAction::EditApprove {
            card_id: card(*i, *a),
            title: t.clone(),
            body: t.clone(),
        },
        Op::Reject(i, a) => CardAction::Reject {
            card_id: card(*i, *a),
        },
        Op::ApproveAll(i) => CardAction::ApproveAll {
            interaction_id: INTERACTIONS[*i].into(),
        },
        _ => return None,
    })
}

fn run(ops: &[Op]) -> Observed {
    let db = sled::Config::new().temporary(true).open().unwrap();
    let inserts = Arc::new(Mutex::new(HashMap::new()));
    let counting = CountingStore {
        inner: SledOutboxStore::open(&db).unwrap(),
        inserts: Arc::clone(&inserts),
    };
    let (store, failing) = FaultyStore::new(counting, FailureMode::Flush);
    let outbox = Outbox::with_store(Box::new(store));
    let mut queue = ApprovalQueue::new(QueueConfig::default());
    let mut seen = Observed::default();
    for (now, op) in (10u64..).zip(ops) {
        let mut note = |transitions: &[assist_core::queue::Transition]| {
            for t in transitions {
                match t.to {
                    Decision::Rejected => seen.rejected.insert(t.card_id.clone()),
                    Decision::Approved | Decision::EditedApproved => {
                        seen.approved.insert(t.card_id.clone())
                    }
                    _ => false,
                };
            }
        };
        match op {
            Op::Suggest(i, a) => {
                drop(queue.add_suggestions(INTERACTIONS[*i], vec![suggestion(ARTICLES[*a])], now))
            }
            Op::End(i) => note(&queue.expire_interaction(INTERACTIONS[*i], "ended", now)),
            Op::Storage(fail) => failing.store(*fail, Ordering::SeqCst),
            Op::Deliver(i, a) | Op::Fail(i, a) => {
                let id = card(*i, *a);
                if outbox.get_pending(&id).unwrap().is_none() {
                    continue;
                }
                if matches!(op, Op::Deliver(..)) && outbox.mark_delivered(&id, now).is_ok() {
                    seen.delivered.insert(id.clone());
                    queue.set_delivery(&id, Delivery::Sent, now).unwrap();
                } else if matches!(op, Op::Fail(..)) && outbox.mark_failed(&id, "gone", now).is_ok()
                {
                    let failed = Delivery::Failed {
                        reason: "gone".into(),
                    };
                    queue.set_delivery(&id, failed, now).unwrap();
                }
            }
            other => {
                let Some(action) = action_for(other) else {
                    continue;
                };
                match apply_durably(&mut queue, &outbox, &action, "sup", now) {
                    Ok(applied) => note(&applied),
                    Err(ApplyError::Storage { committed, .. }) => note(&committed),
                    Err(ApplyError::Invalid(_)) => {}
                }
            }
        }
    }
    for card in queue.snapshot().interactions.iter().flat_map(|i| &i.cards) {
        let rejected_yet_sent =
            card.decision == Decision::Rejected && card.delivery != Delivery::None;
        assert!(
            !rejected_yet_sent,
            "card {} is rejected but has delivery {:?}",
            card.card_id, card.delivery
        );
    }
    seen.stored = inserts.lock().unwrap().clone();
    for id in &seen.approved {
        let present =
            outbox.get_pending(id).unwrap().is_some() || outbox.finished(id).unwrap().is_some();
        assert!(present, "approved card {id} is not in the outbox");
    }
    seen
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn no_card_is_both_rejected_and_delivered_nor_stored_twice(ops in prop::collection::vec(op(), 1..40)) {
        let seen = run(&ops);
        prop_assert!(seen.rejected.is_disjoint(&seen.delivered), "rejected and delivered: {:?}", seen.rejected.intersection(&seen.delivered).collect::<Vec<_>>());
        prop_assert!(seen.rejected.is_disjoint(&seen.approved));
        prop_assert!(seen.stored.values().all(|&n| n <= 1), "stored twice: {:?}", seen.stored);
        prop_assert!(seen.approved.iter().all(|id| seen.stored.get(id) == Some(&1)), "approved but not stored once");
    }
}
