//! Reconnect backoff: exponential with full jitter, capped, reset after a healthy connection. Pure; the caller
//! supplies the random number generator (seeded in tests) and the time a connection stayed up.

use std::time::Duration;

use rand::Rng;

/// Exponential backoff with full jitter.
#[derive(Debug, Clone)]
pub struct Backoff {
    base: Duration,
    cap: Duration,
    healthy_after: Duration,
    attempt: u32,
}

impl Default for Backoff {
    /// 500 ms doubling up to 60 s; a connection that lived 60 s counts as healthy.
    fn default() -> Self {
        Self::new(
            Duration::from_millis(500),
            Duration::from_secs(60),
            Duration::from_secs(60),
        )
    }
}

/// `base * 2^attempt`, capped (no overflow for large attempts).
pub fn exponential_ceiling(base: Duration, cap: Duration, attempt: u32) -> Duration {
    let factor = 1u32.checked_shl(attempt.min(31)).unwrap_or(u32::MAX);
    base.checked_mul(factor).map_or(cap, |d| d.min(cap))
}

/// A uniformly random duration in `[0, ceiling]` ("full jitter").
pub fn full_jitter(ceiling: Duration, rng: &mut impl Rng) -> Duration {
    let millis = u64::try_from(ceiling.as_millis()).unwrap_or(u64::MAX);
    Duration::from_millis(rng.gen_range(0..=millis))
}

impl Backoff {
    pub fn new(base: Duration, cap: Duration, healthy_after: Duration) -> Self {
        Self {
            base,
            cap,
            healthy_after,
            attempt: 0,
        }
    }

    /// Consecutive failures so far (0 after a reset).
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// The upper bound of the next delay.
    pub fn ceiling(&self) -> Duration {
        exponential_ceiling(self.base, self.cap, self.attempt)
    }

    /// The delay before the next attempt; counts one more failure.
    pub fn next_delay(&mut self, rng: &mut impl Rng) -> Duration {
        let delay = full_jitter(self.ceiling(), rng);
        self.attempt = self.attempt.saturating_add(1);
        delay
    }

    /// Reports how long the last connection lived; a healthy one resets the backoff.
    pub fn connection_lasted(&mut self, uptime: Duration) {
        if uptime >= self.healthy_after {
            self.reset();
        }
    }

    pub fn reset(&mut self) {
        self.attempt = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    #[test]
    fn ceiling_doubles_then_caps() {
        let mut backoff = Backoff::new(
            Duration::from_millis(100),
            Duration::from_secs(1),
            Duration::from_secs(5),
        );
        let mut rng = StdRng::seed_from_u64(7);
        let mut ceilings = Vec::new();
        for _ in 0..6 {
            ceilings.push(backoff.ceiling().as_millis());
            let delay = backoff.next_delay(&mut rng);
            assert!(delay <= Duration::from_secs(1));
        }
        assert_eq!(ceilings, vec![100, 200, 400, 800, 1000, 1000]);
        assert_eq!(
            exponential_ceiling(Duration::from_secs(1), Duration::from_secs(9), 500),
            Duration::from_secs(9)
        );
    }

    #[test]
    fn jitter_spreads_over_the_whole_range() {
        let mut rng = StdRng::seed_from_u64(1);
        let delays: Vec<Duration> = (0..200)
            .map(|_| full_jitter(Duration::from_millis(1000), &mut rng))
            .collect();
        assert!(delays.iter().all(|d| *d <= Duration::from_millis(1000)));
        assert!(delays.iter().any(|d| *d < Duration::from_millis(250)));
        assert!(delays.iter().any(|d| *d > Duration::from_millis(750)));
    }

    #[test]
    fn only_a_healthy_connection_resets() {
        let mut backoff = Backoff::new(
            Duration::from_millis(100),
            Duration::from_secs(10),
            Duration::from_secs(30),
        );
        let mut rng = StdRng::seed_from_u64(3);
        backoff.next_delay(&mut rng);
        backoff.next_delay(&mut rng);
        backoff.connection_lasted(Duration::from_secs(2));
        assert_eq!(backoff.attempt(), 2);
        backoff.connection_lasted(Duration::from_secs(30));
        assert_eq!(backoff.attempt(), 0);
        assert_eq!(backoff.ceiling(), Duration::from_millis(100));
    }
}
