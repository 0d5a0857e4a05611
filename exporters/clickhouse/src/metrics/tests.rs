//! Exact RowBinary bytes of gauge and sum points.

use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::common::v1::{AnyValue, InstrumentationScope, KeyValue};
use opentelemetry_proto::tonic::metrics::v1::exponential_histogram_data_point::Buckets;
use opentelemetry_proto::tonic::metrics::v1::summary_data_point::ValueAtQuantile;
use opentelemetry_proto::tonic::metrics::v1::{
    ExponentialHistogram, Gauge, Histogram, Metric, ResourceMetrics, ScopeMetrics, Sum, Summary,
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
    assert_eq!((rows.gauge.rows, rows.sum.rows), (1, 0));
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
    assert_eq!(rows.gauge.w.buf, expected);
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
    assert_eq!((rows.gauge.rows, rows.sum.rows), (0, 1));
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
    assert_eq!(rows.sum.w.buf, expected);
}

#[test]
fn histogram_point_exact_bytes() {
    let req = request(vec![metric(
        "latency",
        Data::Histogram(Histogram {
            data_points: vec![
                HistogramDataPoint {
                    attributes: vec![],
                    start_time_unix_nano: 10,
                    time_unix_nano: 20,
                    count: 3,
                    sum: Some(7.5),
                    bucket_counts: vec![1, 2],
                    explicit_bounds: vec![5.0],
                    exemplars: vec![],
                    flags: 0,
                    min: Some(0.5),
                    max: None,
                },
                HistogramDataPoint::default(),
            ],
            aggregation_temporality: 1,
        }),
    )]);
    let rows = encode_metrics(&req);
    assert_eq!((rows.histogram.rows, rows.gauge.rows), (2, 0));
    let first = [
        head("latency"),
        vec![0],
        10i64.to_le_bytes().to_vec(),
        20i64.to_le_bytes().to_vec(),
        3u64.to_le_bytes().to_vec(),
        7.5f64.to_le_bytes().to_vec(),
        [
            vec![2],
            1u64.to_le_bytes().to_vec(),
            2u64.to_le_bytes().to_vec(),
        ]
        .concat(),
        [vec![1], 5.0f64.to_le_bytes().to_vec()].concat(),
        vec![0, 0, 0, 0, 0],
        0u32.to_le_bytes().to_vec(),
        0.5f64.to_le_bytes().to_vec(),
        0.0f64.to_le_bytes().to_vec(),
        1i32.to_le_bytes().to_vec(),
    ]
    .concat();
    assert_eq!(&rows.histogram.w.buf[..first.len()], &first[..]);
}

#[test]
fn exp_histogram_point_exact_bytes() {
    let req = request(vec![metric(
        "size",
        Data::ExponentialHistogram(ExponentialHistogram {
            data_points: vec![ExponentialHistogramDataPoint {
                start_time_unix_nano: 10,
                time_unix_nano: 20,
                count: 4,
                sum: Some(9.0),
                scale: -1,
                zero_count: 1,
                positive: Some(Buckets {
                    offset: 2,
                    bucket_counts: vec![3],
                }),
                negative: None,
                min: Some(0.0),
                max: Some(6.0),
                ..Default::default()
            }],
            aggregation_temporality: 2,
        }),
    )]);
    let rows = encode_metrics(&req);
    assert_eq!(rows.exp_histogram.rows, 1);
    let expected = [
        head("size"),
        vec![0],
        10i64.to_le_bytes().to_vec(),
        20i64.to_le_bytes().to_vec(),
        4u64.to_le_bytes().to_vec(),
        9.0f64.to_le_bytes().to_vec(),
        (-1i32).to_le_bytes().to_vec(),
        1u64.to_le_bytes().to_vec(),
        2i32.to_le_bytes().to_vec(),
        [vec![1], 3u64.to_le_bytes().to_vec()].concat(),
        0i32.to_le_bytes().to_vec(),
        vec![0],
        vec![0, 0, 0, 0, 0],
        0u32.to_le_bytes().to_vec(),
        0.0f64.to_le_bytes().to_vec(),
        6.0f64.to_le_bytes().to_vec(),
        2i32.to_le_bytes().to_vec(),
    ]
    .concat();
    assert_eq!(rows.exp_histogram.w.buf, expected);
}

#[test]
fn summary_point_exact_bytes() {
    let req = request(vec![metric(
        "rpc",
        Data::Summary(Summary {
            data_points: vec![SummaryDataPoint {
                start_time_unix_nano: 10,
                time_unix_nano: 20,
                count: 5,
                sum: 2.5,
                quantile_values: vec![
                    ValueAtQuantile {
                        quantile: 0.5,
                        value: 0.4,
                    },
                    ValueAtQuantile {
                        quantile: 0.99,
                        value: 1.0,
                    },
                ],
                flags: 1,
                ..Default::default()
            }],
        }),
    )]);
    let rows = encode_metrics(&req);
    assert_eq!(rows.summary.rows, 1);
    let expected = [
        head("rpc"),
        vec![0],
        10i64.to_le_bytes().to_vec(),
        20i64.to_le_bytes().to_vec(),
        5u64.to_le_bytes().to_vec(),
        2.5f64.to_le_bytes().to_vec(),
        [
            vec![2],
            0.5f64.to_le_bytes().to_vec(),
            0.99f64.to_le_bytes().to_vec(),
        ]
        .concat(),
        [
            vec![2],
            0.4f64.to_le_bytes().to_vec(),
            1.0f64.to_le_bytes().to_vec(),
        ]
        .concat(),
        1u32.to_le_bytes().to_vec(),
    ]
    .concat();
    assert_eq!(rows.summary.w.buf, expected);
}
