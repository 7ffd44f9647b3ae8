//! Durable audit log of every suggestion and decision, in its own sled tree (`audit_log`) with
//! time-ordered keys (big-endian ms ++ sled's monotonic id), exportable to JSONL and CSV, and the
//! per-article acceptance report computed from the same records.
//!
//! A card gets one `pending` record when it is queued (what was suggested, scores, latency to
//! queue) and one record per decision (who, when, what was sent, the line diff against the
//! suggestion). Contexts are PII-redacted again on the way in.

mod diff;
mod export;

use serde::{Deserialize, Serialize};
use thiserror::Error;

pub use diff::line_diff;
pub use export::{acceptance_report, ArticleAcceptance, AuditCsvRow};

use crate::domain::{CardContent, LegScores};
use crate::pii;
use crate::pipeline::api::{CardId, CardView, Decision};
use crate::queue::Transition;

const AUDIT_TREE: &str = "audit_log";

/// Latencies known at the time of the record, in milliseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct AuditLatency {
    pub event_to_queued_ms: Option<u64>,
    pub queued_to_decided_ms: Option<u64>,
}

/// One audited fact about a card. `decision == Pending` records the suggestion itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditRecord {
    pub at_ms: u64,
    pub who: String,
    pub interaction_id: String,
    pub card_id: CardId,
    pub article_id: String,
    pub decision: Decision,
    pub suggested: CardContent,
    pub sent: Option<CardContent>,
    /// Line diff of the sent body against the suggested one (empty when unchanged).
    pub diff: String,
    pub scores: LegScores,
    pub latency: AuditLatency,
    /// Redacted transcript excerpt the suggestion came from.
    pub context: String,
}

/// Who is recorded for suggestions.
pub const PIPELINE_ACTOR: &str = "pipeline";

impl AuditRecord {
    /// The record of a freshly queued card.
    pub fn suggested(card: &CardView) -> Self {
        Self {
            at_ms: card.timings.queued_ms,
            who: PIPELINE_ACTOR.to_string(),
            interaction_id: card.interaction_id.clone(),
            card_id: card.card_id.clone(),
            article_id: card.article_id.clone(),
            decision: Decision::Pending,
            suggested: card.suggested.clone(),
            sent: None,
            diff: String::new(),
            scores: card.scores,
            latency: AuditLatency {
                event_to_queued_ms: elapsed(card.timings.event_received_ms, card.timings.queued_ms),
                queued_to_decided_ms: None,
            },
            context: pii::redact(&card.context).into_owned(),
        }
    }

    /// The record of a decision on `card` (the card as it was when planned or committed).
    pub fn decided(card: &CardView, transition: &Transition) -> Self {
        let diff = match &transition.sent {
            Some(sent) => content_diff(&card.suggested, sent),
            None => String::new(),
        };
        let mut record = Self::suggested(card);
        record.at_ms = transition.at_ms;
        record.who = transition.who.clone();
        record.decision = transition.to;
        record.sent = transition.sent.clone();
        record.diff = diff;
        record.latency.queued_to_decided_ms = elapsed(card.timings.queued_ms, transition.at_ms);
        record
    }
}

fn elapsed(from_ms: u64, to_ms: u64) -> Option<u64> {
    (from_ms > 0 && to_ms >= from_ms).then(|| to_ms - from_ms)
}

/// Diff of title and body, the title as a first `title:` line.
fn content_diff(suggested: &CardContent, sent: &CardContent) -> String {
    let before = format!("title: {}\n{}", suggested.title, suggested.body);
    let after = format!("title: {}\n{}", sent.title, sent.body);
    line_diff(&before, &after)
}

/// Audit failures: the store, or the writer an export goes to.
#[derive(Debug, Error)]
pub enum AuditError {
    #[error("audit storage failed: {0}")]
    Storage(String),
    #[error("audit export failed: {0}")]
    Export(String),
}

/// The audit log in its own tree of the app's database.
#[derive(Debug, Clone)]
pub struct AuditLog {
    db: sled::Db,
    tree: sled::Tree,
}

impl AuditLog {
    pub fn open(db: &sled::Db) -> Result<Self, AuditError> {
        let tree = db.open_tree(AUDIT_TREE).map_err(storage)?;
        Ok(Self {
            db: db.clone(),
            tree,
        })
    }

    /// Appends a record and flushes it to disk.
    pub fn record(&self, record: &AuditRecord) -> Result<(), AuditError> {
        let sequence = self.db.generate_id().map_err(storage)?;
        let mut key = Vec::with_capacity(16);
        key.extend_from_slice(&record.at_ms.to_be_bytes());
        key.extend_from_slice(&sequence.to_be_bytes());
        let value = serde_json::to_vec(record).map_err(|e| AuditError::Storage(e.to_string()))?;
        self.tree.insert(key, value).map_err(storage)?;
        self.tree.flush().map_err(storage)?;
        Ok(())
    }

    /// All records, oldest first.
    pub fn records(&self) -> Result<Vec<AuditRecord>, AuditError> {
        self.records_between(0, u64::MAX)
    }

    /// Records with `from_ms <= at_ms <= to_ms`, oldest first.
    pub fn records_between(
        &self,
        from_ms: u64,
        to_ms: u64,
    ) -> Result<Vec<AuditRecord>, AuditError> {
        let start = from_ms.to_be_bytes().to_vec();
        let mut end = to_ms.to_be_bytes().to_vec();
        end.extend_from_slice(&u64::MAX.to_be_bytes());
        self.tree
            .range(start..=end)
            .values()
            .map(|value| {
                let bytes = value.map_err(storage)?;
                serde_json::from_slice(&bytes)
                    .map_err(|e| AuditError::Storage(format!("unreadable audit record: {e}")))
            })
            .collect()
    }

    /// Writes every record as one JSON object per line; returns the number written.
    pub fn export_jsonl(&self, out: impl std::io::Write) -> Result<usize, AuditError> {
        export::write_jsonl(&self.records()?, out)
    }

    /// Writes every record as CSV with a header row; returns the number written.
    pub fn export_csv(&self, out: impl std::io::Write) -> Result<usize, AuditError> {
        export::write_csv(&self.records()?, out)
    }

    /// Per-article suggested / approved / edited / rejected / expired counts.
    pub fn acceptance_report(&self) -> Result<Vec<ArticleAcceptance>, AuditError> {
        Ok(acceptance_report(&self.records()?))
    }
}

fn storage(err: sled::Error) -> AuditError {
    AuditError::Storage(format!("sled: {err}"))
}
