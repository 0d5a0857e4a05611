//! How the RED metrics aggregate: temporality, histogram kind and the
//! cardinality limit, with the OpenTelemetry SDKs' defaults.

/// The semantic conventions' advisory bucket bounds for
/// `http.server.request.duration` and `http.client.request.duration`, in seconds.
pub const DEFAULT_BOUNDS: [f64; 14] = [
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
];

/// The OpenTelemetry SDKs' default bucket count of an exponential histogram.
pub const DEFAULT_EXPONENTIAL_MAX_SIZE: usize = 160;

/// The fewest buckets an exponential histogram can be given: below two, two
/// positive values an octave apart could never share a histogram.
pub const MIN_EXPONENTIAL_MAX_SIZE: usize = 2;

/// The OpenTelemetry SDKs' default cardinality limit per metric stream.
pub const DEFAULT_MAX_SERIES: usize = 2000;

/// What a flush reports: totals since a series began, or only what changed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Temporality {
    /// Every series ever seen, with counts that keep growing.
    #[default]
    Cumulative,
    /// Only the series recorded since the previous flush, counted from then.
    Delta,
}

/// The histogram each series keeps.
#[derive(Clone, Debug, PartialEq)]
pub enum HistogramKind {
    /// Fixed bucket bounds, in seconds, strictly increasing; OTLP buckets are
    /// `(previous bound, bound]`, plus one above the last bound.
    Explicit { bounds: Vec<f64> },
    /// Base-2 exponential buckets, at most `max_size` of them: the scale
    /// starts at 20 and drops as the recorded values spread.
    Exponential { max_size: usize },
}

impl Default for HistogramKind {
    fn default() -> Self {
        HistogramKind::Explicit {
            bounds: DEFAULT_BOUNDS.to_vec(),
        }
    }
}

impl HistogramKind {
    /// Exponential buckets with the SDKs' default size.
    pub fn exponential() -> Self {
        HistogramKind::Exponential {
            max_size: DEFAULT_EXPONENTIAL_MAX_SIZE,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct RedConfig {
    pub temporality: Temporality,
    pub histogram: HistogramKind,
    /// The most series one metric of one resource holds, the overflow series
    /// included (as the SDKs' cardinality limit counts): the first
    /// `max_series_per_resource - 1` attribute sets get their own series,
    /// later ones all go into the `otel.metric.overflow = true` series.
    pub max_series_per_resource: usize,
}

impl Default for RedConfig {
    fn default() -> Self {
        Self {
            temporality: Temporality::default(),
            histogram: HistogramKind::default(),
            max_series_per_resource: DEFAULT_MAX_SERIES,
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum RedConfigError {
    #[error("histogram bounds must be finite numbers; {0} is not")]
    BoundNotFinite(f64),
    #[error("histogram bounds must be strictly increasing; {next} follows {previous}")]
    BoundsNotIncreasing { previous: f64, next: f64 },
    #[error("exponential histogram max_size {0} is too small: it must be at least {MIN_EXPONENTIAL_MAX_SIZE}")]
    MaxSizeTooSmall(usize),
    #[error("max_series_per_resource must be at least 1")]
    NoSeries,
}

impl RedConfig {
    /// Checks the values a config file can get wrong. [`super::RedMetrics::new`]
    /// does not fail: it repairs what this rejects (see [`RedConfig::normalized`]).
    pub fn validate(&self) -> Result<(), RedConfigError> {
        match &self.histogram {
            HistogramKind::Explicit { bounds } => {
                if let Some(bad) = bounds.iter().find(|b| !b.is_finite()) {
                    return Err(RedConfigError::BoundNotFinite(*bad));
                }
                if let Some(pair) = bounds.windows(2).find(|w| w[0] >= w[1]) {
                    return Err(RedConfigError::BoundsNotIncreasing {
                        previous: pair[0],
                        next: pair[1],
                    });
                }
            }
            HistogramKind::Exponential { max_size } => {
                if *max_size < MIN_EXPONENTIAL_MAX_SIZE {
                    return Err(RedConfigError::MaxSizeTooSmall(*max_size));
                }
            }
        }
        if self.max_series_per_resource == 0 {
            return Err(RedConfigError::NoSeries);
        }
        Ok(())
    }

    /// The config made valid: bounds finite, sorted and without duplicates,
    /// max_size and the series limit raised to their minimum.
    pub fn normalized(mut self) -> Self {
        match &mut self.histogram {
            HistogramKind::Explicit { bounds } => {
                bounds.retain(|b| b.is_finite());
                bounds.sort_by(f64::total_cmp);
                bounds.dedup();
            }
            HistogramKind::Exponential { max_size } => {
                *max_size = (*max_size).max(MIN_EXPONENTIAL_MAX_SIZE);
            }
        }
        self.max_series_per_resource = self.max_series_per_resource.max(1);
        self
    }
}
