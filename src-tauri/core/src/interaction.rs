//! Per-interaction conversation state, pure and synchronous: the recent-turn window the query is
//! built from, limited by turn count and/or age. The extract stage keeps one [`Conversation`] per
//! tracked interaction; debounce lives in the stage and the "never re-suggest" set in the queue.
//!
//! The stream sends the *cumulative* transcript each time. [`Conversation::update_transcript`]
//! splits it into turns (`Customer: ...` / `Agent: ...` lines; other lines continue the previous
//! turn, or form an unlabelled turn) and stamps each turn with the time it last changed, so the
//! window can be limited by turn count and/or age. Times are `std::time::Instant`s passed in by the
//! caller (under tokio's paused clock, pass `tokio::time::Instant::now().into_std()`).

use std::time::{Duration, Instant};

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
            max_turns: Some(6),
            max_age: None,
        }
    }
}

/// The turns of one interaction, each stamped with when it last changed.
#[derive(Debug, Clone, Default)]
pub struct Conversation {
    turns: Vec<Turn>,
    last_update: Option<Instant>,
}

impl Conversation {
    /// A conversation with no transcript yet.
    pub fn new() -> Self {
        Self::default()
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

    /// The window as labelled lines (`Customer: ...`), one turn per line: the retrieval query and,
    /// once redacted, the context shown with a card.
    pub fn window_text(&self, window: &WindowConfig, now: Instant) -> String {
        self.recent_turns(window, now)
            .iter()
            .map(|t| match t.speaker.label() {
                Some(label) => format!("{label}: {}", t.text),
                None => t.text.clone(),
            })
            .collect::<Vec<_>>()
            .join("\n")
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

    const T1: &str = "Customer: my router blinks red\nAgent: let me check";

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
        let mut s = Conversation::new();
        assert!(s.update_transcript(&format!("{T1}\nCustomer: error 651\nAgent: ok"), now));
        let window = WindowConfig {
            max_turns: Some(2),
            max_age: None,
        };
        assert_eq!(
            s.window_text(&window, now),
            "Customer: error 651\nAgent: ok"
        );
        let all = WindowConfig {
            max_turns: None,
            max_age: None,
        };
        assert_eq!(s.recent_turns(&all, now).len(), 4);
    }

    #[test]
    fn window_by_age_drops_old_turns_but_never_the_last() {
        let t0 = Instant::now();
        let mut s = Conversation::new();
        s.update_transcript(T1, t0);
        let t1 = t0 + Duration::from_secs(30);
        s.update_transcript(&format!("{T1}\nCustomer: error 651"), t1);
        let window = WindowConfig {
            max_turns: None,
            max_age: Some(Duration::from_secs(10)),
        };
        assert_eq!(s.window_text(&window, t1), "Customer: error 651");
        let much_later = t1 + Duration::from_secs(600);
        assert_eq!(s.window_text(&window, much_later), "Customer: error 651");
    }

    #[test]
    fn both_limits_apply() {
        let t0 = Instant::now();
        let mut s = Conversation::new();
        s.update_transcript(T1, t0);
        let t1 = t0 + Duration::from_secs(1);
        s.update_transcript(&format!("{T1}\nCustomer: a\nAgent: b\nCustomer: c"), t1);
        let window = WindowConfig {
            max_turns: Some(2),
            max_age: Some(Duration::from_secs(10)),
        };
        assert_eq!(s.window_text(&window, t1), "Agent: b\nCustomer: c");
    }

    #[test]
    fn unlabelled_lines_stay_as_they_are() {
        let now = Instant::now();
        let mut s = Conversation::new();
        s.update_transcript("hello there\nsecond line", now);
        assert_eq!(
            s.window_text(&WindowConfig::default(), now),
            "hello there\nsecond line"
        );
    }

    #[test]
    fn unchanged_transcript_keeps_timestamps() {
        let t0 = Instant::now();
        let mut s = Conversation::new();
        s.update_transcript(T1, t0);
        let later = t0 + Duration::from_secs(5);
        assert!(!s.update_transcript(T1, later));
        assert_eq!(s.last_update(), Some(t0));
        assert!(s.update_transcript(&format!("{T1} now"), later));
        assert_eq!(s.turns()[0].changed_at, t0);
        assert_eq!(s.turns()[1].changed_at, later);
    }
}
