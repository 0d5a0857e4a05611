//! Explicit-bucket histogram counts: one counter per bucket, OTLP's
//! `(previous bound, bound]` buckets plus the one above the last bound.

#[derive(Clone, Debug, PartialEq)]
pub(super) struct ExplicitBuckets {
    /// `bounds.len() + 1` counters.
    counts: Vec<u64>,
}

impl ExplicitBuckets {
    pub(super) fn new(bounds: &[f64]) -> Self {
        Self {
            counts: vec![0; bounds.len() + 1],
        }
    }

    /// Counts `value` in its bucket. `bounds` must be the ones given to
    /// [`ExplicitBuckets::new`], sorted.
    pub(super) fn record(&mut self, bounds: &[f64], value: f64) {
        // The first bound >= value closes the value's bucket: a value equal
        // to a bound belongs to the bucket that bound ends.
        let index = bucket_index(bounds, value);
        self.counts[index] += 1;
    }

    pub(super) fn counts(&self) -> &[u64] {
        &self.counts
    }
}

/// The bucket of `value` among sorted `bounds`: `0..=bounds.len()`.
pub(super) fn bucket_index(bounds: &[f64], value: f64) -> usize {
    bounds.partition_point(|bound| *bound < value)
}
