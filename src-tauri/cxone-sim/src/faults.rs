//! Fault switches, settable at run time from Rust ([`Faults`]) or over HTTP
//! (`POST /_sim/faults` with a [`FaultPatch`]).
//!
//! Counters ("next N requests") are consumed by the handlers; actions ("drop now",
//! "expire now") take effect immediately on every open WebSocket.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::state::{Hub, Outbound};
use crate::token::TokenStore;

/// Malformed frames cycled through by the garbage injector (none is valid JSON).
const MALFORMED_FRAMES: [&str; 3] = [
    "{\"type\":\"interaction\",\"data\":{\"id\":",
    "this is not json",
    "{\"type\":\"interaction\",,}",
];

/// Current switch positions, as returned by `GET /_sim/faults`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct FaultSettings {
    /// Close each WebSocket after it has been sent this many frames (0 = never).
    pub drop_after_events: u64,
    /// Lifetime of newly issued tokens in ms (0 = use `SimConfig::token_ttl_secs`).
    pub token_ttl_ms: u64,
    /// Stop reading sockets, so pings go unanswered.
    pub ignore_pings: bool,
    /// Remaining assist POSTs answered with 429.
    pub assist_429_remaining: u32,
    /// `Retry-After` seconds sent with those 429s.
    pub retry_after_secs: u64,
    /// Remaining assist POSTs answered with 503.
    pub assist_503_remaining: u32,
    /// `Retry-After` seconds sent with those 503s (0 = no header, as many servers do).
    pub unavailable_retry_after_secs: u64,
    /// Every assist POST answered with 503 until cleared.
    pub assist_always_503: bool,
    /// Delay before answering any CXone HTTP endpoint, in ms.
    pub http_delay_ms: u64,
    /// Garbage frames still queued to be interleaved with real events.
    pub pending_garbage_frames: usize,
    /// Remaining knowledge requests answered with 500.
    pub kb_500_remaining: u32,
    /// Remaining knowledge requests answered with 200 and `{}` (no `items`, as a gateway's error page might).
    pub kb_200_without_items_remaining: u32,
    /// Token endpoints answer `invalid_client` whatever the credentials.
    pub reject_client: bool,
}

impl Default for FaultSettings {
    fn default() -> Self {
        Self {
            drop_after_events: 0,
            token_ttl_ms: 0,
            ignore_pings: false,
            assist_429_remaining: 0,
            retry_after_secs: 1,
            assist_503_remaining: 0,
            unavailable_retry_after_secs: 0,
            assist_always_503: false,
            http_delay_ms: 0,
            pending_garbage_frames: 0,
            kb_500_remaining: 0,
            kb_200_without_items_remaining: 0,
            reject_client: false,
        }
    }
}

/// A partial update of the switches; absent fields stay as they are.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FaultPatch {
    /// Reset every switch to its default before applying the rest.
    pub reset: bool,
    /// Drop every open WebSocket now (no close frame).
    pub drop_connections_now: bool,
    /// Expire every issued token now; their sockets close with 4001.
    pub expire_tokens_now: bool,
    /// See [`FaultSettings::drop_after_events`].
    pub drop_after_events: Option<u64>,
    /// See [`FaultSettings::token_ttl_ms`].
    pub token_ttl_ms: Option<u64>,
    /// See [`FaultSettings::ignore_pings`].
    pub ignore_pings: Option<bool>,
    /// Answer the next N assist POSTs with 429.
    pub assist_429_next: Option<u32>,
    /// See [`FaultSettings::retry_after_secs`].
    pub retry_after_secs: Option<u64>,
    /// Answer the next N assist POSTs with 503.
    pub assist_503_next: Option<u32>,
    /// See [`FaultSettings::unavailable_retry_after_secs`].
    pub unavailable_retry_after_secs: Option<u64>,
    /// See [`FaultSettings::assist_always_503`].
    pub assist_always_503: Option<bool>,
    /// See [`FaultSettings::http_delay_ms`].
    pub http_delay_ms: Option<u64>,
    /// Queue N malformed frames, one before each of the next real events.
    pub malformed_frames: Option<usize>,
    /// Queue one oversized (valid JSON) frame of about this many bytes, interleaved with the malformed ones.
    pub oversized_frame_bytes: Option<usize>,
    /// Answer the next N knowledge requests with 500.
    pub kb_500_next: Option<u32>,
    /// Answer the next N knowledge requests with 200 and `{}`.
    pub kb_200_without_items_next: Option<u32>,
    /// See [`FaultSettings::reject_client`].
    pub reject_client: Option<bool>,
}

/// What an assist POST should fail with, if anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssistFailure {
    /// 429 with this `Retry-After` in seconds.
    RateLimited {
        /// Seconds to put in `Retry-After`.
        retry_after_secs: u64,
    },
    /// 503 Service Unavailable, with `Retry-After` in seconds when set.
    Unavailable {
        /// Seconds to put in `Retry-After` (`None` = no header).
        retry_after_secs: Option<u64>,
    },
}

#[derive(Default)]
struct Switches {
    settings: FaultSettings,
    garbage: VecDeque<String>,
}

/// Interior-mutable fault switches of one simulator.
pub struct Faults {
    switches: Mutex<Switches>,
    hub: Hub,
    tokens: Arc<TokenStore>,
}

impl Faults {
    pub(crate) fn new(hub: Hub, tokens: Arc<TokenStore>) -> Self {
        Self {
            switches: Mutex::new(Switches::default()),
            hub,
            tokens,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Switches> {
        self.switches
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The current switch positions.
    pub fn snapshot(&self) -> FaultSettings {
        let switches = self.lock();
        FaultSettings {
            pending_garbage_frames: switches.garbage.len(),
            ..switches.settings.clone()
        }
    }

    /// Applies a partial update, then runs the requested actions.
    pub fn apply(&self, patch: FaultPatch) {
        {
            let mut switches = self.lock();
            if patch.reset {
                *switches = Switches::default();
            }
            let s = &mut switches.settings;
            set(&mut s.drop_after_events, patch.drop_after_events);
            set(&mut s.token_ttl_ms, patch.token_ttl_ms);
            set(&mut s.ignore_pings, patch.ignore_pings);
            set(&mut s.assist_429_remaining, patch.assist_429_next);
            set(&mut s.retry_after_secs, patch.retry_after_secs);
            set(&mut s.assist_503_remaining, patch.assist_503_next);
            set(
                &mut s.unavailable_retry_after_secs,
                patch.unavailable_retry_after_secs,
            );
            set(&mut s.assist_always_503, patch.assist_always_503);
            set(&mut s.http_delay_ms, patch.http_delay_ms);
            set(&mut s.kb_500_remaining, patch.kb_500_next);
            set(
                &mut s.kb_200_without_items_remaining,
                patch.kb_200_without_items_next,
            );
            set(&mut s.reject_client, patch.reject_client);
            let malformed = patch.malformed_frames.unwrap_or(0);
            queue_garbage(
                &mut switches.garbage,
                malformed,
                patch.oversized_frame_bytes,
            );
        }
        // Sockets re-read the switches (e.g. ignore_pings) on every wake-up.
        self.hub.send(Outbound::Recheck);
        if patch.expire_tokens_now {
            self.expire_tokens_now();
        }
        if patch.drop_connections_now {
            self.drop_connections_now();
        }
    }

    /// Resets every switch and drops queued garbage frames.
    pub fn clear(&self) {
        self.apply(FaultPatch {
            reset: true,
            ..FaultPatch::default()
        });
    }

    /// Drops every open WebSocket now, without a close frame.
    pub fn drop_connections_now(&self) {
        self.hub.send(Outbound::DropAll);
    }

    /// Expires every issued token; sockets opened with them close with 4001 "token expired".
    pub fn expire_tokens_now(&self) {
        self.tokens.expire_all();
        self.hub.send(Outbound::Recheck);
    }

    /// Closes each WebSocket after `n` frames (`None` = never).
    pub fn set_drop_after_events(&self, n: Option<u64>) {
        self.patch(|p| p.drop_after_events = Some(n.unwrap_or(0)));
    }

    /// Lifetime of newly issued tokens (`None` = the configured `token_ttl_secs`).
    pub fn set_token_ttl(&self, ttl: Option<Duration>) {
        let ms = ttl.map_or(0, |d| {
            u64::try_from(d.as_millis()).unwrap_or(u64::MAX).max(1)
        });
        self.patch(|p| p.token_ttl_ms = Some(ms));
    }

    /// Stops (or resumes) reading sockets, so pings go unanswered.
    pub fn set_ignore_pings(&self, on: bool) {
        self.patch(|p| p.ignore_pings = Some(on));
    }

    /// Answers the next `n` assist POSTs with 429 and `Retry-After: retry_after_secs`.
    pub fn assist_429_next(&self, n: u32, retry_after_secs: u64) {
        self.patch(|p| {
            p.assist_429_next = Some(n);
            p.retry_after_secs = Some(retry_after_secs);
        });
    }

    /// Answers the next `n` assist POSTs with 503.
    pub fn assist_503_next(&self, n: u32) {
        self.patch(|p| p.assist_503_next = Some(n));
    }

    /// Answers the next `n` assist POSTs with 503 and `Retry-After: retry_after_secs`.
    pub fn assist_503_next_with_retry_after(&self, n: u32, retry_after_secs: u64) {
        self.patch(|p| {
            p.assist_503_next = Some(n);
            p.unavailable_retry_after_secs = Some(retry_after_secs);
        });
    }

    /// Answers every assist POST with 503 while `on`.
    pub fn set_assist_always_503(&self, on: bool) {
        self.patch(|p| p.assist_always_503 = Some(on));
    }

    /// Delays every CXone HTTP answer (not the control API).
    pub fn set_http_delay(&self, delay: Duration) {
        let ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX);
        self.patch(|p| p.http_delay_ms = Some(ms));
    }

    /// Queues `malformed` invalid-JSON frames and optionally one oversized frame; one
    /// queued frame is sent just before each following real event.
    pub fn inject_garbage(&self, malformed: usize, oversized_bytes: Option<usize>) {
        self.patch(|p| {
            p.malformed_frames = Some(malformed);
            p.oversized_frame_bytes = oversized_bytes;
        });
    }

    /// Answers the next `n` knowledge requests with 500.
    pub fn kb_500_next(&self, n: u32) {
        self.patch(|p| p.kb_500_next = Some(n));
    }

    /// Answers the next `n` knowledge requests with 200 and `{}` (no `items` array).
    pub fn kb_200_without_items_next(&self, n: u32) {
        self.patch(|p| p.kb_200_without_items_next = Some(n));
    }

    /// Makes the token endpoints answer `invalid_client` while `on`.
    pub fn set_reject_client(&self, on: bool) {
        self.patch(|p| p.reject_client = Some(on));
    }

    fn patch(&self, edit: impl FnOnce(&mut FaultPatch)) {
        let mut patch = FaultPatch::default();
        edit(&mut patch);
        self.apply(patch);
    }

    /// Consumes one assist failure, if any is due.
    pub(crate) fn take_assist_failure(&self) -> Option<AssistFailure> {
        let mut switches = self.lock();
        let s = &mut switches.settings;
        let unavailable = AssistFailure::Unavailable {
            retry_after_secs: Some(s.unavailable_retry_after_secs).filter(|&secs| secs > 0),
        };
        if s.assist_always_503 {
            return Some(unavailable);
        }
        if take_one(&mut s.assist_429_remaining) {
            return Some(AssistFailure::RateLimited {
                retry_after_secs: s.retry_after_secs,
            });
        }
        take_one(&mut s.assist_503_remaining).then_some(unavailable)
    }

    /// Consumes one knowledge failure, if any is due.
    pub(crate) fn take_kb_failure(&self) -> bool {
        take_one(&mut self.lock().settings.kb_500_remaining)
    }

    /// Consumes one "200 with `{}`" knowledge answer, if any is due.
    pub(crate) fn take_kb_without_items(&self) -> bool {
        take_one(&mut self.lock().settings.kb_200_without_items_remaining)
    }

    /// Pops the next queued garbage frame.
    pub(crate) fn next_garbage(&self) -> Option<String> {
        self.lock().garbage.pop_front()
    }
}

fn set<T>(slot: &mut T, value: Option<T>) {
    if let Some(value) = value {
        *slot = value;
    }
}

fn take_one(counter: &mut u32) -> bool {
    if *counter == 0 {
        return false;
    }
    *counter -= 1;
    true
}

/// Queues `malformed` bad frames with the oversized one (if any) second in line.
fn queue_garbage(queue: &mut VecDeque<String>, malformed: usize, oversized: Option<usize>) {
    let mut frames: Vec<String> = (0..malformed)
        .map(|i| MALFORMED_FRAMES[i % MALFORMED_FRAMES.len()].to_owned())
        .collect();
    if let Some(bytes) = oversized {
        frames.insert(frames.len().min(1), oversized_frame(bytes));
    }
    queue.extend(frames);
}

/// A valid interaction event whose transcript pads it to about `bytes` bytes.
pub(crate) fn oversized_frame(bytes: usize) -> String {
    let padding = "x".repeat(bytes);
    serde_json::json!({
        "type": "interaction",
        "data": {"id": "oversized", "state": "active",
                 "channels": [{"type": "voice", "transcript": format!("Customer: {padding}")}]}
    })
    .to_string()
}
