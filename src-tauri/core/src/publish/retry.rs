//! The retry policy (pure) and [`deliver_with_retry`], which applies it to a [`CardSink`].
//!
//! Only 429, 5xx and connection errors are retried ([`PublishError::is_retryable`]); `Retry-After` (seconds or an
//! HTTP date) is honoured up to a bound, otherwise the delay is exponential with full jitter. Other 4xx are never
//! retried (the seed retried every HTTP error).

use std::time::{Duration, SystemTime};

use rand::Rng;

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
        if let PublishError::RateLimited {
            retry_after: Some(wait),
        } = error
        {
            return Some((*wait).min(self.max_retry_after));
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

/// Reported before each retry so the UI can show "retrying".
#[derive(Debug, Clone, PartialEq)]
pub struct RetryNotice {
    /// The attempt that just failed (1-based).
    pub failed_attempt: u32,
    pub delay: Duration,
    pub error: PublishError,
}

/// Delivers `card`, retrying per `policy` with the same idempotency key; `on_retry` hears about every retry.
/// Dropping the future cancels it (it only awaits the sink and timers).
pub async fn deliver_with_retry<S>(
    sink: &S,
    policy: &RetryPolicy,
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
        attempts += 1;
        let error = match sink.deliver(interaction_id, card, idempotency_key).await {
            Ok(()) => return Ok(attempts),
            Err(error) => error,
        };
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
