//! One series: the histogram of one attribute set of one metric of one
//! resource — count, sum, min, max and the buckets — and its OTLP data point.

use sonde_api::pdata::common::v1::KeyValue;
use sonde_api::pdata::metrics::v1::exponential_histogram_data_point::Buckets;
use sonde_api::pdata::metrics::v1::{ExponentialHistogramDataPoint, HistogramDataPoint};

use super::config::HistogramKind;
use super::explicit::ExplicitBuckets;
use super::exponential::ExponentialBuckets;

/// The bucket parameters of the aggregator, borrowed for each record: bounds
/// for explicit series, the bucket limit for exponential ones.
#[derive(Clone, Copy, Debug)]
pub(super) struct BucketParams<'a> {
    pub(super) bounds: &'a [f64],
    pub(super) max_size: usize,
}

impl<'a> BucketParams<'a> {
    pub(super) fn of(kind: &'a HistogramKind) -> Self {
        match kind {
            HistogramKind::Explicit { bounds } => Self {
                bounds,
                max_size: 0,
            },
            HistogramKind::Exponential { max_size } => Self {
                bounds: &[],
                max_size: *max_size,
            },
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub(super) struct Series {
    /// When the counts began: the flush before the first record (or the
    /// aggregator's start).
    pub(super) start_unix_nano: u64,
    count: u64,
    sum: f64,
    min: f64,
    max: f64,
    buckets: SeriesBuckets,
}

#[derive(Clone, Debug, PartialEq)]
enum SeriesBuckets {
    Explicit(ExplicitBuckets),
    Exponential(ExponentialBuckets),
}

/// A series as OTLP carries it.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Point {
    Explicit(HistogramDataPoint),
    Exponential(ExponentialHistogramDataPoint),
}

impl Series {
    pub(super) fn new(kind: &HistogramKind, start_unix_nano: u64) -> Self {
        let buckets = match kind {
            HistogramKind::Explicit { bounds } => {
                SeriesBuckets::Explicit(ExplicitBuckets::new(bounds))
            }
            HistogramKind::Exponential { .. } => {
                SeriesBuckets::Exponential(ExponentialBuckets::new())
            }
        };
        Self {
            start_unix_nano,
            count: 0,
            sum: 0.0,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
            buckets,
        }
    }

    /// Counts one duration, finite and >= 0 (the caller sanitizes). `params`
    /// come from the kind the series was made with.
    pub(super) fn record(&mut self, params: BucketParams<'_>, value: f64) {
        self.count += 1;
        self.sum += value;
        self.min = self.min.min(value);
        self.max = self.max.max(value);
        match &mut self.buckets {
            SeriesBuckets::Explicit(buckets) => buckets.record(params.bounds, value),
            SeriesBuckets::Exponential(buckets) => buckets.record(value, params.max_size),
        }
    }

    pub(super) fn point(
        &self,
        params: BucketParams<'_>,
        attributes: Vec<KeyValue>,
        start_unix_nano: u64,
        time_unix_nano: u64,
    ) -> Point {
        // Min and max exist once something was recorded.
        let min = (self.count > 0).then_some(self.min);
        let max = (self.count > 0).then_some(self.max);
        match &self.buckets {
            SeriesBuckets::Explicit(buckets) => Point::Explicit(HistogramDataPoint {
                attributes,
                start_time_unix_nano: start_unix_nano,
                time_unix_nano,
                count: self.count,
                sum: Some(self.sum),
                bucket_counts: buckets.counts().to_vec(),
                explicit_bounds: params.bounds.to_vec(),
                min,
                max,
                ..Default::default()
            }),
            SeriesBuckets::Exponential(buckets) => {
                Point::Exponential(ExponentialHistogramDataPoint {
                    attributes,
                    start_time_unix_nano: start_unix_nano,
                    time_unix_nano,
                    count: self.count,
                    sum: Some(self.sum),
                    scale: buckets.scale(),
                    zero_count: buckets.zero_count(),
                    positive: Some(Buckets {
                        offset: buckets.offset(),
                        bucket_counts: buckets.counts().to_vec(),
                    }),
                    negative: Some(Buckets::default()),
                    min,
                    max,
                    zero_threshold: 0.0,
                    ..Default::default()
                })
            }
        }
    }
}
