//! Per-interaction state, pure and synchronous: the recent-turn window the query is built from,
//! debounce, the articles already suggested or rejected (never re-suggested), and the ended flag.
//!
//! The stream sends the *cumulative* transcript each time. [`InteractionState::update_transcript`]
//! splits it into turns (`Customer: ...` / `Agent: ...` lines; other lines continue the previous
//! turn, or form an unlabelled turn) and stamps each turn with the time it last changed, so the
//! window can be limited by turn count and/or age. Times are `std::time::Instant`s passed in by the
//! caller (under tokio's paused clock, pass `tokio::time::Instant::now().into_std()`).

use std::collections::HashSet;
use std::time::{Duration, Instant};

use crate::domain::{ArticleId, RankedArticle};
use crate::pii;

/// Who said a turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Speaker {
    Customer,
    Agent,
    /// A line without a recognised `Customer:`/`Agent:` label.
    Unknown,
}

impl Speaker {
    fn label(self) -> Option<&'static str> {
        match self {
            Speaker::Customer => Some("Customer"),
            Speaker::Agent => Some("Agent"),
            Speaker::Unknown => None,
        }
    }
}

/// One turn of the conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Turn {
    pub speaker: Speaker,
    /// The utterance without its speaker label.
    pub text: String,
    /// When this turn was first seen or last grew.
    pub changed_at: Instant,
}

/// How much recent conversation the query covers. With both limits, both apply; the latest
/// turn is always included so the query is never empty while there is a transcript.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowConfig {
    pub max_turns: Option<usize>,
    pub max_age: Option<Duration>,
}

impl Default for WindowConfig {
    fn default() -> Self {
        Self {
            max_turns: Some(4),
            max_age: None,
        }
    }
}

/// Debounce of transcript updates: a query runs only once updates have paused for `delay`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Debounce {
    pub delay: Duration,
}

impl Default for Debounce {
    fn default() -> Self {
        Self {
            delay: Duration::from_millis(300),
        }
    }
}

impl Debounce {
    /// True once `delay` has passed since the last update.
    pub fn is_ready(&self, last_update: Instant, now: Instant) -> bool {
        now.saturating_duration_since(last_update) >= self.delay
    }

    /// The instant at which an update made at `last_update` becomes ready.
    pub fn ready_at(&self, last_update: Instant) -> Instant {
        last_update + self.delay
    }
}

/// Everything the pipeline remembers about one interaction.
#[derive(Debug, Clone)]
pub struct InteractionState {
    interaction_id: String,
    turns: Vec<Turn>,
    last_update: Option<Instant>,
    suggested: HashSet<ArticleId>,
    rejected: HashSet<ArticleId>,
    ended_state: Option<String>,
}

impl InteractionState {
    /// A fresh, active interaction with no transcript yet.
    pub fn new(interaction_id: impl Into<String>) -> Self {
        Self {
            interaction_id: interaction_id.into(),
            turns: Vec::new(),
            last_update: None,
            suggested: HashSet::new(),
            rejected: HashSet::new(),
            ended_state: None,
        }
    }

    pub fn interaction_id(&self) -> &str {
        &self.interaction_id
    }

    /// Replaces the transcript with the latest cumulative one. Returns true when it changed
    /// (then `last_update` becomes `now`); unchanged turns keep their timestamps.
    pub fn update_transcript(&mut self, transcript: &str, now: Instant) -> bool {
        let parsed = parse_turns(transcript);
        let mut changed = parsed.len() != self.turns.len();
        let turns = parsed
            .into_iter()
            .enumerate()
            .map(|(i, (speaker, text))| match self.turns.get(i) {
                Some(old) if old.speaker == speaker && old.text == text => old.clone(),
                _ => {
                    changed = true;
                    Turn {
                        speaker,
                        text,
                        changed_at: now,
                    }
                }
            })
            .collect();
        self.turns = turns;
        if changed {
            self.last_update = Some(now);
        }
        changed
    }

    /// When the transcript last changed (None before the first update).
    pub fn last_update(&self) -> Option<Instant> {
        self.last_update
    }

    /// All turns seen so far.
    pub fn turns(&self) -> &[Turn] {
        &self.turns
    }

    /// The turns inside the window at `now`.
    pub fn recent_turns(&self, window: &WindowConfig, now: Instant) -> &[Turn] {
        let total = self.turns.len();
        let mut start = window
            .max_turns
            .map_or(0, |n| total.saturating_sub(n.max(1)));
        if let Some(max_age) = window.max_age {
            while start + 1 < total
                && now.saturating_duration_since(self.turns[start].changed_at) > max_age
            {
                start += 1;
            }
        }
        &self.turns[start..]
    }

    /// The retrieval query: the window's utterances (no speaker labels), one per line.
    pub fn query_text(&self, window: &WindowConfig, now: Instant) -> String {
        self.recent_turns(window, now)
            .iter()
            .map(|t| t.text.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// The window as labelled lines with PII redacted, for display and the audit trail.
    pub fn redacted_context(&self, window: &WindowConfig, now: Instant) -> String {
        let lines: Vec<String> = self
            .recent_turns(window, now)
            .iter()
            .map(|t| match t.speaker.label() {
                Some(label) => format!("{label}: {}", t.text),
                None => t.text.clone(),
            })
            .collect();
        pii::redact(&lines.join("\n")).into_owned()
    }

    /// Remembers that an article was suggested (it will not be suggested again).
    pub fn mark_suggested(&mut self, article_id: impl Into<ArticleId>) {
        self.suggested.insert(article_id.into());
    }

    /// Remembers that an article was rejected (it will not be suggested again).
    pub fn mark_rejected(&mut self, article_id: impl Into<ArticleId>) {
        self.rejected.insert(article_id.into());
    }

    /// True when the article was already suggested or rejected here.
    pub fn already_seen(&self, article_id: &str) -> bool {
        self.suggested.contains(article_id) || self.rejected.contains(article_id)
    }

    /// Keeps only results never suggested nor rejected, in their ranked order.
    pub fn filter_new(&self, ranked: Vec<RankedArticle>) -> Vec<RankedArticle> {
        ranked
            .into_iter()
            .filter(|r| !self.already_seen(&r.article_id))
            .collect()
    }

    /// Marks the interaction ended with the state the stream reported.
    pub fn end(&mut self, state: impl Into<String>) {
        self.ended_state = Some(state.into());
    }

    pub fn is_ended(&self) -> bool {
        self.ended_state.is_some()
    }

    /// The state the stream reported when it ended.
    pub fn ended_state(&self) -> Option<&str> {
        self.ended_state.as_deref()
    }
}

/// Splits a transcript into (speaker, text) turns.
pub fn parse_turns(transcript: &str) -> Vec<(Speaker, String)> {
    let mut turns: Vec<(Speaker, String)> = Vec::new();
    for line in transcript.lines().map(str::trim).filter(|l| !l.is_empty()) {
        match split_label(line) {
            Some((speaker, text)) => turns.push((speaker, text.to_string())),
            None => match turns.last_mut() {
                Some((speaker, text)) if *speaker != Speaker::Unknown => {
                    text.push(' ');
                    text.push_str(line);
                }
                _ => turns.push((Speaker::Unknown, line.to_string())),
            },
        }
    }
    turns
}

fn split_label(line: &str) -> Option<(Speaker, &str)> {
    let (label, rest) = line.split_once(':')?;
    let speaker = match label.trim().to_ascii_lowercase().as_str() {
        "customer" => Speaker::Customer,
        "agent" => Speaker::Agent,
        _ => return None,
    };
    Some((speaker, rest.trim()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::LegScores;

    const T1: &str = "Customer: my router blinks red\nAgent: let me check";

    fn ranked(id: &str) -> RankedArticle {
        RankedArticle {
            article_id: id.into(),
            scores: LegScores::default(),
        }
    }

    #[test]
    fn parses_labelled_turns_and_continuations() {
        let turns = parse_turns("Customer: hi\nstill me\n\nAGENT : hello\nplain");
        assert_eq!(
            turns,
            vec![
                (Speaker::Customer, "hi still me".to_string()),
                (Speaker::Agent, "hello plain".to_string()),
            ]
        );
        assert_eq!(parse_turns("one\ntwo").len(), 2);
    }

    #[test]
    fn window_by_turns_keeps_the_latest() {
        let now = Instant::now();
        let mut s = InteractionState::new("i1");
        assert!(s.update_transcript(&format!("{T1}\nCustomer: error 651\nAgent: ok"), now));
        let window = WindowConfig {
            max_turns: Some(2),
            max_age: None,
        };
        assert_eq!(s.query_text(&window, now), "error 651\nok");
        let all = WindowConfig {
            max_turns: None,
            max_age: None,
        };
        assert_eq!(s.recent_turns(&all, now).len(), 4);
    }

    #[test]
    fn window_by_age_drops_old_turns_but_never_the_last() {
        let t0 = Instant::now();
        let mut s = InteractionState::new("i1");
        s.update_transcript(T1, t0);
        let t1 = t0 + Duration::from_secs(30);
        s.update_transcript(&format!("{T1}\nCustomer: error 651"), t1);
        let window = WindowConfig {
            max_turns: None,
            max_age: Some(Duration::from_secs(10)),
        };
        assert_eq!(s.query_text(&window, t1), "error 651");
        let much_later = t1 + Duration::from_secs(600);
        assert_eq!(s.query_text(&window, much_later), "error 651");
    }

    #[test]
    fn unchanged_transcript_keeps_timestamps() {
        let t0 = Instant::now();
        let mut s = InteractionState::new("i1");
        s.update_transcript(T1, t0);
        let later = t0 + Duration::from_secs(5);
        assert!(!s.update_transcript(T1, later));
        assert_eq!(s.last_update(), Some(t0));
        assert!(s.update_transcript(&format!("{T1} now"), later));
        assert_eq!(s.turns()[0].changed_at, t0);
        assert_eq!(s.turns()[1].changed_at, later);
    }

    #[test]
    fn debounce_waits_for_a_pause() {
        let d = Debounce {
            delay: Duration::from_millis(300),
        };
        let t0 = Instant::now();
        assert!(!d.is_ready(t0, t0 + Duration::from_millis(299)));
        assert!(d.is_ready(t0, t0 + Duration::from_millis(300)));
        assert!(!d.is_ready(t0 + Duration::from_secs(1), t0));
        assert_eq!(d.ready_at(t0), t0 + Duration::from_millis(300));
    }

    #[test]
    fn suggested_and_rejected_articles_are_never_resuggested() {
        let mut s = InteractionState::new("i1");
        s.mark_suggested("KB-1");
        s.mark_rejected("KB-2");
        let left = s.filter_new(vec![ranked("KB-2"), ranked("KB-3"), ranked("KB-1")]);
        assert_eq!(left, vec![ranked("KB-3")]);
    }

    #[test]
    fn context_is_redacted_and_ended_flag_sticks() {
        let now = Instant::now();
        let mut s = InteractionState::new("i1");
        s.update_transcript("Customer: mail me at a@b.io", now);
        assert_eq!(
            s.redacted_context(&WindowConfig::default(), now),
            "Customer: mail me at [EMAIL]"
        );
        assert!(!s.is_ended());
        s.end("ended");
        assert_eq!(s.ended_state(), Some("ended"));
        assert_eq!(s.interaction_id(), "i1");
    }
}
