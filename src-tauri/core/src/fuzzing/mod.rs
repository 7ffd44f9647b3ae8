//! Invariant checks shared by the cargo-fuzz targets (`fuzz/fuzz_targets/`) and the regression test
//! (`tests/fuzz_regressions.rs`), so a crash input found by the fuzzer is replayed through exactly the same check.
//!
//! Each check takes arbitrary bytes, runs one parser of untrusted input and returns a [`Violation`] when an
//! invariant fails; a panic inside the parser is a failure too (the fuzzer and the test both see it).
//! Not part of the app's API: hidden from the docs.

mod html_checks;
mod pii_checks;

use std::fmt;

use serde_json::json;
use url::Url;

pub use html_checks::check_html_to_text;
pub use pii_checks::check_redact;

use crate::domain::InteractionEvent;
use crate::events::{parse_frame, Parsed};
use crate::kb::client::{next_page_url, parse_page, KbClientError};

/// An invariant that did not hold, with what was seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation(pub String);

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Violation {}

/// The outcome of one check.
pub type CheckResult = Result<(), Violation>;

/// A check run on one input.
pub type Check = fn(&[u8]) -> CheckResult;

/// Every fuzz target by its name (the folder names under `fuzz/corpus/` and `fuzz/regressions/`).
pub const TARGETS: [(&str, Check); 4] = [
    ("event_frame", check_event_frame),
    ("html_to_text", check_html_to_text),
    ("kb_page", check_kb_page),
    ("redact", check_redact),
];

/// The check of the fuzz target `name`.
pub fn check_for(name: &str) -> Option<Check> {
    TARGETS.iter().find(|(n, _)| *n == name).map(|(_, c)| *c)
}

pub(crate) fn ensure(condition: bool, what: impl FnOnce() -> String) -> CheckResult {
    if condition {
        Ok(())
    } else {
        Err(Violation(what()))
    }
}

/// The longest reason a rejected frame may carry (reasons go to logs; the frame itself must not).
const MAX_REASON_CHARS: usize = 200;

/// WebSocket frame parser: a typed rejection with a short reason, or a well-formed event that survives a round trip.
pub fn check_event_frame(data: &[u8]) -> CheckResult {
    let text = String::from_utf8_lossy(data);
    match parse_frame(&text) {
        Parsed::Malformed(reason) | Parsed::Ignored(reason) => {
            ensure(reason.chars().count() <= MAX_REASON_CHARS, || {
                format!("rejection reason of {} chars", reason.chars().count())
            })
        }
        Parsed::Event(event) => {
            check_event_shape(&event)?;
            let again = parse_frame(&render_event(&event).to_string());
            ensure(again == Parsed::Event(event.clone()), || {
                format!("round trip changed {event:?} into {again:?}")
            })
        }
    }
}

fn check_event_shape(event: &InteractionEvent) -> CheckResult {
    let id = match event {
        InteractionEvent::Active(active) => {
            ensure(active.channels.iter().any(|c| !c.trim().is_empty()), || {
                "active event without a transcript".into()
            })?;
            &active.interaction_id
        }
        InteractionEvent::Ended {
            interaction_id,
            state,
        } => {
            ensure(
                state.chars().count() <= 40 && !state.eq_ignore_ascii_case("active"),
                || format!("ended with state {state:?}"),
            )?;
            interaction_id
        }
    };
    ensure(!id.is_empty() && id.trim() == id, || {
        format!("interaction id {id:?}")
    })
}

fn render_event(event: &InteractionEvent) -> serde_json::Value {
    let data = match event {
        InteractionEvent::Active(active) => json!({
            "id": active.interaction_id,
            "state": "active",
            "channels": active.channels.iter().map(|c| json!({"transcript": c})).collect::<Vec<_>>(),
        }),
        InteractionEvent::Ended {
            interaction_id,
            state,
        } => json!({"id": interaction_id, "state": state}),
    };
    json!({"type": "interaction", "data": data})
}

/// Where the listing under test lives (any https origin works: `next_page` is resolved against it).
const LISTING_URL: &str = "https://tenant.example/api/v2/knowledge/articles";

/// Knowledge listing page: a `Protocol` error or articles with ids and without markup, and a `next_page` link that
/// stays on the listing's origin.
pub fn check_kb_page(data: &[u8]) -> CheckResult {
    let page = match parse_page(data, 1) {
        Ok(page) => page,
        Err(KbClientError::Protocol(_)) => return Ok(()),
        Err(other) => return Err(Violation(format!("unexpected error kind {other:?}"))),
    };
    let body = String::from_utf8_lossy(data);
    let has_entities = body.contains('&') || body.contains("\\u0026");
    for article in &page.articles {
        ensure(!article.id.trim().is_empty(), || {
            "article without id".into()
        })?;
        if !has_entities {
            for text in [&article.title, &article.content] {
                html_checks::ensure_no_markup(text)?;
            }
        }
    }
    let base = Url::parse(LISTING_URL).map_err(|e| Violation(format!("listing URL: {e}")))?;
    if let Ok(url) = next_page_url(&base, page.next_page.as_ref()) {
        ensure(url.origin() == base.origin(), || {
            format!("next_page {:?} leads to {url}", page.next_page)
        })?;
    }
    Ok(())
}
