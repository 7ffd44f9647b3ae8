//! The retry policy (pure) and [`deliver_with_retry`], which applies it to a [`CardSink`].
//!
//! Only 429, 408, 5xx and connection errors are retried ([`PublishError::is_retryable`]); other 4xx are never
//! retried (the seed retried every HTTP error). A `Retry-After` (seconds or an HTTP date, on a 429 or a 503) is
//! honoured up to a bound and pauses the whole endpoint ([`EndpointPause`]): RFC 9110 §10.2.3 addresses it to the
//! client, so no other card is sent inside the window either. Without the header the delay is exponential with full
//! jitter, for that card only.

use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use rand::Rng;
use tokio::time::Instant;

use super::{CardSink, PublishError};
use crate::domain::CardContent;
use crate::events::backoff::{exponential_ceiling, full_jitter};

/// Bounded retries with exponential backoff.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// Total attempts including the first.
    pub max_attempts: u32,
    pub base_delay: Duration,
    pub max_delay: Duration,
    /// A longer `Retry-After` is clamped to this.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 5,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(300),
        }
    }
}

impl RetryPolicy {
    /// The wait before attempt `attempts_made + 1`, or `None` to give up.
    pub fn delay_before_retry(
        &self,
        error: &PublishError,
        attempts_made: u32,
        rng: &mut impl Rng,
    ) -> Option<Duration> {
        if !error.is_retryable() || attempts_made >= self.max_attempts {
            return None;
        }
        if let Some(wait) = error.retry_after() {
            return Some(wait.min(self.max_retry_after));
        }
        let ceiling = exponential_ceiling(
            self.base_delay,
            self.max_delay,
            attempts_made.saturating_sub(1),
        );
        Some(full_jitter(ceiling, rng))
    }
}

/// Parses a `Retry-After` value: delta-seconds or an HTTP date (a past date means "now").
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

/// The instant before which nothing may be sent to the endpoint, opened by a server's `Retry-After`.
/// Shared by every card going to that endpoint; only ever extended, never shortened.
#[derive(Debug, Default)]
pub struct EndpointPause {
    until: Mutex<Option<Instant>>,
}

impl EndpointPause {
    fn lock(&self) -> MutexGuard<'_, Option<Instant>> {
        self.until
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Keeps the endpoint closed for at least `wait` from now.
    pub fn pause_for(&self, wait: Duration) {
        let until = Instant::now() + wait;
        let mut current = self.lock();
        *current = Some(current.map_or(until, |c| c.max(until)));
    }

    /// How long the endpoint stays closed (`None` when it is open).
    pub fn remaining(&self) -> Option<Duration> {
        let until = (*self.lock())?;
        let left = until.saturating_duration_since(Instant::now());
        (!left.is_zero()).then_some(left)
    }

    /// Returns once the endpoint is open (at once when no window is open).
    pub async fn wait(&self) {
        loop {
            let until = *self.lock();
            match until {
                Some(until) if until > Instant::now() => tokio::time::sleep_until(until).await,
                _ => return,
            }
        }
    }
}

/// Reported before each retry so the UI can show "retrying".
#[derive(Debug, Clone, PartialEq)]
pub struct RetryNotice {
    /// The attempt that just failed (1-based).
    pub failed_attempt: u32,
    pub delay: Duration,
    pub error: PublishError,
}

/// Delivers `card`, retrying per `policy` with the same idempotency key; `on_retry` hears about every retry.
/// Every attempt waits for `pause` to be open, and a `Retry-After` answer extends it (also when this card gives up:
/// the next card waits for the window too). Dropping the future cancels it (it only awaits the sink and timers).
pub async fn deliver_with_retry<S>(
    sink: &S,
    policy: &RetryPolicy,
    pause: &EndpointPause,
    interaction_id: &str,
    card: &CardContent,
    idempotency_key: &str,
    mut on_retry: impl FnMut(&RetryNotice) + Send,
) -> Result<u32, PublishError>
where
    S: CardSink + ?Sized,
{
    let mut attempts = 0u32;
    loop {
        pause.wait().await;
        attempts += 1;
        let error = match sink.deliver(interaction_id, card, idempotency_key).await {
            Ok(()) => return Ok(attempts),
            Err(error) => error,
        };
        if let Some(wait) = error.retry_after() {
            pause.pause_for(wait.min(policy.max_retry_after));
        }
        let delay = policy.delay_before_retry(&error, attempts, &mut rand::thread_rng());
        let Some(delay) = delay else {
            tracing::warn!(interaction_id, attempts, %error, "card delivery failed");
            return Err(error);
        };
        tracing::info!(interaction_id, attempts, ?delay, %error, "card delivery will be retried");
        on_retry(&RetryNotice {
            failed_attempt: attempts,
            delay,
            error,
        });
        tokio::time::sleep(delay).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::AuthError;
    use crate::domain::CardContent;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    fn rng() -> StdRng {
        StdRng::seed_from_u64(9)
    }

    #[test]
    fn only_rate_limits_and_transient_errors_are_retried() {
        let policy = RetryPolicy::default();
        let rejected = PublishError::Rejected {
            status: 400,
            body: String::new(),
        };
        assert_eq!(policy.delay_before_retry(&rejected, 1, &mut rng()), None);
        assert_eq!(
            policy.delay_before_retry(&PublishError::Auth(AuthError::InvalidClient), 1, &mut rng()),
            None
        );
        assert!(policy
            .delay_before_retry(&PublishError::Transient("503".into()), 1, &mut rng())
            .is_some());
        assert!(policy
            .delay_before_retry(
                &PublishError::RateLimited { retry_after: None },
                1,
                &mut rng()
            )
            .is_some());
    }

    #[test]
    fn retry_after_is_honoured_and_clamped() {
        let policy = RetryPolicy::default();
        let limited = |s| PublishError::RateLimited {
            retry_after: Some(Duration::from_secs(s)),
        };
        assert_eq!(
            policy.delay_before_retry(&limited(7), 1, &mut rng()),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            policy.delay_before_retry(&limited(86_400), 1, &mut rng()),
            Some(policy.max_retry_after)
        );
    }

    #[test]
    fn retry_after_on_503_is_honoured_like_on_429() {
        let policy = RetryPolicy::default();
        let unavailable = |retry_after| PublishError::Unavailable {
            status: 503,
            retry_after,
        };
        assert_eq!(
            policy.delay_before_retry(&unavailable(Some(Duration::from_secs(3))), 1, &mut rng()),
            Some(Duration::from_secs(3))
        );
        let jittered = policy
            .delay_before_retry(&unavailable(None), 1, &mut rng())
            .expect("retried");
        assert!(jittered <= policy.base_delay, "{jittered:?}");
    }

    /// Answers from a script, recording when each attempt was made (tokio's paused clock).
    struct ScriptedSink {
        answers: Mutex<Vec<Result<(), PublishError>>>,
        attempts: Mutex<Vec<(String, Instant)>>,
    }

    #[async_trait::async_trait]
    impl CardSink for ScriptedSink {
        async fn deliver(&self, _: &str, _: &CardContent, key: &str) -> Result<(), PublishError> {
            self.attempts
                .lock()
                .unwrap()
                .push((key.to_owned(), Instant::now()));
            let mut answers = self.answers.lock().unwrap();
            if answers.is_empty() {
                Ok(())
            } else {
                answers.remove(0)
            }
        }
    }

    /// The defect seen against an independent simulator: after a 503 with `Retry-After: 1` the same card was retried
    /// ~165 ms later, and other cards were sent inside the window.
    #[tokio::test(start_paused = true)]
    async fn retry_after_on_503_pauses_the_whole_endpoint() {
        let unavailable = || PublishError::Unavailable {
            status: 503,
            retry_after: Some(Duration::from_secs(1)),
        };
        let sink = ScriptedSink {
            answers: Mutex::new(vec![Err(unavailable()), Err(unavailable())]),
            attempts: Mutex::new(Vec::new()),
        };
        let policy = RetryPolicy {
            max_attempts: 2,
            ..RetryPolicy::default()
        };
        let pause = EndpointPause::default();
        let card = CardContent {
            title: "t".into(),
            body: "b".into(),
            score: 0.5,
        };
        let start = Instant::now();
        let first = deliver_with_retry(&sink, &policy, &pause, "i", &card, "a", |_| {}).await;
        assert!(
            matches!(first, Err(PublishError::Unavailable { .. })),
            "gave up after 2 attempts"
        );
        assert!(
            pause.remaining().is_some(),
            "the window outlives the card that got it"
        );
        let second = deliver_with_retry(&sink, &policy, &pause, "i", &card, "b", |_| {}).await;
        assert_eq!(second, Ok(1));
        let attempts = sink.attempts.lock().unwrap().clone();
        let offsets: Vec<(&str, Duration)> = attempts
            .iter()
            .map(|(key, at)| (key.as_str(), *at - start))
            .collect();
        assert_eq!(
            offsets,
            [
                ("a", Duration::ZERO),
                ("a", Duration::from_secs(1)),
                ("b", Duration::from_secs(2))
            ],
            "each attempt, of either card, waited for the window the last answer opened"
        );
        assert_eq!(pause.remaining(), None);
    }

    #[test]
    fn attempts_are_bounded_and_backoff_is_capped() {
        let policy = RetryPolicy {
            max_attempts: 4,
            ..RetryPolicy::default()
        };
        let transient = PublishError::Transient("reset".into());
        for attempt in 1..4 {
            let delay = policy
                .delay_before_retry(&transient, attempt, &mut rng())
                .unwrap();
            assert!(delay <= policy.base_delay * 2u32.pow(attempt - 1));
        }
        assert_eq!(policy.delay_before_retry(&transient, 4, &mut rng()), None);
        let delay = RetryPolicy {
            max_attempts: 99,
            ..policy
        }
        .delay_before_retry(&transient, 40, &mut rng());
        assert!(delay.unwrap() <= Duration::from_secs(30));
    }

    #[test]
    fn retry_after_parses_seconds_and_http_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(
            parse_retry_after(" 12 ", now),
            Some(Duration::from_secs(12))
        );
        let later = httpdate::fmt_http_date(now + Duration::from_secs(90));
        assert_eq!(
            parse_retry_after(&later, now),
            Some(Duration::from_secs(90))
        );
        let earlier = httpdate::fmt_http_date(now - Duration::from_secs(90));
        assert_eq!(parse_retry_after(&earlier, now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-3", now), None);
    }
}
