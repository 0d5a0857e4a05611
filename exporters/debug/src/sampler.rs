//! Log sampling as otelcol's debug exporter does it (zap's sampler): in each second, the
//! first `initial` batches are written, then every `thereafter`-th. Time is passed in.

use std::time::{Duration, Instant};

pub struct Sampler {
    initial: u64,
    thereafter: u64,
    window: Option<Instant>,
    seen: u64,
}

impl Sampler {
    pub fn new(initial: u32, thereafter: u32) -> Sampler {
        Sampler {
            initial: u64::from(initial),
            thereafter: u64::from(thereafter.max(1)),
            window: None,
            seen: 0,
        }
    }

    /// Whether the batch seen at `now` is written.
    pub fn allow(&mut self, now: Instant) -> bool {
        match self.window {
            Some(start) if now.saturating_duration_since(start) < Duration::from_secs(1) => {}
            _ => {
                self.window = Some(now);
                self.seen = 0;
            }
        }
        self.seen += 1;
        self.seen <= self.initial || (self.seen - self.initial).is_multiple_of(self.thereafter)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_n_then_every_mth_per_second() {
        let t0 = Instant::now();
        let mut s = Sampler::new(2, 3);
        let got: Vec<bool> = (0..8).map(|_| s.allow(t0)).collect();
        assert_eq!(got, [true, true, false, false, true, false, false, true]);
        // A new second starts over.
        assert!(s.allow(t0 + Duration::from_secs(1)));
        assert!(s.allow(t0 + Duration::from_secs(1)));
        assert!(!s.allow(t0 + Duration::from_secs(1)));
    }

    #[test]
    fn defaults_write_everything() {
        let t0 = Instant::now();
        let mut s = Sampler::new(2, 1);
        assert!((0..100).all(|_| s.allow(t0)));
    }
}
