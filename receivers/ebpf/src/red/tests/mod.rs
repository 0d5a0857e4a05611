//! The aggregator end to end: records in, whole OTLP requests out, with exact
//! counts, sums, buckets, start times, temporality, overflow and retirement.

use std::sync::Arc;

use sonde_api::pdata::common::v1::{any_value, AnyValue, InstrumentationScope, KeyValue};
use sonde_api::pdata::metrics::v1::exponential_histogram_data_point::Buckets;
use sonde_api::pdata::metrics::v1::{
    metric, ExponentialHistogramDataPoint, Histogram, HistogramDataPoint, Metric, ResourceMetrics,
    ScopeMetrics,
};
use sonde_api::pdata::resource::v1::Resource;
use sonde_api::pdata::ExportMetricsServiceRequest;

use super::*;

const START: u64 = 1_700_000_000_000_000_000;
const T1: u64 = START + 10_000_000_000;
const T2: u64 = START + 20_000_000_000;
const T3: u64 = START + 30_000_000_000;
const T4: u64 = START + 40_000_000_000;
const CUMULATIVE: i32 = 2;
const DELTA: i32 = 1;

fn kv(key: &str, value: any_value::Value) -> KeyValue {
    KeyValue {
        key: key.to_owned(),
        value: Some(AnyValue { value: Some(value) }),
        ..Default::default()
    }
}

fn s(key: &str, value: &str) -> KeyValue {
    kv(key, any_value::Value::StringValue(value.to_owned()))
}

fn i(key: &str, value: i64) -> KeyValue {
    kv(key, any_value::Value::IntValue(value))
}

fn resource(service: &str) -> Arc<Resource> {
    Arc::new(Resource {
        attributes: vec![s("service.name", service)],
        ..Default::default()
    })
}

fn get(route: &str, status: u16) -> RedAttributes {
    RedAttributes {
        method: "GET".to_owned(),
        route: Some(route.to_owned()),
        status_code: Some(status),
        ..Default::default()
    }
}

fn aggregator(temporality: Temporality, histogram: HistogramKind, limit: usize) -> RedMetrics {
    RedMetrics::new(
        RedConfig {
            temporality,
            histogram,
            max_series_per_resource: limit,
        },
        START,
    )
}

fn cumulative() -> RedMetrics {
    RedMetrics::new(RedConfig::default(), START)
}

fn delta() -> RedMetrics {
    aggregator(
        Temporality::Delta,
        HistogramKind::default(),
        DEFAULT_MAX_SERIES,
    )
}

/// The metrics of resource `r` of a request.
fn metrics(request: &ExportMetricsServiceRequest, r: usize) -> &[Metric] {
    &request.resource_metrics[r].scope_metrics[0].metrics
}

/// The explicit histogram of metric `m` of resource `r`.
fn histogram(request: &ExportMetricsServiceRequest, r: usize, m: usize) -> &Histogram {
    match &metrics(request, r)[m].data {
        Some(metric::Data::Histogram(histogram)) => histogram,
        other => panic!("not an explicit histogram: {other:?}"),
    }
}

fn points(request: &ExportMetricsServiceRequest, r: usize, m: usize) -> &[HistogramDataPoint] {
    &histogram(request, r, m).data_points
}

/// (route attribute or "overflow", count, start) of each point, in order.
fn summary(points: &[HistogramDataPoint]) -> Vec<(String, u64, u64)> {
    points
        .iter()
        .map(|point| {
            let label = point
                .attributes
                .iter()
                .find_map(|kv| match (kv.key.as_str(), &kv.value) {
                    (
                        "http.route",
                        Some(AnyValue {
                            value: Some(any_value::Value::StringValue(route)),
                        }),
                    ) => Some(route.clone()),
                    ("otel.metric.overflow", _) => Some("overflow".to_owned()),
                    _ => None,
                })
                .unwrap_or_default();
            (label, point.count, point.start_time_unix_nano)
        })
        .collect()
}

fn row(label: &str, count: u64, start: u64) -> (String, u64, u64) {
    (label.to_owned(), count, start)
}

mod config;
mod layout;
mod temporality;
mod values;
