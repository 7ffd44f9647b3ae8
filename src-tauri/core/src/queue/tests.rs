use super::*;
use crate::domain::{CardContent, LegScores};

fn suggestion(article_id: &str, fused: f32) -> SuggestedCard {
    SuggestedCard {
        article_id: article_id.into(),
        article_url: None,
        article_updated_at: None,
        content: CardContent {
            title: format!("T {article_id}"),
            body: format!("**T {article_id}**\nbody"),
            score: fused,
        },
        scores: LegScores {
            fused,
            ..LegScores::default()
        },
        also_in: Vec::new(),
        key_phrases: vec!["router".into()],
        context: "Customer: router".into(),
        event_received_ms: 90,
    }
}

fn queue_with(interaction: &str, articles: &[&str]) -> (ApprovalQueue, Vec<CardView>) {
    let mut q = ApprovalQueue::new(QueueConfig::default());
    let cards = q.add_suggestions(
        interaction,
        articles.iter().map(|a| suggestion(a, 0.5)).collect(),
        100,
    );
    (q, cards)
}

#[test]
fn suggestions_are_deduplicated_per_interaction() {
    let (mut q, cards) = queue_with("i1", &["KB-1", "KB-2", "KB-1"]);
    assert_eq!(cards.len(), 2);
    assert!(q
        .add_suggestions("i1", vec![suggestion("KB-2", 0.9)], 200)
        .is_empty());
    assert_eq!(
        q.add_suggestions("i2", vec![suggestion("KB-2", 0.9)], 200)
            .len(),
        1
    );
    assert_eq!(q.pending_count(), 3);
    assert_eq!(cards[0].timings.queued_ms, 100);
    assert_eq!(cards[0].card_id, card_id_for("i1", "KB-1"));
}

/// Seen against a real KB: duplicate articles (same title and text, other ids) gave two identical cards.
#[test]
fn identical_cards_collapse_in_the_queue_with_also_in() {
    let twin = |id: &str| SuggestedCard {
        content: suggestion("KB-1", 0.5).content,
        ..suggestion(id, 0.5)
    };
    let mut q = ApprovalQueue::new(QueueConfig::default());
    let queued = q.add_suggestions("i1", vec![suggestion("KB-1", 0.5), twin("KB-9")], 100);
    assert_eq!(queued.len(), 1, "one card for the two identical articles");
    assert_eq!(queued[0].also_in, ["KB-9"]);
    assert!(
        q.add_suggestions("i1", vec![twin("KB-7")], 200).is_empty(),
        "a later update's duplicate joins the existing card"
    );
    let card = q.card(&queued[0].card_id).unwrap();
    assert_eq!(card.also_in, ["KB-9", "KB-7"]);
    assert_eq!(q.pending_count(), 1);
    assert_eq!(
        q.add_suggestions("i2", vec![twin("KB-7")], 300).len(),
        1,
        "another call gets its own card"
    );
}

/// After a restart, a card decided before it stays decided when the live call suggests it again.
#[test]
fn a_card_decided_before_a_restart_is_not_queued_again() {
    let mut q = ApprovalQueue::new(QueueConfig::default());
    q.remember_decided(card_id_for("i1", "KB-1"), Decision::Rejected);
    q.remember_decided(card_id_for("i1", "KB-3"), Decision::Pending);
    let queued = q.add_suggestions(
        "i1",
        vec![
            suggestion("KB-1", 0.9),
            suggestion("KB-2", 0.8),
            suggestion("KB-3", 0.7),
        ],
        100,
    );
    let ids: Vec<&str> = queued.iter().map(|c| c.article_id.as_str()).collect();
    assert_eq!(
        ids,
        ["KB-2", "KB-3"],
        "an undecided card may come back, a decided one not"
    );
    assert!(q.knows_card("i1", "KB-1", &suggestion("KB-1", 0.9).content, &[]));
    assert_eq!(
        q.apply(
            CardAction::Reject {
                card_id: card_id_for("i1", "KB-1")
            },
            "sup",
            200
        ),
        Err(QueueError::AlreadyDecided {
            card_id: card_id_for("i1", "KB-1"),
            decision: Decision::Rejected
        }),
        "nothing to decide twice"
    );
}

#[test]
fn approve_edit_and_reject_transitions() {
    let (mut q, cards) = queue_with("i1", &["KB-1", "KB-2", "KB-3"]);
    let approved = q
        .apply(
            CardAction::Approve {
                card_id: cards[0].card_id.clone(),
            },
            "sup",
            150,
        )
        .unwrap();
    assert_eq!(approved[0].to, Decision::Approved);
    assert_eq!(approved[0].sent.as_ref(), Some(&cards[0].suggested));
    let edit = CardAction::EditApprove {
        card_id: cards[1].card_id.clone(),
        title: "New".into(),
        body: "Better body".into(),
    };
    let edited = q.apply(edit, "sup", 160).unwrap();
    assert_eq!(edited[0].to, Decision::EditedApproved);
    assert_eq!(
        edited[0].sent.as_ref().map(|s| s.title.as_str()),
        Some("New")
    );
    let rejected = q
        .apply(
            CardAction::Reject {
                card_id: cards[2].card_id.clone(),
            },
            "sup",
            170,
        )
        .unwrap();
    assert_eq!(rejected[0].to, Decision::Rejected);
    let card = q.card(&cards[1].card_id).unwrap();
    assert_eq!(card.delivery, Delivery::Queued);
    assert_eq!(card.timings.decided_ms, Some(160));
    assert_eq!(q.card(&cards[2].card_id).unwrap().delivery, Delivery::None);
    assert_eq!(q.pending_count(), 0);
}

#[test]
fn unchanged_edit_counts_as_plain_approval() {
    let (mut q, cards) = queue_with("i1", &["KB-1"]);
    let s = &cards[0].suggested;
    let edit = CardAction::EditApprove {
        card_id: cards[0].card_id.clone(),
        title: s.title.clone(),
        body: s.body.clone(),
    };
    assert_eq!(q.apply(edit, "sup", 1).unwrap()[0].to, Decision::Approved);
}

#[test]
fn invalid_actions_are_refused_without_change() {
    let (mut q, cards) = queue_with("i1", &["KB-1"]);
    let id = cards[0].card_id.clone();
    assert_eq!(
        q.apply(
            CardAction::Approve {
                card_id: "nope".into()
            },
            "sup",
            1
        ),
        Err(QueueError::UnknownCard("nope".into()))
    );
    let blank_title = CardAction::EditApprove {
        card_id: id.clone(),
        title: "  ".into(),
        body: "b".into(),
    };
    assert_eq!(q.apply(blank_title, "sup", 1), Err(QueueError::EmptyTitle));
    let blank_body = CardAction::EditApprove {
        card_id: id.clone(),
        title: "t".into(),
        body: "\n".into(),
    };
    assert_eq!(q.apply(blank_body, "sup", 1), Err(QueueError::EmptyBody));
    assert_eq!(q.pending_count(), 1);
    q.apply(
        CardAction::Reject {
            card_id: id.clone(),
        },
        "sup",
        2,
    )
    .unwrap();
    let again = q.apply(
        CardAction::Approve {
            card_id: id.clone(),
        },
        "sup",
        3,
    );
    assert_eq!(
        again,
        Err(QueueError::AlreadyDecided {
            card_id: id.clone(),
            decision: Decision::Rejected
        })
    );
    assert_eq!(
        q.set_delivery(&id, Delivery::Sent, 4),
        Err(QueueError::NotApproved(id))
    );
    let unknown = CardAction::ApproveAll {
        interaction_id: "zz".into(),
    };
    assert_eq!(
        q.apply(unknown, "sup", 5),
        Err(QueueError::UnknownInteraction("zz".into()))
    );
}

#[test]
fn approve_all_takes_only_pending_cards() {
    let (mut q, cards) = queue_with("i1", &["KB-1", "KB-2", "KB-3"]);
    q.apply(
        CardAction::Reject {
            card_id: cards[0].card_id.clone(),
        },
        "sup",
        1,
    )
    .unwrap();
    let all = q
        .apply(
            CardAction::ApproveAll {
                interaction_id: "i1".into(),
            },
            "sup",
            2,
        )
        .unwrap();
    assert_eq!(all.len(), 2);
    assert!(all.iter().all(Transition::is_approval));
    assert!(q
        .apply(
            CardAction::ApproveAll {
                interaction_id: "i1".into()
            },
            "sup",
            3
        )
        .unwrap()
        .is_empty());
}

#[test]
fn plan_changes_nothing_until_commit() {
    let (mut q, cards) = queue_with("i1", &["KB-1"]);
    let planned = q
        .plan(
            &CardAction::Approve {
                card_id: cards[0].card_id.clone(),
            },
            "sup",
            5,
        )
        .unwrap();
    assert_eq!(q.pending_count(), 1);
    assert_eq!(q.commit(&planned).len(), 1);
    assert!(
        q.commit(&planned).is_empty(),
        "a second commit of the same plan is a no-op"
    );
}

#[test]
fn ending_an_interaction_expires_pending_cards_and_blocks_new_ones() {
    let (mut q, cards) = queue_with("i1", &["KB-1", "KB-2"]);
    q.apply(
        CardAction::Approve {
            card_id: cards[0].card_id.clone(),
        },
        "sup",
        1,
    )
    .unwrap();
    let expired = q.expire_interaction("i1", "ended", 2);
    assert_eq!(expired.len(), 1);
    assert_eq!(expired[0].to, Decision::Expired);
    assert_eq!(
        q.card(&cards[1].card_id).unwrap().decision,
        Decision::Expired
    );
    assert!(q
        .add_suggestions("i1", vec![suggestion("KB-9", 0.9)], 3)
        .is_empty());
    assert_eq!(q.snapshot().interactions[0].state, "ended");
}

#[test]
fn delivery_updates_timings() {
    let (mut q, cards) = queue_with("i1", &["KB-1"]);
    let id = cards[0].card_id.clone();
    q.apply(
        CardAction::Approve {
            card_id: id.clone(),
        },
        "sup",
        10,
    )
    .unwrap();
    let retrying = Delivery::Retrying {
        attempt: 1,
        reason: "503".into(),
    };
    q.set_delivery(&id, retrying, 11).unwrap();
    let view = q.set_delivery(&id, Delivery::Sent, 12).unwrap();
    assert_eq!(view.timings.delivered_ms, Some(12));
    assert_eq!(
        q.set_delivery("nope", Delivery::Sent, 13),
        Err(QueueError::UnknownCard("nope".into()))
    );
}

#[test]
fn snapshot_is_newest_interaction_first() {
    let mut q = ApprovalQueue::new(QueueConfig::default());
    q.add_suggestions("old", vec![suggestion("KB-1", 0.5)], 100);
    q.add_suggestions("new", vec![suggestion("KB-1", 0.5)], 200);
    q.note_context("quiet", "Customer: [EMAIL]".into(), 150);
    q.note_no_suggestion("quiet", Some("no suggestion: best 0.31 < 0.45".into()), 150);
    let ids: Vec<String> = q
        .snapshot()
        .interactions
        .into_iter()
        .map(|i| i.interaction_id)
        .collect();
    assert_eq!(ids, ["new", "quiet", "old"]);
    let quiet = &q.snapshot().interactions[1];
    assert_eq!(
        quiet.no_suggestion_reason.as_deref(),
        Some("no suggestion: best 0.31 < 0.45")
    );
    assert_eq!(quiet.context, "Customer: [EMAIL]");
}

#[test]
fn auto_approve_is_off_by_default_and_follows_the_threshold() {
    let (q, cards) = queue_with("i1", &["KB-1"]);
    assert!(q.auto_actions(&cards).is_empty());
    let mut q = ApprovalQueue::new(QueueConfig {
        auto_approve: AutoApprove::ScoreAtLeast(0.6),
        ..QueueConfig::default()
    });
    let cards = q.add_suggestions(
        "i1",
        vec![suggestion("KB-1", 0.7), suggestion("KB-2", 0.5)],
        1,
    );
    assert_eq!(
        q.auto_actions(&cards),
        vec![CardAction::Approve {
            card_id: cards[0].card_id.clone()
        }]
    );
    assert_eq!(
        AutoApprove::parse("score>=0.6"),
        Some(AutoApprove::ScoreAtLeast(0.6))
    );
    assert_eq!(AutoApprove::parse("none"), Some(AutoApprove::Off));
    assert!(AutoApprove::parse("all").is_some_and(|p| p.approves(-1.0)));
    assert_eq!(AutoApprove::parse("score>=x"), None);
}

#[test]
fn retention_bounds_decided_cards_and_ended_interactions() {
    let config = QueueConfig {
        max_decided_cards: 3,
        max_ended_interactions: 2,
        ..QueueConfig::default()
    };
    let mut q = ApprovalQueue::new(config);
    for n in 0..10u64 {
        let interaction = format!("i{n}");
        let cards = q.add_suggestions(&interaction, vec![suggestion("KB-1", 0.5)], n);
        q.apply(
            CardAction::Reject {
                card_id: cards[0].card_id.clone(),
            },
            "sup",
            n,
        )
        .unwrap();
        q.expire_interaction(&interaction, "ended", n);
    }
    let snapshot = q.snapshot();
    assert_eq!(snapshot.interactions.len(), 2);
    assert_eq!(snapshot.interactions[0].interaction_id, "i9");
    assert!(q
        .add_suggestions("i0", vec![suggestion("KB-2", 0.5)], 20)
        .is_empty());
}

#[test]
fn in_flight_cards_are_not_forgotten() {
    let config = QueueConfig {
        max_decided_cards: 1,
        ..QueueConfig::default()
    };
    let (mut q, cards) = queue_with("i1", &["KB-1", "KB-2", "KB-3"]);
    q.config = config;
    q.apply(
        CardAction::ApproveAll {
            interaction_id: "i1".into(),
        },
        "sup",
        1,
    )
    .unwrap();
    assert!(cards.iter().all(|c| q.card(&c.card_id).is_some()));
    q.set_delivery(&cards[0].card_id, Delivery::Sent, 2)
        .unwrap();
    q.set_delivery(&cards[1].card_id, Delivery::Sent, 3)
        .unwrap();
    assert!(q.card(&cards[0].card_id).is_none());
    assert!(q.card(&cards[2].card_id).is_some());
}
