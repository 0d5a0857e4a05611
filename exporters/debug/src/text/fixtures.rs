//! Payloads shared by the text tests.

use sonde_api::pdata::common::v1::{any_value::Value, AnyValue, InstrumentationScope, KeyValue};
use sonde_api::pdata::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use sonde_api::pdata::metrics::v1::{
    metric::Data, number_data_point, Gauge, Histogram, HistogramDataPoint, Metric, NumberDataPoint,
    ResourceMetrics, ScopeMetrics, Sum,
};
use sonde_api::pdata::resource::v1::Resource;
use sonde_api::pdata::trace::v1::{span, status, ResourceSpans, ScopeSpans, Span, Status};
use sonde_api::pdata::{
    ExportLogsServiceRequest, ExportMetricsServiceRequest, ExportTraceServiceRequest,
};
use sonde_api::Payload;

pub fn kv(key: &str, value: Value) -> KeyValue {
    KeyValue {
        key: key.to_string(),
        value: Some(AnyValue { value: Some(value) }),
        ..Default::default()
    }
}

pub fn s(v: &str) -> Value {
    Value::StringValue(v.to_string())
}

pub const TRACE_ID: [u8; 16] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16];
pub const SPAN_ID: [u8; 8] = [0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18];
/// 2020-02-11 20:26:12.000000321 UTC
pub const START: u64 = 1_581_452_772_000_000_321;
/// 2020-02-11 20:26:13.000000789 UTC
pub const END: u64 = 1_581_452_773_000_000_789;

fn resource() -> Option<Resource> {
    Some(Resource {
        attributes: vec![
            kv("service.name", s("checkout")),
            kv("sampled", Value::BoolValue(false)),
        ],
        ..Default::default()
    })
}

fn scope() -> Option<InstrumentationScope> {
    Some(InstrumentationScope {
        name: "scope-name".into(),
        version: "1.2.3".into(),
        attributes: vec![kv("scopeKey", s("scopeValue"))],
        ..Default::default()
    })
}

/// One resource, one scope, two spans: a full one and a bare one.
pub fn traces() -> Payload {
    let full = Span {
        trace_id: TRACE_ID.to_vec(),
        span_id: SPAN_ID.to_vec(),
        name: "GET /cart".into(),
        kind: span::SpanKind::Server as i32,
        trace_state: "ot=th:0".into(),
        start_time_unix_nano: START,
        end_time_unix_nano: END,
        status: Some(Status {
            code: status::StatusCode::Error as i32,
            message: "boom".into(),
        }),
        attributes: vec![
            kv("http.request.method", s("GET")),
            kv("http.response.status_code", Value::IntValue(500)),
        ],
        dropped_attributes_count: 1,
        events: vec![span::Event {
            time_unix_nano: END,
            name: "exception".into(),
            attributes: vec![kv("exception.type", s("E"))],
            dropped_attributes_count: 2,
        }],
        links: vec![span::Link {
            trace_id: TRACE_ID.to_vec(),
            span_id: SPAN_ID.to_vec(),
            dropped_attributes_count: 4,
            ..Default::default()
        }],
        ..Default::default()
    };
    let bare = Span {
        name: "bare".into(),
        ..Default::default()
    };
    Payload::Traces(ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: resource(),
            scope_spans: vec![ScopeSpans {
                scope: scope(),
                spans: vec![full, bare],
                schema_url: "https://opentelemetry.io/schemas/1.26.0".into(),
            }],
            schema_url: String::new(),
        }],
    })
}

pub fn logs() -> Payload {
    Payload::Logs(ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs {
            resource: resource(),
            scope_logs: vec![ScopeLogs {
                scope: None,
                log_records: vec![
                    LogRecord {
                        time_unix_nano: START,
                        observed_time_unix_nano: END,
                        severity_number: 9,
                        severity_text: "INFO".into(),
                        body: Some(AnyValue {
                            value: Some(s("user logged in")),
                        }),
                        attributes: vec![kv("user", s("ann"))],
                        trace_id: TRACE_ID.to_vec(),
                        span_id: SPAN_ID.to_vec(),
                        flags: 1,
                        ..Default::default()
                    },
                    LogRecord {
                        severity_number: 18,
                        body: Some(AnyValue {
                            value: Some(Value::IntValue(7)),
                        }),
                        ..Default::default()
                    },
                ],
                schema_url: String::new(),
            }],
            schema_url: String::new(),
        }],
    })
}

pub fn metrics() -> Payload {
    let gauge = Metric {
        name: "queue.size".into(),
        description: "items waiting".into(),
        unit: "{item}".into(),
        data: Some(Data::Gauge(Gauge {
            data_points: vec![NumberDataPoint {
                attributes: vec![kv("queue", s("a"))],
                time_unix_nano: END,
                value: Some(number_data_point::Value::AsDouble(1500000.0)),
                ..Default::default()
            }],
        })),
        ..Default::default()
    };
    let sum = Metric {
        name: "requests".into(),
        data: Some(Data::Sum(Sum {
            data_points: vec![NumberDataPoint {
                start_time_unix_nano: START,
                time_unix_nano: END,
                value: Some(number_data_point::Value::AsInt(42)),
                ..Default::default()
            }],
            aggregation_temporality: 2,
            is_monotonic: true,
        })),
        ..Default::default()
    };
    let histogram = Metric {
        name: "latency".into(),
        unit: "s".into(),
        data: Some(Data::Histogram(Histogram {
            data_points: vec![HistogramDataPoint {
                attributes: vec![kv("route", s("/cart")), kv("code", Value::IntValue(200))],
                time_unix_nano: END,
                count: 3,
                sum: Some(0.75),
                bucket_counts: vec![1, 2, 0],
                explicit_bounds: vec![0.1, 0.5],
                min: Some(0.05),
                ..Default::default()
            }],
            aggregation_temporality: 1,
        })),
        ..Default::default()
    };
    Payload::Metrics(ExportMetricsServiceRequest {
        resource_metrics: vec![ResourceMetrics {
            resource: resource(),
            scope_metrics: vec![ScopeMetrics {
                scope: scope(),
                metrics: vec![gauge, sum, histogram],
                schema_url: String::new(),
            }],
            schema_url: "https://opentelemetry.io/schemas/1.26.0".into(),
        }],
    })
}
