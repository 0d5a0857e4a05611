//! Turns the kept series into OTLP: one `ResourceMetrics` per resource, one
//! `ScopeMetrics` (sonde's eBPF receiver), one histogram metric per side with
//! data points sorted by attributes and the overflow series last.

use sonde_api::pdata::common::v1::InstrumentationScope;
use sonde_api::pdata::metrics::v1::{
    metric, AggregationTemporality, ExponentialHistogram, Histogram, Metric, ResourceMetrics,
    ScopeMetrics,
};

use super::attributes::{overflow_key_values, RedAttributes, RedMetric};
use super::config::Temporality;
use super::series::{BucketParams, Point, Series};
use super::state::{MetricSeries, ResourceState};

/// The instrumentation scope of every RED metric.
pub const SCOPE_NAME: &str = "sonde.receiver.ebpf";
/// The unit of both duration metrics (UCUM seconds).
pub const UNIT: &str = "s";

pub(super) fn resource_metrics(
    state: &ResourceState,
    params: BucketParams<'_>,
    temporality: Temporality,
    now_unix_nano: u64,
) -> ResourceMetrics {
    let metrics = RedMetric::ALL
        .into_iter()
        .filter_map(|side| {
            let points = points(&state.metrics[side.index()], params, now_unix_nano);
            histogram(side, temporality, points)
        })
        .collect();
    ResourceMetrics {
        resource: Some(state.resource.as_ref().clone()),
        scope_metrics: vec![ScopeMetrics {
            scope: Some(InstrumentationScope {
                name: SCOPE_NAME.to_owned(),
                version: env!("CARGO_PKG_VERSION").to_owned(),
                ..Default::default()
            }),
            metrics,
            ..Default::default()
        }],
        ..Default::default()
    }
}

/// The data points of one metric: by attributes, then the overflow series.
fn points(metric: &MetricSeries, params: BucketParams<'_>, now_unix_nano: u64) -> Vec<Point> {
    let mut ordered: Vec<(&RedAttributes, &Series)> = metric.series.iter().collect();
    ordered.sort_unstable_by(|a, b| a.0.cmp(b.0));
    let regular = ordered
        .into_iter()
        .map(|(attributes, series)| (attributes.to_key_values(), series));
    let overflow = metric
        .overflow
        .iter()
        .map(|series| (overflow_key_values(), series));
    regular
        .chain(overflow)
        .map(|(attributes, series)| {
            // A series starts at the flush before its first record, which under
            // delta is the previous flush: the maps are emptied at every flush.
            series.point(params, attributes, series.start_unix_nano, now_unix_nano)
        })
        .collect()
}

fn histogram(side: RedMetric, temporality: Temporality, points: Vec<Point>) -> Option<Metric> {
    if points.is_empty() {
        return None;
    }
    let aggregation_temporality = match temporality {
        Temporality::Cumulative => AggregationTemporality::Cumulative,
        Temporality::Delta => AggregationTemporality::Delta,
    } as i32;
    // Every series of an aggregator has the same kind, so one of these stays empty.
    let mut explicit = Vec::new();
    let mut exponential = Vec::new();
    for point in points {
        match point {
            Point::Explicit(point) => explicit.push(point),
            Point::Exponential(point) => exponential.push(point),
        }
    }
    let data = if exponential.is_empty() {
        metric::Data::Histogram(Histogram {
            data_points: explicit,
            aggregation_temporality,
        })
    } else {
        metric::Data::ExponentialHistogram(ExponentialHistogram {
            data_points: exponential,
            aggregation_temporality,
        })
    };
    Some(Metric {
        name: side.metric_name().to_owned(),
        description: side.description().to_owned(),
        unit: UNIT.to_owned(),
        data: Some(data),
        ..Default::default()
    })
}
