//! The retry schedule of one batch, as a plain struct: the caller passes the clock and
//! the randomness in, so every interval is testable without sleeping.
//!
//! It follows otelcol's retry sender: each wait is the current interval randomized by
//! `± randomization_factor`, the interval then grows by `multiplier` up to
//! `max_interval`; a server's throttle hint wins when it is longer than the wait; and
//! the batch is given up when the next attempt would start after
//! `first attempt + max_elapsed_time`.

use std::time::{Duration, Instant};

use crate::config::RetryConfig;

#[derive(Debug, Clone)]
pub struct Backoff {
    randomization_factor: f64,
    multiplier: f64,
    max_interval: Duration,
    current: Duration,
    /// `None` when `max_elapsed_time` is 0 (retry forever).
    deadline: Option<Instant>,
}

impl Backoff {
    /// The schedule of a batch whose first attempt started at `started`.
    pub fn new(config: &RetryConfig, started: Instant) -> Backoff {
        Backoff {
            randomization_factor: config.randomization_factor,
            multiplier: config.multiplier,
            max_interval: config.max_interval,
            current: config.initial_interval,
            // An elapsed time too large for the clock means no deadline at all.
            deadline: (!config.max_elapsed_time.is_zero())
                .then(|| started.checked_add(config.max_elapsed_time))
                .flatten(),
        }
    }

    /// The wait before the next attempt, or `None` to give up. `random` is uniform in
    /// `[0, 1)`; `throttle` is the server's retry-after hint for the failed attempt.
    pub fn next_delay(
        &mut self,
        now: Instant,
        random: f64,
        throttle: Option<Duration>,
    ) -> Option<Duration> {
        let randomized = self.randomized(random);
        self.grow();
        let delay = match throttle {
            Some(hint) => randomized.max(hint),
            None => randomized,
        };
        match self.deadline {
            // A server hint can be absurdly large; past the clock's range is past any deadline.
            Some(deadline) if now.checked_add(delay).is_none_or(|at| at > deadline) => None,
            _ => Some(delay),
        }
    }

    fn randomized(&self, random: f64) -> Duration {
        let interval = self.current.as_secs_f64();
        let delta = self.randomization_factor * interval;
        let low = interval - delta;
        let high = interval + delta;
        Duration::from_secs_f64((low + random.clamp(0.0, 1.0) * (high - low)).max(0.0))
    }

    fn grow(&mut self) {
        let next = self.current.as_secs_f64() * self.multiplier;
        self.current = if next >= self.max_interval.as_secs_f64() {
            self.max_interval
        } else {
            Duration::from_secs_f64(next)
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn grows_by_multiplier_up_to_max_interval() {
        let start = Instant::now();
        let mut b = Backoff::new(&RetryConfig::default(), start);
        // random = 0.5 lands exactly on the interval.
        let waits: Vec<_> = (0..7)
            .map(|_| b.next_delay(start, 0.5, None).unwrap())
            .collect();
        assert_eq!(
            waits,
            [
                ms(5000),
                ms(7500),
                ms(11250),
                ms(16875),
                ms(25312) + Duration::from_micros(500),
                ms(30000),
                ms(30000)
            ]
        );
    }

    #[test]
    fn randomization_spans_the_factor() {
        let start = Instant::now();
        let config = RetryConfig::default();
        assert_eq!(
            Backoff::new(&config, start).next_delay(start, 0.0, None),
            Some(ms(2500))
        );
        assert_eq!(
            Backoff::new(&config, start).next_delay(start, 1.0, None),
            Some(ms(7500))
        );
        let fixed = RetryConfig {
            randomization_factor: 0.0,
            ..config
        };
        assert_eq!(
            Backoff::new(&fixed, start).next_delay(start, 0.9, None),
            Some(ms(5000))
        );
    }

    #[test]
    fn stops_when_the_next_attempt_passes_max_elapsed_time() {
        let start = Instant::now();
        let config = RetryConfig {
            randomization_factor: 0.0,
            max_elapsed_time: Duration::from_secs(20),
            ..RetryConfig::default()
        };
        let mut b = Backoff::new(&config, start);
        assert_eq!(b.next_delay(start, 0.0, None), Some(ms(5000)));
        assert_eq!(b.next_delay(start + ms(5000), 0.0, None), Some(ms(7500)));
        // 12.5s + 11.25s > 20s.
        assert_eq!(b.next_delay(start + ms(12_500), 0.0, None), None);
    }

    #[test]
    fn zero_max_elapsed_time_retries_forever() {
        let start = Instant::now();
        let config = RetryConfig {
            max_elapsed_time: Duration::ZERO,
            ..RetryConfig::default()
        };
        let mut b = Backoff::new(&config, start);
        let far = start + Duration::from_secs(1_000_000);
        assert_eq!(b.next_delay(far, 0.5, None), Some(ms(5000)));
    }

    #[test]
    fn throttle_hint_wins_when_longer() {
        let start = Instant::now();
        let mut b = Backoff::new(&RetryConfig::default(), start);
        assert_eq!(
            b.next_delay(start, 0.5, Some(Duration::from_secs(12))),
            Some(Duration::from_secs(12))
        );
        // A shorter hint does not shorten the backoff.
        assert_eq!(b.next_delay(start, 0.5, Some(ms(1))), Some(ms(7500)));
        // A hint beyond max_elapsed_time gives up.
        assert_eq!(
            b.next_delay(start, 0.5, Some(Duration::from_secs(301))),
            None
        );
        // A hint beyond the clock's range gives up too, instead of overflowing.
        assert_eq!(b.next_delay(start, 0.5, Some(Duration::MAX)), None);
    }

    #[test]
    fn an_elapsed_time_beyond_the_clock_means_no_deadline() {
        let start = Instant::now();
        let config = RetryConfig {
            max_elapsed_time: Duration::MAX,
            ..RetryConfig::default()
        };
        let mut b = Backoff::new(&config, start);
        assert_eq!(b.next_delay(start, 0.5, None), Some(Duration::from_secs(5)));
    }
}
