//! Base-2 exponential histogram buckets, as OTLP's `ExponentialHistogram`
//! defines them: at scale `s` the base is `2^(2^-s)` and bucket `i` holds
//! `(base^i, base^(i+1)]`. The scale starts at [`MAX_SCALE`] (the finest) and
//! drops by as much as it takes for the populated range of buckets to fit in
//! `max_size`; dropping the scale by one merges buckets pairwise (`i >> 1`),
//! so no count is lost. Zero goes to a separate zero count (the threshold is 0).

/// The finest scale OTLP defines, where the SDKs start.
pub const MAX_SCALE: i32 = 20;

const MANTISSA_BITS: u32 = 52;
const MANTISSA_MASK: u64 = (1 << MANTISSA_BITS) - 1;
const EXPONENT_BIAS: i64 = 1023;

#[derive(Clone, Debug, PartialEq)]
pub(super) struct ExponentialBuckets {
    scale: i32,
    zero_count: u64,
    /// The bucket index of `counts[0]`.
    offset: i32,
    /// The populated range: empty, or with non-zero counts at both ends.
    counts: Vec<u64>,
}

impl ExponentialBuckets {
    pub(super) fn new() -> Self {
        Self {
            scale: MAX_SCALE,
            zero_count: 0,
            offset: 0,
            counts: Vec::new(),
        }
    }

    /// Counts `value`, which must be finite and >= 0. `max_size` must be at
    /// least 2 (below that the scale could never drop far enough).
    pub(super) fn record(&mut self, value: f64, max_size: usize) {
        if value == 0.0 {
            self.zero_count += 1;
            return;
        }
        let mut index = map_to_index(value, self.scale);
        if self.counts.is_empty() {
            self.offset = index;
            self.counts.push(1);
            return;
        }
        let low = i64::from(self.offset.min(index));
        let high = self.high().max(i64::from(index));
        let change = scale_change(low, high, max_size);
        if change > 0 {
            self.downscale(change);
            index >>= change;
        }
        self.increment(index);
    }

    pub(super) fn scale(&self) -> i32 {
        self.scale
    }

    pub(super) fn zero_count(&self) -> u64 {
        self.zero_count
    }

    pub(super) fn offset(&self) -> i32 {
        self.offset
    }

    pub(super) fn counts(&self) -> &[u64] {
        &self.counts
    }

    /// The index of the last populated bucket (meaningful when non-empty).
    fn high(&self) -> i64 {
        i64::from(self.offset) + self.counts.len() as i64 - 1
    }

    /// Lowers the scale by `change`, merging every `2^change` neighbours.
    fn downscale(&mut self, change: u32) {
        self.scale -= change as i32;
        if self.counts.is_empty() {
            return;
        }
        let new_offset = self.offset >> change;
        // Bucket i moves to (i >> change) - new_offset, which is never after
        // i: merging in place from the front reads every count before it is
        // overwritten.
        for i in 0..self.counts.len() {
            let count = std::mem::take(&mut self.counts[i]);
            let target = ((self.offset + i as i32) >> change) - new_offset;
            self.counts[target as usize] += count;
        }
        let new_len = ((self.high() >> change) - i64::from(new_offset) + 1) as usize;
        self.counts.truncate(new_len);
        self.offset = new_offset;
    }

    /// Adds one to bucket `index`, widening the populated range if needed
    /// (the caller has made sure it then fits in `max_size`).
    fn increment(&mut self, index: i32) {
        if index < self.offset {
            let grow = (self.offset - index) as usize;
            self.counts.splice(0..0, std::iter::repeat_n(0, grow));
            self.offset = index;
        }
        let position = (index - self.offset) as usize;
        if position >= self.counts.len() {
            self.counts.resize(position + 1, 0);
        }
        self.counts[position] += 1;
    }
}

/// How far the scale must drop for buckets `low..=high` to fit in `max_size`.
fn scale_change(mut low: i64, mut high: i64, max_size: usize) -> u32 {
    let max_size = max_size.max(2) as i64;
    let mut change = 0;
    // Arithmetic shifts floor, as bucket merging does; with max_size >= 2 the
    // range shrinks to at most two buckets ([-1, 0]) and the loop ends.
    while high - low >= max_size {
        low >>= 1;
        high >>= 1;
        change += 1;
    }
    change
}

/// The bucket index of a finite `value > 0` at `scale` (-10..=20).
///
/// Exact for every power of two (they close a bucket at every scale) and at
/// scales <= 0; above 0 the fraction of an octave comes from `log2` of the
/// significand, which can be off by one only within about 1e-10 (relative)
/// of a bucket boundary, as the OTLP spec allows.
pub(super) fn map_to_index(value: f64, scale: i32) -> i32 {
    let (exponent, mantissa) = decompose(value);
    if scale <= 0 {
        // Power of two 2^e closes bucket e - 1 at scale 0.
        let exponent = if mantissa == 0 {
            exponent - 1
        } else {
            exponent
        };
        return (exponent >> -scale) as i32;
    }
    if mantissa == 0 {
        return ((exponent << scale) - 1) as i32;
    }
    let significand = f64::from_bits(mantissa | ((EXPONENT_BIAS as u64) << MANTISSA_BITS));
    let per_octave = 1i64 << scale;
    // log2 of a significand in (1, 2) is in (0, 1), never an integer, so the
    // bucket is the floor; clamped so rounding cannot leave the octave.
    let within = ((significand.log2() * per_octave as f64).floor() as i64).clamp(0, per_octave - 1);
    ((exponent << scale) + within) as i32
}

/// `value = 1.mantissa * 2^exponent`, subnormals normalized.
fn decompose(value: f64) -> (i64, u64) {
    let bits = value.to_bits();
    let biased = ((bits >> MANTISSA_BITS) & 0x7ff) as i64;
    let mantissa = bits & MANTISSA_MASK;
    if biased != 0 {
        return (biased - EXPONENT_BIAS, mantissa);
    }
    // Subnormal: value = mantissa * 2^-1074; shift its leading one up to bit 52.
    let shift = mantissa.leading_zeros() - (63 - MANTISSA_BITS);
    (
        1 - EXPONENT_BIAS - i64::from(shift),
        (mantissa << shift) & MANTISSA_MASK,
    )
}

#[cfg(test)]
#[path = "exponential_tests.rs"]
mod tests;
