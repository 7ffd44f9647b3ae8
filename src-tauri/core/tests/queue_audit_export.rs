//! The audit log on real sled files: records survive a reopen, exports parse back (CSV with
//! commas, quotes and newlines; JSONL), and the acceptance report counts each card once.

use assist_core::audit::{AuditCsvRow, AuditLog, AuditRecord};
use assist_core::domain::{CardContent, LegScores};
use assist_core::pipeline::api::{CardAction, Decision};
use assist_core::queue::{ApprovalQueue, QueueConfig, SuggestedCard};

fn suggestion(article_id: &str) -> SuggestedCard {
    SuggestedCard {
        article_id: article_id.into(),
        article_url: Some(format!("https://kb.example/{article_id}")),
        article_updated_at: None,
        content: CardContent {
            title: format!("Reset, \"quickly\" {article_id}"),
            body: format!("**{article_id}**\nline one, with comma\nline \"two\""),
            score: 0.6125,
        },
        scores: LegScores {
            dense: 0.71,
            bm25: 7.25,
            bm25_norm: 1.0,
            exact: 0.0,
            fused: 0.6125,
        },
        also_in: Vec::new(),
        key_phrases: vec!["reset".into()],
        context: "Customer: mail me at jo@example.com, card 4111 1111 1111 1111".into(),
        event_received_ms: 1_000,
    }
}

/// Queues four cards and decides them: approve, edit, reject, expire. Returns the records written.
fn decide_some(log: &AuditLog) -> Vec<AuditRecord> {
    let mut queue = ApprovalQueue::new(QueueConfig::default());
    let articles = ["KB-1", "KB-2", "KB-3", "KB-4"].map(suggestion).to_vec();
    let cards = queue.add_suggestions("i1", articles, 1_010);
    for card in &cards {
        log.record(&AuditRecord::suggested(card)).unwrap();
    }
    let edit = CardAction::EditApprove {
        card_id: cards[1].card_id.clone(),
        title: "Reset the router".into(),
        body: "**KB-2**\nline one, with comma\nunplug it for 30 s".into(),
    };
    let actions = [
        CardAction::Approve {
            card_id: cards[0].card_id.clone(),
        },
        edit,
        CardAction::Reject {
            card_id: cards[2].card_id.clone(),
        },
    ];
    let mut transitions = Vec::new();
    for (n, action) in actions.into_iter().enumerate() {
        transitions.extend(
            queue
                .apply(action, "supervisor@example.com", 2_000 + n as u64)
                .unwrap(),
        );
    }
    transitions.extend(queue.expire_interaction("i1", "ended", 3_000));
    for t in &transitions {
        let card = cards.iter().find(|c| c.card_id == t.card_id).unwrap();
        log.record(&AuditRecord::decided(card, t)).unwrap();
    }
    log.records().unwrap()
}

#[test]
fn records_survive_reopen_in_time_order_with_redacted_context() {
    let dir = tempfile::tempdir().unwrap();
    let written = {
        let db = sled::open(dir.path()).unwrap();
        decide_some(&AuditLog::open(&db).unwrap())
    };
    let db = sled::open(dir.path()).unwrap();
    let records = AuditLog::open(&db).unwrap().records().unwrap();
    assert_eq!(records, written);
    assert_eq!(records.len(), 8);
    assert!(records.windows(2).all(|w| w[0].at_ms <= w[1].at_ms));
    assert!(records
        .iter()
        .all(|r| r.context == "Customer: mail me at [EMAIL], card [CARD]"));
    let edited = records
        .iter()
        .find(|r| r.decision == Decision::EditedApproved)
        .unwrap();
    assert!(
        edited.diff.contains("- line \"two\"") && edited.diff.contains("+ unplug it for 30 s"),
        "{}",
        edited.diff
    );
    assert_eq!(edited.latency.event_to_queued_ms, Some(10));
    assert_eq!(edited.latency.queued_to_decided_ms, Some(991));
    assert_eq!(edited.who, "supervisor@example.com");
}

#[test]
fn csv_and_jsonl_exports_parse_back() {
    let db = sled::Config::new().temporary(true).open().unwrap();
    let log = AuditLog::open(&db).unwrap();
    let records = decide_some(&log);

    let mut csv_bytes = Vec::new();
    assert_eq!(log.export_csv(&mut csv_bytes).unwrap(), records.len());
    let mut reader = csv::Reader::from_reader(csv_bytes.as_slice());
    let parsed: Vec<AuditRecord> = reader
        .deserialize::<AuditCsvRow>()
        .map(|row| AuditRecord::from(row.unwrap()))
        .collect();
    assert_eq!(parsed, records);

    let mut jsonl = Vec::new();
    assert_eq!(log.export_jsonl(&mut jsonl).unwrap(), records.len());
    let text = String::from_utf8(jsonl).unwrap();
    let parsed: Vec<AuditRecord> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(parsed, records);
}

#[test]
fn time_range_and_empty_exports() {
    let db = sled::Config::new().temporary(true).open().unwrap();
    let log = AuditLog::open(&db).unwrap();
    let mut empty = Vec::new();
    log.export_csv(&mut empty).unwrap();
    assert!(String::from_utf8(empty).unwrap().starts_with("at_ms,who,"));
    decide_some(&log);
    let decisions = log.records_between(2_000, 2_999).unwrap();
    assert_eq!(decisions.len(), 3);
}

#[test]
fn acceptance_report_counts_each_card_once() {
    let db = sled::Config::new().temporary(true).open().unwrap();
    let log = AuditLog::open(&db).unwrap();
    decide_some(&log);
    let report = log.acceptance_report().unwrap();
    let counts: Vec<(&str, usize, usize, usize, usize, usize)> = report
        .iter()
        .map(|r| {
            (
                r.article_id.as_str(),
                r.suggested,
                r.approved,
                r.edited,
                r.rejected,
                r.expired,
            )
        })
        .collect();
    assert_eq!(
        counts,
        [
            ("KB-1", 1, 1, 0, 0, 0),
            ("KB-2", 1, 0, 1, 0, 0),
            ("KB-3", 1, 0, 0, 1, 0),
            ("KB-4", 1, 0, 0, 0, 1)
        ]
    );
    assert_eq!(report[0].acceptance_rate, Some(1.0));
    assert_eq!(report[2].acceptance_rate, Some(0.0));
    assert_eq!(report[3].acceptance_rate, None);
}

/// A record whose every outside text starts with `lead` (a KB title `=HYPERLINK(...)` and the like).
fn hostile_record(lead: char, at_ms: u64) -> AuditRecord {
    let text = |what: &str| format!("{lead}HYPERLINK(\"https://evil.example/{what}\",\"x\")");
    AuditRecord {
        at_ms,
        who: text("who"),
        interaction_id: text("interaction"),
        card_id: text("card"),
        article_id: text("article"),
        decision: Decision::EditedApproved,
        suggested: CardContent {
            title: text("title"),
            body: text("body"),
            score: 0.5,
        },
        sent: Some(CardContent {
            title: text("sent-title"),
            body: text("sent-body"),
            score: 0.5,
        }),
        diff: text("diff"),
        scores: LegScores {
            dense: -0.25,
            bm25: 3.5,
            bm25_norm: 0.5,
            exact: 0.0,
            fused: -0.125,
        },
        latency: Default::default(),
        context: text("context"),
    }
}

#[test]
fn csv_formula_injection_text_cells_starting_with_a_formula_character_are_prefixed() {
    let db = sled::Config::new().temporary(true).open().unwrap();
    let log = AuditLog::open(&db).unwrap();
    let leads = ['=', '+', '-', '@', '\t', '\r'];
    for (n, lead) in leads.into_iter().enumerate() {
        log.record(&hostile_record(lead, n as u64)).unwrap();
    }
    let mut plain = hostile_record('x', 100);
    plain.suggested.title = "Reset a password".into();
    log.record(&plain).unwrap();

    let mut csv_bytes = Vec::new();
    log.export_csv(&mut csv_bytes).unwrap();
    let mut reader = csv::Reader::from_reader(csv_bytes.as_slice());
    let header = reader.headers().unwrap().clone();
    let column = |name: &str| header.iter().position(|h| h == name).unwrap();
    let text_columns = [
        "who",
        "interaction_id",
        "card_id",
        "article_id",
        "suggested_title",
        "suggested_body",
        "sent_title",
        "sent_body",
        "diff",
        "context",
    ];
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), leads.len() + 1);
    for (row, lead) in rows.iter().zip(leads) {
        for name in text_columns {
            let cell = &row[column(name)];
            let expected = format!("'{lead}HYPERLINK(");
            assert!(cell.starts_with(&expected), "{name} {lead:?}: {cell:?}");
        }
        // Our own numeric columns stay numbers, negative ones included: a spreadsheet reads -0.25 as a number.
        assert_eq!(&row[column("dense")], "-0.25");
        assert_eq!(&row[column("fused")], "-0.125");
        assert_eq!(&row[column("decision")], "edited_approved");
    }
    let plain_row = &rows[leads.len()];
    assert_eq!(&plain_row[column("suggested_title")], "Reset a password");
    assert_eq!(
        &plain_row[column("context")],
        "xHYPERLINK(\"https://evil.example/context\",\"x\")"
    );

    // The prefix is read back off: the CSV still parses back exactly, also for texts that start with `'`.
    let mut quoted = hostile_record('@', 200);
    quoted.suggested.title = "'=already quoted".into();
    quoted.suggested.body = "''+twice".into();
    quoted.context = "'plain quote".into();
    log.record(&quoted).unwrap();
    let mut csv_bytes = Vec::new();
    log.export_csv(&mut csv_bytes).unwrap();
    let parsed: Vec<AuditRecord> = csv::Reader::from_reader(csv_bytes.as_slice())
        .deserialize::<AuditCsvRow>()
        .map(|row| AuditRecord::from(row.unwrap()))
        .collect();
    assert_eq!(parsed, log.records().unwrap());
    assert!(String::from_utf8(csv_bytes)
        .unwrap()
        .contains("''=already quoted"));

    // JSONL is the exact export: no prefix.
    let mut jsonl = Vec::new();
    log.export_jsonl(&mut jsonl).unwrap();
    let first: AuditRecord =
        serde_json::from_str(String::from_utf8(jsonl).unwrap().lines().next().unwrap()).unwrap();
    assert_eq!(first, hostile_record('=', 0));
}
