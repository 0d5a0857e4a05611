//! Points as OTLP metrics: each numeric field of a point is one data point of the
//! metric `<measurement>_<field>` (telegraf's Prometheus naming: `cpu_usage_idle`),
//! its tags the data point's attributes, its timestamp the point's time (the time of
//! arrival when the line has none). A gauge, or a cumulative monotonic sum when the
//! metric's name matches one of the config's `sums` patterns.
//!
//! Floats are doubles; integers and unsigned integers that fit are ints (larger
//! unsigned ones doubles); booleans are ints 1 and 0. String fields are not numbers
//! and become no data point; they are counted, so the caller can say so.

use std::collections::HashMap;

use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, InstrumentationScope, KeyValue};
use opentelemetry_proto::tonic::metrics::v1::{
    metric, number_data_point, AggregationTemporality, Gauge, Metric, NumberDataPoint,
    ResourceMetrics, ScopeMetrics, Sum,
};

use crate::line_protocol::{FieldValue, Point};

/// Metric names written as sums: `*` matches any run of characters.
#[derive(Debug, Clone, Default)]
pub struct SumPatterns(Vec<String>);

impl SumPatterns {
    pub fn new(patterns: &[String]) -> SumPatterns {
        SumPatterns(patterns.to_vec())
    }

    pub fn matches(&self, name: &str) -> bool {
        self.0.iter().any(|pattern| glob(pattern, name))
    }
}

/// `*`-only glob matching.
fn glob(pattern: &str, text: &str) -> bool {
    let mut parts = pattern.split('*');
    let Some(first) = parts.next() else {
        return text.is_empty();
    };
    let Some(mut rest) = text.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        // No `*`: the whole text must be the pattern.
        return rest.is_empty();
    };
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

/// The metrics of some points.
#[derive(Debug, Default)]
pub struct Converted {
    pub request: ExportMetricsServiceRequest,
    pub data_points: usize,
    /// String fields, which make no data point.
    pub skipped_strings: usize,
}

/// One request: one resource (empty: the sender is known by its address, which the
/// pipeline carries), one scope named `scope` (the receiver's), the metrics in
/// order of first appearance.
pub fn convert(points: &[Point], sums: &SumPatterns, now_nanos: u64, scope: &str) -> Converted {
    let mut metrics: Vec<Metric> = Vec::new();
    let mut by_name: HashMap<String, usize> = HashMap::new();
    let mut data_points = 0;
    let mut skipped_strings = 0;
    for point in points {
        let attributes: Vec<KeyValue> = point
            .tags
            .iter()
            .map(|(k, v)| KeyValue {
                key: k.clone(),
                value: Some(AnyValue {
                    value: Some(any_value::Value::StringValue(v.clone())),
                }),
                ..Default::default()
            })
            .collect();
        let time = point.timestamp.map_or(now_nanos, |t| t.max(0) as u64);
        for (field, value) in &point.fields {
            let value = match value {
                FieldValue::Float(x) => number_data_point::Value::AsDouble(*x),
                FieldValue::Int(n) => number_data_point::Value::AsInt(*n),
                FieldValue::UInt(n) => match i64::try_from(*n) {
                    Ok(n) => number_data_point::Value::AsInt(n),
                    Err(_) => number_data_point::Value::AsDouble(*n as f64),
                },
                FieldValue::Bool(b) => number_data_point::Value::AsInt(i64::from(*b)),
                FieldValue::Str(_) => {
                    skipped_strings += 1;
                    continue;
                }
            };
            let name = format!("{}_{}", point.measurement, field);
            let index = *by_name.entry(name.clone()).or_insert_with(|| {
                let data = if sums.matches(&name) {
                    metric::Data::Sum(Sum {
                        data_points: Vec::new(),
                        aggregation_temporality: AggregationTemporality::Cumulative as i32,
                        is_monotonic: true,
                    })
                } else {
                    metric::Data::Gauge(Gauge {
                        data_points: Vec::new(),
                    })
                };
                metrics.push(Metric {
                    name,
                    data: Some(data),
                    ..Default::default()
                });
                metrics.len() - 1
            });
            let data_point = NumberDataPoint {
                attributes: attributes.clone(),
                time_unix_nano: time,
                value: Some(value),
                ..Default::default()
            };
            match &mut metrics[index].data {
                Some(metric::Data::Sum(sum)) => sum.data_points.push(data_point),
                Some(metric::Data::Gauge(gauge)) => gauge.data_points.push(data_point),
                _ => {}
            }
            data_points += 1;
        }
    }
    let request = if metrics.is_empty() {
        ExportMetricsServiceRequest::default()
    } else {
        ExportMetricsServiceRequest {
            resource_metrics: vec![ResourceMetrics {
                resource: Some(Default::default()),
                scope_metrics: vec![ScopeMetrics {
                    scope: Some(InstrumentationScope {
                        name: scope.into(),
                        version: env!("CARGO_PKG_VERSION").into(),
                        ..Default::default()
                    }),
                    metrics,
                    schema_url: String::new(),
                }],
                schema_url: String::new(),
            }],
        }
    };
    Converted {
        request,
        data_points,
        skipped_strings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::line_protocol::{parse, Precision};

    fn points(body: &str) -> Vec<Point> {
        let (points, errors) = parse(body.as_bytes(), Precision::Nanoseconds);
        assert!(errors.is_empty(), "{errors:?}");
        points.into_iter().map(|(_, p)| p).collect()
    }

    #[test]
    fn fields_become_named_data_points_with_the_tags() {
        let body = "cpu,host=h1 idle=98.5,busy=3i 10\n\
                    cpu,host=h2 idle=97 20\n\
                    http,code=200 requests_total=7u,up=true,note=\"x\"\n";
        let sums = SumPatterns::new(&["*_total".into()]);
        let out = convert(&points(body), &sums, 99, "test/scope");
        assert_eq!(out.data_points, 5);
        assert_eq!(out.skipped_strings, 1);
        let scope = &out.request.resource_metrics[0].scope_metrics[0];
        assert_eq!(scope.scope.as_ref().unwrap().name, "test/scope");
        let names: Vec<&str> = scope.metrics.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(
            names,
            ["cpu_idle", "cpu_busy", "http_requests_total", "http_up"]
        );
        let Some(metric::Data::Gauge(idle)) = &scope.metrics[0].data else {
            panic!("cpu_idle is not a gauge");
        };
        assert_eq!(idle.data_points.len(), 2);
        assert_eq!(idle.data_points[1].time_unix_nano, 20);
        assert_eq!(
            idle.data_points[1].value,
            Some(number_data_point::Value::AsDouble(97.0))
        );
        assert_eq!(idle.data_points[1].attributes[0].key, "host");
        let Some(metric::Data::Sum(total)) = &scope.metrics[2].data else {
            panic!("requests_total is not a sum");
        };
        assert!(total.is_monotonic);
        assert_eq!(total.aggregation_temporality, 2);
        assert_eq!(total.data_points[0].time_unix_nano, 99);
        assert_eq!(
            total.data_points[0].value,
            Some(number_data_point::Value::AsInt(7))
        );
    }

    #[test]
    fn globs() {
        assert!(glob("*_total", "http_requests_total"));
        assert!(!glob("*_total", "http_requests_totals"));
        assert!(glob("cpu_*", "cpu_idle"));
        assert!(glob("a*b*c", "a-x-b-y-c"));
        assert!(!glob("a*b*c", "a-x-c"));
        assert!(glob("exact", "exact"));
        assert!(!glob("exact", "exactly"));
        assert!(glob("*", "anything"));
    }

    #[test]
    fn nothing_numeric_is_an_empty_request() {
        let out = convert(&points("m s=\"x\""), &SumPatterns::default(), 1, "s");
        assert!(out.request.resource_metrics.is_empty());
        assert_eq!(out.skipped_strings, 1);
    }
}
