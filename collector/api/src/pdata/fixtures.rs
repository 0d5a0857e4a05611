//! Requests that use every field type of their signal: two resources each, events,
//! links, nested attribute values, every metric type with exemplars and buckets.

use super::common::v1::{any_value::Value, AnyValue, ArrayValue, KeyValue, KeyValueList};
use super::common::v1::{EntityRef, InstrumentationScope};
use super::logs::v1 as l;
use super::metrics::v1 as m;
use super::resource::v1::Resource;
use super::trace::v1 as t;
use super::{ExportLogsServiceRequest, ExportMetricsServiceRequest, ExportTraceServiceRequest};

fn kv(key: &str, value: Value) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue { value: Some(value) }),
        ..Default::default()
    }
}

fn attributes() -> Vec<KeyValue> {
    vec![
        kv("s", Value::StringValue("caf\u{e9}".into())),
        kv("b", Value::BoolValue(true)),
        kv("i", Value::IntValue(-7)),
        kv("d", Value::DoubleValue(2.5)),
        kv("bytes", Value::BytesValue(vec![0, 1, 255])),
        kv(
            "array",
            Value::ArrayValue(ArrayValue {
                values: vec![AnyValue {
                    value: Some(Value::KvlistValue(KeyValueList {
                        values: vec![kv("inner", Value::IntValue(1))],
                    })),
                }],
            }),
        ),
    ]
}

fn resource(name: &str) -> Option<Resource> {
    Some(Resource {
        attributes: vec![kv("service.name", Value::StringValue(name.into()))],
        dropped_attributes_count: 1,
        entity_refs: vec![EntityRef {
            r#type: "service".into(),
            id_keys: vec!["service.name".into()],
            ..Default::default()
        }],
    })
}

fn scope() -> Option<InstrumentationScope> {
    Some(InstrumentationScope {
        name: "lib".into(),
        version: "1.0".into(),
        attributes: attributes(),
        dropped_attributes_count: 2,
    })
}

fn span(id: u8) -> t::Span {
    t::Span {
        trace_id: vec![id; 16],
        span_id: vec![id; 8],
        trace_state: "k=v".into(),
        parent_span_id: vec![id + 1; 8],
        flags: 0x101,
        name: format!("span {id}"),
        kind: t::span::SpanKind::Client as i32,
        start_time_unix_nano: 1_700_000_000_000_000_000,
        end_time_unix_nano: 1_700_000_000_500_000_000,
        attributes: attributes(),
        dropped_attributes_count: 3,
        events: vec![t::span::Event {
            time_unix_nano: 1_700_000_000_100_000_000,
            name: "event".into(),
            attributes: attributes(),
            dropped_attributes_count: 4,
        }],
        dropped_events_count: 5,
        links: vec![t::span::Link {
            trace_id: vec![9; 16],
            span_id: vec![9; 8],
            trace_state: "a=b".into(),
            attributes: attributes(),
            dropped_attributes_count: 6,
            flags: 1,
        }],
        dropped_links_count: 7,
        status: Some(t::Status {
            message: "boom".into(),
            code: t::status::StatusCode::Error as i32,
        }),
    }
}

pub(crate) fn traces() -> ExportTraceServiceRequest {
    ExportTraceServiceRequest {
        resource_spans: vec![
            t::ResourceSpans {
                resource: resource("a"),
                scope_spans: vec![t::ScopeSpans {
                    scope: scope(),
                    spans: vec![span(1), span(2)],
                    schema_url: "https://opentelemetry.io/schemas/1.26.0".into(),
                }],
                schema_url: "s".into(),
            },
            t::ResourceSpans {
                resource: resource("b"),
                scope_spans: vec![t::ScopeSpans {
                    scope: scope(),
                    spans: vec![span(3)],
                    schema_url: String::new(),
                }],
                schema_url: String::new(),
            },
        ],
    }
}

fn exemplar() -> m::Exemplar {
    m::Exemplar {
        filtered_attributes: attributes(),
        time_unix_nano: 11,
        span_id: vec![1; 8],
        trace_id: vec![2; 16],
        value: Some(m::exemplar::Value::AsInt(-3)),
    }
}

fn number(value: m::number_data_point::Value) -> m::NumberDataPoint {
    m::NumberDataPoint {
        attributes: attributes(),
        start_time_unix_nano: 1,
        time_unix_nano: 2,
        exemplars: vec![exemplar()],
        flags: 1,
        value: Some(value),
    }
}

fn metric(name: &str, data: m::metric::Data) -> m::Metric {
    m::Metric {
        name: name.into(),
        description: "d".into(),
        unit: "s".into(),
        metadata: attributes(),
        data: Some(data),
    }
}

fn all_metric_types() -> Vec<m::Metric> {
    use m::number_data_point::Value::{AsDouble, AsInt};
    let buckets = |offset| {
        Some(m::exponential_histogram_data_point::Buckets {
            offset,
            bucket_counts: vec![1, 300, 70_000],
        })
    };
    vec![
        metric(
            "gauge",
            m::metric::Data::Gauge(m::Gauge {
                data_points: vec![number(AsDouble(1.5)), number(AsInt(-2))],
            }),
        ),
        metric(
            "sum",
            m::metric::Data::Sum(m::Sum {
                data_points: vec![number(AsInt(10))],
                aggregation_temporality: m::AggregationTemporality::Cumulative as i32,
                is_monotonic: true,
            }),
        ),
        metric(
            "histogram",
            m::metric::Data::Histogram(m::Histogram {
                data_points: vec![
                    m::HistogramDataPoint {
                        attributes: attributes(),
                        count: 3,
                        sum: Some(4.5),
                        bucket_counts: vec![1, 2, 0],
                        explicit_bounds: vec![1.0, 5.0],
                        exemplars: vec![exemplar()],
                        min: Some(0.5),
                        max: Some(3.0),
                        ..Default::default()
                    },
                    m::HistogramDataPoint::default(),
                ],
                aggregation_temporality: m::AggregationTemporality::Delta as i32,
            }),
        ),
        metric(
            "exponential",
            m::metric::Data::ExponentialHistogram(m::ExponentialHistogram {
                data_points: vec![m::ExponentialHistogramDataPoint {
                    attributes: attributes(),
                    count: 70_301,
                    scale: -3,
                    zero_count: 1,
                    positive: buckets(-2),
                    negative: buckets(4),
                    exemplars: vec![exemplar()],
                    zero_threshold: 0.001,
                    ..Default::default()
                }],
                aggregation_temporality: m::AggregationTemporality::Delta as i32,
            }),
        ),
        metric(
            "summary",
            m::metric::Data::Summary(m::Summary {
                data_points: vec![
                    m::SummaryDataPoint {
                        attributes: attributes(),
                        count: 2,
                        sum: 3.0,
                        quantile_values: vec![m::summary_data_point::ValueAtQuantile {
                            quantile: 0.99,
                            value: 2.0,
                        }],
                        ..Default::default()
                    },
                    m::SummaryDataPoint::default(),
                ],
            }),
        ),
    ]
}

pub(crate) fn metrics() -> ExportMetricsServiceRequest {
    ExportMetricsServiceRequest {
        resource_metrics: vec![
            m::ResourceMetrics {
                resource: resource("a"),
                scope_metrics: vec![m::ScopeMetrics {
                    scope: scope(),
                    metrics: all_metric_types(),
                    schema_url: String::new(),
                }],
                schema_url: String::new(),
            },
            m::ResourceMetrics {
                resource: resource("b"),
                scope_metrics: vec![m::ScopeMetrics {
                    scope: scope(),
                    metrics: vec![metric("empty", m::metric::Data::Gauge(m::Gauge::default()))],
                    schema_url: String::new(),
                }],
                schema_url: String::new(),
            },
        ],
    }
}

fn record(id: u8) -> l::LogRecord {
    l::LogRecord {
        time_unix_nano: 1,
        observed_time_unix_nano: 2,
        severity_number: l::SeverityNumber::Warn as i32,
        severity_text: "WARN".into(),
        body: Some(AnyValue {
            value: Some(Value::KvlistValue(KeyValueList {
                values: attributes(),
            })),
        }),
        attributes: attributes(),
        dropped_attributes_count: 1,
        flags: 1,
        trace_id: vec![id; 16],
        span_id: vec![id; 8],
        event_name: "e".into(),
    }
}

pub(crate) fn logs() -> ExportLogsServiceRequest {
    ExportLogsServiceRequest {
        resource_logs: vec![
            l::ResourceLogs {
                resource: resource("a"),
                scope_logs: vec![l::ScopeLogs {
                    scope: scope(),
                    log_records: vec![record(1)],
                    schema_url: String::new(),
                }],
                schema_url: String::new(),
            },
            l::ResourceLogs {
                resource: resource("b"),
                scope_logs: vec![l::ScopeLogs {
                    scope: scope(),
                    log_records: vec![record(2)],
                    schema_url: String::new(),
                }],
                schema_url: String::new(),
            },
        ],
    }
}
