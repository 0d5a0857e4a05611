//! Index mapping against hand-computed buckets (each index i checked as
//! base^i < v <= base^(i+1), computed with 60-digit decimals), and
//! downscaling against histograms built directly at the final scale.

use super::*;

#[test]
fn scale_zero_buckets_are_octaves_closed_above() {
    // Bucket i is (2^i, 2^(i+1)]: a power of two closes the bucket below it.
    let cases = [
        (0.5, -2),
        (0.75, -1),
        (1.0, -1),
        (1.5, 0),
        (2.0, 0),
        (3.0, 1),
        (4.0, 1),
        (4.5, 2),
    ];
    for (value, index) in cases {
        assert_eq!(map_to_index(value, 0), index, "{value} at scale 0");
    }
}

#[test]
fn negative_scales_merge_octaves() {
    // Scale -1: base 4, bucket i is (4^i, 4^(i+1)].
    let cases = [
        (1.0, -1),
        (3.0, 0),
        (4.0, 0),
        (5.0, 1),
        (16.0, 1),
        (17.0, 2),
        (0.25, -2),
        (0.3, -1),
    ];
    for (value, index) in cases {
        assert_eq!(map_to_index(value, -1), index, "{value} at scale -1");
    }
    // Scale -10: base 2^1024, bucket 0 is (1, 2^1024].
    assert_eq!(map_to_index(1.0, -10), -1);
    assert_eq!(map_to_index(1025.0, -10), 0);
    assert_eq!(map_to_index(f64::MAX, -10), 0);
    assert_eq!(map_to_index(1e-300, -10), -1);
}

#[test]
fn positive_scales_split_octaves() {
    // Scale 1: base sqrt(2); (1, 1.414] is 0, (1.414, 2] is 1, (2, 2.83] is 2, (2.83, 4] is 3.
    let cases = [(1.0, -1), (1.2, 0), (1.5, 1), (2.0, 1), (2.5, 2), (3.0, 3)];
    for (value, index) in cases {
        assert_eq!(map_to_index(value, 1), index, "{value} at scale 1");
    }
    let scale3 = [
        (1.5, 4),
        (0.75, -4),
        (0.1, -27),
        (0.3, -14),
        (0.005, -62),
        (0.001, -80),
        (10.0, 26),
        (3.0, 12),
        (0.25, -17),
        (1e-9, -240),
    ];
    for (value, index) in scale3 {
        assert_eq!(map_to_index(value, 3), index, "{value} at scale 3");
    }
    let scale20 = [
        (1.0, -1),
        (2.0, 1_048_575),
        (0.25, -2_097_153),
        (1.5, 613_377),
        (1.4999, 613_276),
        (3.0, 1_661_953),
        (0.1, -3_483_295),
        (0.3, -1_821_341),
        (0.001, -10_449_883),
        (10.0, 3_483_294),
        (1e-9, -31_349_647),
    ];
    for (value, index) in scale20 {
        assert_eq!(map_to_index(value, 20), index, "{value} at scale 20");
    }
}

#[test]
fn powers_of_two_close_a_bucket_at_every_scale() {
    for exponent in [-1074i32, -1022, -30, -1, 0, 1, 7, 1023] {
        let value = power_of_two(exponent);
        for scale in -10..=MAX_SCALE {
            let expected = if scale > 0 {
                (i64::from(exponent) << scale) - 1
            } else {
                i64::from(exponent - 1) >> -scale
            };
            assert_eq!(
                i64::from(map_to_index(value, scale)),
                expected,
                "2^{exponent} at scale {scale}"
            );
        }
    }
}

#[test]
fn extremes_stay_in_range() {
    // The largest finite value ends the top bucket of its octave; the
    // smallest subnormals are normalized before mapping.
    assert_eq!(map_to_index(f64::MAX, 20), (1 << 30) - 1);
    assert_eq!(map_to_index(f64::MAX, 0), 1023);
    assert_eq!(map_to_index(f64::from_bits(1), 0), -1075);
    assert_eq!(map_to_index(f64::from_bits(1), 20), (-1074 << 20) - 1);
    assert_eq!(map_to_index(f64::MIN_POSITIVE, 0), -1023);
    // 3 * 2^-1074 = 1.5 * 2^-1073.
    assert_eq!(map_to_index(f64::from_bits(3), 0), -1073);
    assert_eq!(map_to_index(f64::from_bits(3), 1), -1073 * 2 + 1);
}

#[test]
fn one_scale_down_is_a_shift() {
    // Merging buckets pairwise (i >> 1) must agree with mapping afresh.
    for value in values(2000) {
        for scale in -9..=MAX_SCALE {
            assert_eq!(
                map_to_index(value, scale - 1),
                map_to_index(value, scale) >> 1,
                "{value} from scale {scale}"
            );
        }
    }
}

#[test]
fn zero_goes_to_the_zero_count() {
    let mut buckets = ExponentialBuckets::new();
    buckets.record(0.0, 160);
    buckets.record(0.0, 160);
    assert_eq!(buckets.zero_count(), 2);
    assert_eq!(buckets.scale(), MAX_SCALE);
    assert_eq!(buckets.counts(), &[] as &[u64]);
    buckets.record(1.5, 160);
    assert_eq!(
        (buckets.zero_count(), buckets.scale(), buckets.offset()),
        (2, 20, 613_377)
    );
    assert_eq!(buckets.counts(), &[1]);
}

#[test]
fn range_grows_downward_and_upward_without_downscaling() {
    let mut buckets = ExponentialBuckets::new();
    buckets.record(1.5, 160);
    buckets.record(1.4999, 160);
    buckets.record(1.5, 160);
    assert_eq!((buckets.scale(), buckets.offset()), (20, 613_276));
    let mut expected = vec![0u64; 102];
    expected[0] = 1;
    expected[101] = 2;
    assert_eq!(buckets.counts(), expected.as_slice());
}

#[test]
fn wide_spread_downscales_until_it_fits() {
    let mut buckets = ExponentialBuckets::new();
    buckets.record(1.0, 4);
    // -1 and 2^21 - 1 at scale 20: it takes 20 halvings to fit four buckets.
    buckets.record(4.0, 4);
    assert_eq!((buckets.scale(), buckets.offset()), (0, -1));
    assert_eq!(buckets.counts(), &[1, 0, 1]);
    // 100 is bucket 6 at scale 0: -1..=6 fits in four only at scale -2 (base 16).
    buckets.record(100.0, 4);
    assert_eq!((buckets.scale(), buckets.offset()), (-2, -1));
    assert_eq!(buckets.counts(), &[1, 1, 1]);
}

#[test]
fn default_size_holds_four_decades_at_scale_three() {
    // 1 ms .. 10 s spans 13.3 octaves: 107 buckets at scale 3, 214 at scale 4.
    let mut buckets = ExponentialBuckets::new();
    for value in [0.001, 1.0, 10.0, 0.001] {
        buckets.record(value, 160);
    }
    assert_eq!((buckets.scale(), buckets.offset()), (3, -80));
    assert_eq!(buckets.counts().len(), 107);
    assert_eq!(buckets.counts()[0], 2);
    assert_eq!(buckets.counts()[79], 1);
    assert_eq!(buckets.counts()[106], 1);
    assert_eq!(buckets.counts().iter().sum::<u64>(), 4);
}

#[test]
fn downscaled_counts_equal_a_histogram_built_at_the_final_scale() {
    for max_size in [2, 3, 8, 20, 160] {
        let values = values(5000);
        let mut buckets = ExponentialBuckets::new();
        for value in &values {
            buckets.record(*value, max_size);
        }
        let scale = buckets.scale();
        let indexes: Vec<i32> = values.iter().map(|v| map_to_index(*v, scale)).collect();
        let low = *indexes.iter().min().unwrap();
        let high = *indexes.iter().max().unwrap();
        let mut expected = vec![0u64; (high - low + 1) as usize];
        for index in indexes {
            expected[(index - low) as usize] += 1;
        }
        assert!(
            expected.len() <= max_size,
            "max_size {max_size}: {} buckets",
            expected.len()
        );
        // The finest scale that fits: one scale up would not.
        let finer: Vec<i32> = values.iter().map(|v| map_to_index(*v, scale + 1)).collect();
        let finer_len = finer.iter().max().unwrap() - finer.iter().min().unwrap() + 1;
        assert!(
            finer_len as usize > max_size,
            "max_size {max_size}: scale {scale} is not the finest"
        );
        assert_eq!(buckets.offset(), low, "max_size {max_size}");
        assert_eq!(buckets.counts(), expected.as_slice(), "max_size {max_size}");
    }
}

/// 2^exponent built from its bits (powi is not exact among subnormals).
fn power_of_two(exponent: i32) -> f64 {
    if exponent >= -1022 {
        f64::from_bits(((exponent + 1023) as u64) << 52)
    } else {
        f64::from_bits(1 << (exponent + 1074))
    }
}

/// Deterministic durations from 1 us to about 100 s, log-uniform.
fn values(n: usize) -> Vec<f64> {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..n)
        .map(|_| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let unit = (state >> 11) as f64 / (1u64 << 53) as f64;
            10f64.powf(-6.0 + 8.0 * unit)
        })
        .collect()
}
