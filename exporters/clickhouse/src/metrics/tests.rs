//! Exact RowBinary bytes of gauge and sum points.

use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::common::v1::{AnyValue, InstrumentationScope, KeyValue};
use opentelemetry_proto::tonic::metrics::v1::{
    Gauge, Histogram, HistogramDataPoint, Metric, ResourceMetrics, ScopeMetrics, Sum,
};
use opentelemetry_proto::tonic::resource::v1::Resource;

use super::*;

fn kv(key: &str, v: Value) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue { value: Some(v) }),
        ..Default::default()
    }
}

fn request(metrics: Vec<Metric>) -> ExportMetricsServiceRequest {
    ExportMetricsServiceRequest {
        resource_metrics: vec![ResourceMetrics {
            resource: Some(Resource {
                attributes: vec![kv("service.name", Value::StringValue("svc".into()))],
                ..Default::default()
            }),
            scope_metrics: vec![ScopeMetrics {
                scope: Some(InstrumentationScope {
                    name: "lib".into(),
                    version: "1.0".into(),
                    dropped_attributes_count: 3,
                    ..Default::default()
                }),
                metrics,
                schema_url: "https://scope".into(),
            }],
            schema_url: "https://res".into(),
        }],
    }
}

fn s(text: &str) -> Vec<u8> {
    let mut out = vec![text.len() as u8];
    out.extend_from_slice(text.as_bytes());
    out
}

/// ResourceAttributes .. MetricUnit for metric `name`.
fn head(name: &str) -> Vec<u8> {
    [
        vec![1],
        s("service.name"),
        s("svc"),
        s("https://res"),
        s("lib"),
        s("1.0"),
        vec![0],
        3u32.to_le_bytes().to_vec(),
        s("https://scope"),
        s("svc"),
        s(name),
        s("desc"),
        s("By"),
    ]
    .concat()
}

fn point(value: number_data_point::Value, exemplars: Vec<Exemplar>) -> NumberDataPoint {
    NumberDataPoint {
        attributes: vec![kv("room", Value::StringValue("k".into()))],
        start_time_unix_nano: 10,
        time_unix_nano: 20,
        exemplars,
        flags: 1,
        value: Some(value),
    }
}

fn metric(name: &str, data: Data) -> Metric {
    Metric {
        name: name.into(),
        description: "desc".into(),
        unit: "By".into(),
        data: Some(data),
        ..Default::default()
    }
}

#[test]
fn gauge_point_with_exemplar_exact_bytes() {
    let exemplar = Exemplar {
        filtered_attributes: vec![kv("f", Value::IntValue(1))],
        time_unix_nano: 15,
        span_id: vec![0xab; 8],
        trace_id: vec![],
        value: Some(exemplar::Value::AsInt(4)),
    };
    let req = request(vec![metric(
        "temp",
        Data::Gauge(Gauge {
            data_points: vec![point(
                number_data_point::Value::AsDouble(21.5),
                vec![exemplar],
            )],
        }),
    )]);
    let rows = encode_metrics(&req);
    assert_eq!((rows.gauge_rows, rows.sum_rows, rows.skipped), (1, 0, 0));
    let expected = [
        head("temp"),
        [vec![1], s("room"), s("k")].concat(),
        10i64.to_le_bytes().to_vec(),
        20i64.to_le_bytes().to_vec(),
        21.5f64.to_le_bytes().to_vec(),
        1u32.to_le_bytes().to_vec(),
        [vec![1], vec![1], s("f"), s("1")].concat(),
        [vec![1], 15i64.to_le_bytes().to_vec()].concat(),
        [vec![1], 4.0f64.to_le_bytes().to_vec()].concat(),
        [vec![1], s("abababababababab")].concat(),
        [vec![1], s(&"0".repeat(32))].concat(),
    ]
    .concat();
    assert_eq!(rows.gauge.buf, expected);
}

#[test]
fn sum_point_adds_temporality_and_monotonic() {
    let req = request(vec![metric(
        "requests",
        Data::Sum(Sum {
            data_points: vec![point(number_data_point::Value::AsInt(-7), vec![])],
            aggregation_temporality: 2,
            is_monotonic: true,
        }),
    )]);
    let rows = encode_metrics(&req);
    assert_eq!((rows.gauge_rows, rows.sum_rows), (0, 1));
    let expected = [
        head("requests"),
        [vec![1], s("room"), s("k")].concat(),
        10i64.to_le_bytes().to_vec(),
        20i64.to_le_bytes().to_vec(),
        (-7.0f64).to_le_bytes().to_vec(),
        1u32.to_le_bytes().to_vec(),
        vec![0, 0, 0, 0, 0],
        2i32.to_le_bytes().to_vec(),
        vec![1],
    ]
    .concat();
    assert_eq!(rows.sum.buf, expected);
}

#[test]
fn other_types_are_counted_not_written() {
    let req = request(vec![metric(
        "latency",
        Data::Histogram(Histogram {
            data_points: vec![HistogramDataPoint::default(), HistogramDataPoint::default()],
            aggregation_temporality: 2,
        }),
    )]);
    let rows = encode_metrics(&req);
    assert_eq!((rows.gauge_rows, rows.sum_rows, rows.skipped), (0, 0, 2));
    assert!(rows.gauge.buf.is_empty() && rows.sum.buf.is_empty());
}
