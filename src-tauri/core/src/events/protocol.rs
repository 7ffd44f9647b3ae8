//! Parsing one frame of the interactions stream into a typed outcome.
//!
//! The seed's frame: `{"type":"interaction","data":{"id":"…","state":"active","channels":[{"transcript":"…"}, …]}}`.
//! A transcript may be a string or a list of segments (`"text"` strings or `{"text": …}` objects). Any `state` other than
//! `active` ends the interaction for us. Other `type`s are [`Parsed::Ignored`]; anything unreadable is [`Parsed::Malformed`].

use serde_json::Value;

use crate::domain::{ActiveInteraction, InteractionEvent};

/// What one frame meant.
#[derive(Debug, Clone, PartialEq)]
pub enum Parsed {
    /// Something the pipeline acts on.
    Event(InteractionEvent),
    /// Valid but not for us (heartbeats, other event types, active without transcript): the reason, for counters and logs.
    Ignored(String),
    /// Not JSON, or missing what an interaction event needs: the reason (never the frame itself).
    Malformed(String),
}

/// Parses one text frame.
pub fn parse_frame(text: &str) -> Parsed {
    let value: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => return Parsed::Malformed(format!("not JSON: {e}")),
    };
    let Some(object) = value.as_object() else {
        return Parsed::Malformed("not a JSON object".into());
    };
    let kind = object.get("type").and_then(Value::as_str).unwrap_or("");
    if kind != "interaction" {
        let kind = if kind.is_empty() { "untyped" } else { kind };
        return Parsed::Ignored(format!("type {}", truncate(kind, 40)));
    }
    match object.get("data") {
        Some(Value::Object(data)) => parse_interaction(data),
        _ => Parsed::Malformed("interaction without a data object".into()),
    }
}

fn parse_interaction(data: &serde_json::Map<String, Value>) -> Parsed {
    let id = match data.get("id") {
        Some(Value::String(s)) if !s.trim().is_empty() => s.trim().to_owned(),
        Some(Value::Number(n)) => n.to_string(),
        _ => return Parsed::Malformed("interaction without an id".into()),
    };
    let Some(state) = data.get("state").and_then(Value::as_str) else {
        return Parsed::Malformed("interaction without a state".into());
    };
    if !state.eq_ignore_ascii_case("active") {
        return Parsed::Event(InteractionEvent::Ended {
            interaction_id: id,
            state: truncate(state, 40),
        });
    }
    let channels: Vec<String> = match data.get("channels") {
        Some(Value::Array(channels)) => channels.iter().filter_map(channel_transcript).collect(),
        Some(_) => return Parsed::Malformed("channels is not a list".into()),
        None => Vec::new(),
    };
    if channels.iter().all(|c| c.trim().is_empty()) {
        return Parsed::Ignored("active interaction without transcript".into());
    }
    Parsed::Event(InteractionEvent::Active(ActiveInteraction {
        interaction_id: id,
        channels,
    }))
}

fn channel_transcript(channel: &Value) -> Option<String> {
    match channel.get("transcript")? {
        Value::String(s) => Some(s.clone()),
        Value::Array(segments) => {
            let parts: Vec<&str> = segments
                .iter()
                .filter_map(|s| s.as_str().or_else(|| s.get("text").and_then(Value::as_str)))
                .collect();
            Some(parts.join(" "))
        }
        _ => None,
    }
}

fn truncate(text: &str, max_chars: usize) -> String {
    text.chars().take(max_chars).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn active(id: &str, channels: &[&str]) -> Parsed {
        Parsed::Event(InteractionEvent::Active(ActiveInteraction {
            interaction_id: id.into(),
            channels: channels.iter().map(|c| c.to_string()).collect(),
        }))
    }

    #[test]
    fn active_interaction_keeps_every_channel() {
        let frame = r#"{"type":"interaction","data":{"id":"i-1","state":"active","channels":[
            {"type":"voice","transcript":"my router"},{"type":"chat"},{"type":"chat","transcript":[{"text":"error"},"E42"]}]}}"#;
        assert_eq!(
            parse_frame(frame),
            active("i-1", &["my router", "error E42"])
        );
    }

    #[test]
    fn non_active_state_ends_the_interaction() {
        let frame = r#"{"type":"interaction","data":{"id":7,"state":"Ended"}}"#;
        let ended = InteractionEvent::Ended {
            interaction_id: "7".into(),
            state: "Ended".into(),
        };
        assert_eq!(parse_frame(frame), Parsed::Event(ended));
    }

    #[test]
    fn other_types_and_empty_transcripts_are_ignored() {
        assert!(
            matches!(parse_frame(r#"{"type":"heartbeat"}"#), Parsed::Ignored(k) if k == "type heartbeat")
        );
        assert!(matches!(parse_frame(r#"{"data":{}}"#), Parsed::Ignored(_)));
        let empty = r#"{"type":"interaction","data":{"id":"i","state":"active","channels":[{"transcript":"  "}]}}"#;
        assert!(matches!(parse_frame(empty), Parsed::Ignored(_)));
    }

    #[test]
    fn malformed_frames_are_reported_not_panicked_on() {
        for frame in [
            "{not json",
            "[1,2]",
            "",
            r#"{"type":"interaction"}"#,
            r#"{"type":"interaction","data":{"state":"active"}}"#,
            r#"{"type":"interaction","data":{"id":"x"}}"#,
            r#"{"type":"interaction","data":{"id":"x","state":"active","channels":"voice"}}"#,
        ] {
            assert!(
                matches!(parse_frame(frame), Parsed::Malformed(_)),
                "{frame}"
            );
        }
    }
}
