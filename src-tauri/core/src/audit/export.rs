//! JSONL and CSV export of audit records, and the per-article acceptance report.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use super::{AuditError, AuditLatency, AuditRecord};
use crate::domain::{CardContent, LegScores};
use crate::pipeline::api::Decision;

/// One CSV row: an [`AuditRecord`] flattened (the `csv` crate cannot nest).
///
/// The CSV export is meant for spreadsheets, so `From<&AuditRecord>` defuses formula injection
/// (OWASP "CSV injection"): every text cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return gets a
/// leading `'`, so a KB title `=HYPERLINK(...)` is shown, not evaluated. All the string columns are treated
/// this way (KB titles and bodies, the diff, the transcript context, ids and the operator name all come from
/// outside or contain outside text), while our own numeric columns (scores, latencies, `at_ms`) stay numbers:
/// a spreadsheet reads `-0.25` as a number, never as a formula, and prefixing it would turn it into text.
/// A text that already starts with `'`s before such a character gets one more, so the prefix is unambiguous
/// and `From<AuditCsvRow> for AuditRecord` removes it again (the CSV parses back exactly). JSONL stays raw.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditCsvRow {
    pub at_ms: u64,
    pub who: String,
    pub interaction_id: String,
    pub card_id: String,
    pub article_id: String,
    pub decision: Decision,
    pub suggested_title: String,
    pub suggested_body: String,
    pub suggested_score: f32,
    pub sent_title: Option<String>,
    pub sent_body: Option<String>,
    pub sent_score: Option<f32>,
    pub diff: String,
    pub dense: f32,
    pub bm25: f32,
    pub bm25_norm: f32,
    pub exact: f32,
    pub fused: f32,
    pub event_to_queued_ms: Option<u64>,
    pub queued_to_decided_ms: Option<u64>,
    pub context: String,
}

impl AuditCsvRow {
    /// The fields of `record`, as they are.
    fn raw(r: &AuditRecord) -> Self {
        Self {
            at_ms: r.at_ms,
            who: r.who.clone(),
            interaction_id: r.interaction_id.clone(),
            card_id: r.card_id.clone(),
            article_id: r.article_id.clone(),
            decision: r.decision,
            suggested_title: r.suggested.title.clone(),
            suggested_body: r.suggested.body.clone(),
            suggested_score: r.suggested.score,
            sent_title: r.sent.as_ref().map(|s| s.title.clone()),
            sent_body: r.sent.as_ref().map(|s| s.body.clone()),
            sent_score: r.sent.as_ref().map(|s| s.score),
            diff: r.diff.clone(),
            dense: r.scores.dense,
            bm25: r.scores.bm25,
            bm25_norm: r.scores.bm25_norm,
            exact: r.scores.exact,
            fused: r.scores.fused,
            event_to_queued_ms: r.latency.event_to_queued_ms,
            queued_to_decided_ms: r.latency.queued_to_decided_ms,
            context: r.context.clone(),
        }
    }

    /// The row with `f` applied to every text column (the numeric ones and `decision` unchanged).
    fn map_text(self, f: fn(String) -> String) -> Self {
        Self {
            who: f(self.who),
            interaction_id: f(self.interaction_id),
            card_id: f(self.card_id),
            article_id: f(self.article_id),
            suggested_title: f(self.suggested_title),
            suggested_body: f(self.suggested_body),
            sent_title: self.sent_title.map(f),
            sent_body: self.sent_body.map(f),
            diff: f(self.diff),
            context: f(self.context),
            ..self
        }
    }
}

/// Characters that make a spreadsheet read a cell as a formula.
const FORMULA_TRIGGERS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// True when `text`, after any leading `'`s, starts with a formula character: the cells that get (or have,
/// once escaped) the `'` prefix.
fn formula_shaped(text: &str) -> bool {
    text.trim_start_matches('\'').starts_with(FORMULA_TRIGGERS)
}

/// `text` with a leading `'` when a spreadsheet would evaluate it as a formula.
fn spreadsheet_text(text: String) -> String {
    if formula_shaped(&text) {
        format!("'{text}")
    } else {
        text
    }
}

/// The inverse of [`spreadsheet_text`].
fn from_spreadsheet_text(text: String) -> String {
    match text.strip_prefix('\'') {
        Some(rest) if formula_shaped(rest) => rest.to_string(),
        _ => text,
    }
}

impl From<&AuditRecord> for AuditCsvRow {
    /// The row of `record` as written to the CSV export: text cells defused against formula injection.
    fn from(record: &AuditRecord) -> Self {
        Self::raw(record).map_text(spreadsheet_text)
    }
}

impl From<AuditCsvRow> for AuditRecord {
    /// Reads a row of the CSV export back (the `'` prefix against formula injection removed).
    fn from(row: AuditCsvRow) -> Self {
        let row = row.map_text(from_spreadsheet_text);
        let sent = match (row.sent_title, row.sent_body, row.sent_score) {
            (Some(title), Some(body), Some(score)) => Some(CardContent { title, body, score }),
            _ => None,
        };
        Self {
            at_ms: row.at_ms,
            who: row.who,
            interaction_id: row.interaction_id,
            card_id: row.card_id,
            article_id: row.article_id,
            decision: row.decision,
            suggested: CardContent {
                title: row.suggested_title,
                body: row.suggested_body,
                score: row.suggested_score,
            },
            sent,
            diff: row.diff,
            scores: LegScores {
                dense: row.dense,
                bm25: row.bm25,
                bm25_norm: row.bm25_norm,
                exact: row.exact,
                fused: row.fused,
            },
            latency: AuditLatency {
                event_to_queued_ms: row.event_to_queued_ms,
                queued_to_decided_ms: row.queued_to_decided_ms,
            },
            context: row.context,
        }
    }
}

fn export_error(err: impl std::fmt::Display) -> AuditError {
    AuditError::Export(err.to_string())
}

pub(super) fn write_jsonl(
    records: &[AuditRecord],
    mut out: impl std::io::Write,
) -> Result<usize, AuditError> {
    for record in records {
        serde_json::to_writer(&mut out, record).map_err(export_error)?;
        out.write_all(b"\n").map_err(export_error)?;
    }
    out.flush().map_err(export_error)?;
    Ok(records.len())
}

pub(super) fn write_csv(
    records: &[AuditRecord],
    out: impl std::io::Write,
) -> Result<usize, AuditError> {
    let mut writer = csv::Writer::from_writer(out);
    for record in records {
        writer
            .serialize(AuditCsvRow::from(record))
            .map_err(export_error)?;
    }
    if records.is_empty() {
        // The header row is written with the first record; an empty export still has it.
        writer.write_record(csv_header()).map_err(export_error)?;
    }
    writer.flush().map_err(export_error)?;
    Ok(records.len())
}

fn csv_header() -> [&'static str; 21] {
    [
        "at_ms",
        "who",
        "interaction_id",
        "card_id",
        "article_id",
        "decision",
        "suggested_title",
        "suggested_body",
        "suggested_score",
        "sent_title",
        "sent_body",
        "sent_score",
        "diff",
        "dense",
        "bm25",
        "bm25_norm",
        "exact",
        "fused",
        "event_to_queued_ms",
        "queued_to_decided_ms",
        "context",
    ]
}

/// How one article fared with supervisors.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ArticleAcceptance {
    pub article_id: String,
    /// Distinct cards suggested for the article.
    pub suggested: usize,
    pub approved: usize,
    pub edited: usize,
    pub rejected: usize,
    pub expired: usize,
    /// (approved + edited) / (approved + edited + rejected); None before any human decision.
    pub acceptance_rate: Option<f64>,
}

/// Counts per article (sorted by article id). Each card counts once, by its last decision.
pub fn acceptance_report(records: &[AuditRecord]) -> Vec<ArticleAcceptance> {
    let mut final_decision: HashMap<&str, (&str, Decision)> = HashMap::new();
    for r in records {
        let entry = final_decision
            .entry(&r.card_id)
            .or_insert((&r.article_id, r.decision));
        if r.decision != Decision::Pending {
            entry.1 = r.decision;
        }
    }
    let mut per_article: BTreeMap<&str, ArticleAcceptance> = BTreeMap::new();
    for (article_id, decision) in final_decision.into_values() {
        let row = per_article
            .entry(article_id)
            .or_insert_with(|| ArticleAcceptance {
                article_id: article_id.to_string(),
                ..ArticleAcceptance::default()
            });
        row.suggested += 1;
        match decision {
            Decision::Pending => {}
            Decision::Approved => row.approved += 1,
            Decision::EditedApproved => row.edited += 1,
            Decision::Rejected => row.rejected += 1,
            Decision::Expired => row.expired += 1,
        }
    }
    per_article
        .into_values()
        .map(|mut row| {
            let accepted = row.approved + row.edited;
            let decided = accepted + row.rejected;
            row.acceptance_rate = (decided > 0).then(|| accepted as f64 / decided as f64);
            row
        })
        .collect()
}
